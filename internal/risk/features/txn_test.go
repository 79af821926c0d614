package features_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/sim"
)

const header = "ts,txn_id,type,user_id,counterparty_id,amount_minor,currency,device_id,ip_country,lat,lon,mcc,new_device_login\n"

func TestReadWrite(t *testing.T) {
	in := header +
		"2026-01-05T08:00:00Z,t1,payment,u1,m1,1250,CNY,d1,CN,31.2300,121.4700,5411,0\n" +
		"2026-01-05T08:01:00+08:00,t2,p2p,u1,u2,100000,HKD,d2,,,,,1\n"
	txns, err := features.ReadAll(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(txns) != 2 || !txns[0].HasLoc || txns[0].MCC != "5411" || txns[1].HasLoc || !txns[1].NewDeviceLogin || txns[1].TS.Unix() != time.Date(2026, 1, 5, 0, 1, 0, 0, time.UTC).Unix() {
		t.Fatalf("parsed %+v", txns)
	}
	var buf bytes.Buffer
	w, _ := features.NewWriter(&buf)
	for i := range txns {
		if err := w.Write(&txns[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	again, err := features.ReadAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range txns {
		txns[i].TS = txns[i].TS.UTC()
	}
	if !reflect.DeepEqual(again, txns) {
		t.Fatalf("round trip:\n%+v\n%+v", again, txns)
	}
}

func TestReadErrors(t *testing.T) {
	good := "2026-01-05T08:00:00Z,t1,payment,u1,m1,1250,CNY,d1,CN,31.23,121.47,5411,0"
	for _, c := range []struct{ in, want string }{
		{"", "empty file"},
		{"ts,txn_id\n", "line 1: header has 2 columns"},
		{strings.Replace(header, "lat", "latitude", 1), `line 1: header column 10 is "latitude"`},
		{header + good + "\n" + strings.Replace(good, "2026-01-05T08:00:00Z", "yesterday", 1), "line 3: ts"},
		{header + strings.Replace(good, "payment", "refund", 1), `line 2: type "refund"`},
		{header + strings.Replace(good, "1250", "-5", 1), "line 2: amount_minor"},
		{header + strings.Replace(good, "1250", "12.50", 1), "line 2: amount_minor"},
		{header + strings.Replace(good, "CNY", "yuan", 1), "line 2: currency"},
		{header + strings.Replace(good, "31.23", "", 1), "line 2: lat and lon"},
		{header + strings.Replace(good, "31.23", "91", 1), "line 2: lat"},
		{header + strings.Replace(good, "5411", "", 1), "line 2: mcc"},
		{header + strings.Replace(good, "5411", "54x1", 1), "line 2: mcc"},
		{header + strings.Replace(good, ",0", ",yes", 1), "line 2: new_device_login"},
		{header + strings.Replace(good, "u1", "", 1), "line 2: empty user_id"},
		{header + good + ",extra", "line 2: wrong number of fields"},
		{header + good + "\n" + good, `line 3: txn_id "t1" already on line 2`},
		{header + `"unterminated`, "line 2"},
	} {
		_, err := features.ReadAll(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestLabels(t *testing.T) {
	m := map[string]features.Label{}
	if err := features.ReadLabels(strings.NewReader("txn_id,is_fraud,typology\nt1,1,ato\nt2,0,\n"), m); err != nil {
		t.Fatal(err)
	}
	// A review outcome read afterwards wins.
	if err := features.ReadLabels(strings.NewReader("txn_id,is_fraud,typology\nt1,0,\nt2,1,scam\n"), m); err != nil {
		t.Fatal(err)
	}
	if m["t1"].Fraud || !m["t2"].Fraud || m["t2"].Typology != "scam" {
		t.Fatalf("labels %v", m)
	}
	for _, bad := range []string{"txn_id,fraud,typology\n", "txn_id,is_fraud,typology\nt1,2,\n", "txn_id,is_fraud,typology\nt1,0,ato\n"} {
		if err := features.ReadLabels(strings.NewReader(bad), m); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzReader: whatever the input, the reader returns rows or an error
// naming a line, never panics; what it accepts writes back to a file it
// reads the same way.
func FuzzReader(f *testing.F) {
	f.Add(header + "2026-01-05T08:00:00Z,t1,payment,u1,m1,1250,CNY,d1,CN,31.23,121.47,5411,0\n")
	f.Add(header + "2026-01-05T08:00:00Z,t1,topup,u1,c1,1,USD,d1,,,,,1\n")
	f.Add(header + "\"a\nb\",t1\n")
	f.Add("ts\n")
	f.Fuzz(func(t *testing.T, in string) {
		txns, err := features.ReadAll(strings.NewReader(in))
		if err != nil {
			if !strings.Contains(err.Error(), "line") && !strings.Contains(err.Error(), "empty file") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		write := func(txns []features.Txn) string {
			var buf bytes.Buffer
			w, _ := features.NewWriter(&buf)
			for i := range txns {
				if err := w.Write(&txns[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			return buf.String()
		}
		out := write(txns)
		again, err := features.ReadAll(strings.NewReader(out))
		if err != nil {
			t.Fatalf("own output rejected: %v\n%s", err, out)
		}
		if out2 := write(again); out2 != out {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

func simulate(t testing.TB, seed uint64, users, days int) []features.Txn {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Days, cfg.FraudFrom, cfg.Incidents = seed, users, days, 2, 5
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Txns
}

// The state saved halfway and loaded again gives the same features as an
// uninterrupted run.
func TestSnapshot(t *testing.T) {
	txns := simulate(t, 3, 200, 10)
	cfg := features.DefaultConfig()
	whole := features.New(cfg)
	half := features.New(cfg)
	a := make([]float64, features.NumFeatures)
	b := make([]float64, features.NumFeatures)
	for i := range txns {
		if i == len(txns)/2 {
			var buf bytes.Buffer
			if err := half.State.Save(&buf); err != nil {
				t.Fatal(err)
			}
			s, err := features.LoadState(&buf)
			if err != nil {
				t.Fatal(err)
			}
			half = &features.Pipeline{Cfg: cfg, State: s}
		}
		whole.Extract(&txns[i], a)
		half.Extract(&txns[i], b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("row %d differs after the snapshot:\n%v\n%v", i, a, b)
		}
		whole.Observe(&txns[i])
		half.Observe(&txns[i])
	}
	if _, err := features.LoadState(strings.NewReader(`{"users":null}`)); err == nil {
		t.Error("an empty state loaded")
	}
}

// Extract does not change the state: extracting twice gives the same.
func TestExtractPure(t *testing.T) {
	txns := simulate(t, 4, 100, 5)
	p := features.New(features.DefaultConfig())
	a := make([]float64, features.NumFeatures)
	b := make([]float64, features.NumFeatures)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range txns {
		p.Extract(&txns[i], a)
		if r.IntN(3) == 0 { // some other transaction is looked at meanwhile
			p.Extract(&txns[r.IntN(len(txns))], b)
		}
		p.Extract(&txns[i], b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("row %d: extract changed the state", i)
		}
		p.Observe(&txns[i])
	}
}

func TestReaderEOF(t *testing.T) {
	rd, err := features.NewReader(strings.NewReader(header))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want EOF", err)
	}
}

func TestPrune(t *testing.T) {
	p := features.New(features.DefaultConfig())
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	old := features.Txn{TS: at, ID: "1", Type: features.TypeP2P, UserID: "old", Counterparty: "p1", Amount: 100, Currency: "CNY", DeviceID: "d1"}
	recent := features.Txn{TS: at.Add(48 * time.Hour), ID: "2", Type: features.TypeP2P, UserID: "new", Counterparty: "p2", Amount: 100, Currency: "CNY", DeviceID: "d2"}
	p.Observe(&old)
	p.Observe(&recent)
	p.State.Prune(24 * 3600)
	s := p.State
	if s.Users["old"] != nil || s.Parties["p1"] != nil || s.Devices["d1"] != nil {
		t.Error("idle entries kept")
	}
	if s.Users["new"] == nil || s.Parties["p2"] == nil || s.Devices["d2"] == nil {
		t.Error("recent entries forgotten")
	}
}
