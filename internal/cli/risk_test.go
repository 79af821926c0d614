package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// slt sim, then slt risk train, replay and eval on what it wrote.
func TestSimTrainReplayEval(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if code, _, e := run(t, "sim", "--seed", "3", "--users", "200", "--days", "10", "--incidents", "10", "--fraud-from", "2",
		"--out", p("t.csv"), "--labels", p("l.csv")); code != 0 {
		t.Fatalf("sim: %d %s", code, e)
	}
	code, out, e := run(t, "risk", "train", "--in", p("t.csv"), "--labels", p("l.csv"), "--out", p("m.json"), "--trees", "30")
	if code != 0 || !strings.HasPrefix(out, "gbt-") {
		t.Fatalf("train: %d %q %s", code, out, e)
	}
	if code, _, e := run(t, "risk", "replay", "--in", p("t.csv"), "--model", p("m.json"), "--out", p("s.csv")); code != 0 {
		t.Fatalf("replay: %d %s", code, e)
	}
	txns, _ := os.ReadFile(p("t.csv"))
	scores, _ := os.ReadFile(p("s.csv"))
	if !strings.HasPrefix(string(scores), "txn_id,score,decision\n") || bytes.Count(scores, []byte("\n")) != bytes.Count(txns, []byte("\n")) {
		t.Fatalf("scores file: %.80q, %d lines for %d", scores, bytes.Count(scores, []byte("\n")), bytes.Count(txns, []byte("\n")))
	}
	code, out, e = run(t, "risk", "eval", "--scores", p("s.csv"), "--labels", p("l.csv"))
	if code != 0 || !strings.Contains(out, "ROC-AUC") || !strings.Contains(out, "promo_abuse") {
		t.Fatalf("eval: %d %s %s", code, out, e)
	}
	// The server takes the model (and a candidate in shadow): it decides
	// money-outs within its budget.
	srv := &ServeCmd{RiskModel: p("m.json"), RiskShadow: p("m.json"), RiskVelocity: []int{30, 120}, RiskNewDevice: 10 * time.Minute}
	a, stats, err := srv.assessor()
	if err != nil {
		t.Fatal(err)
	}
	ma, ok := a.(*risk.ModelAssessor)
	if !ok || stats == nil {
		t.Fatalf("assessor %T, shadow %v", a, stats)
	}
	ev := risk.Event{Kind: "p2p", UserID: "u1", Counterparty: "u2", Amount: 1250, Currency: "CNY", At: time.Now(), Device: "d1"}
	if d := ma.Assess(context.Background(), ev); !strings.HasPrefix(d.Model, "gbt-") || d.Score < 0 || d.Score > 1 {
		t.Errorf("decision %+v", d)
	}
	if stats.Count() != 1 || stats.Agreement() != 1 {
		t.Errorf("shadow: %d decisions, agreement %v", stats.Count(), stats.Agreement())
	}
	if _, _, err := (&ServeCmd{RiskShadow: p("m.json"), RiskVelocity: []int{30, 120}}).assessor(); err == nil {
		t.Error("a shadow without a live model was accepted")
	}
	// The rules baseline and the anomaly baseline need no model.
	for _, b := range []string{"rules", "anomaly"} {
		if code, _, e := run(t, "risk", "replay", "--in", p("t.csv"), "--baseline", b, "--out", p(b+".csv")); code != 0 {
			t.Fatalf("replay --baseline %s: %d %s", b, code, e)
		}
	}
}

func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "t.csv")
	os.WriteFile(in, []byte("ts,txn_id,type,user_id,counterparty_id,amount_minor,currency,device_id,ip_country,lat,lon,mcc,new_device_login\n"+
		"2026-01-05T08:00:00Z,t1,payment,u1,m1,1250,CNY,d1,CN,,,5411,0\n"+
		"2026-01-05T08:00:00Z,t2,payment,u1,m1,12.50,CNY,d1,CN,,,5411,0\n"), 0o600)
	code, _, e := run(t, "risk", "replay", "--in", in, "--out", filepath.Join(dir, "s.csv"))
	if code != 1 || !strings.Contains(e, "line 3: amount_minor") {
		t.Fatalf("%d %q", code, e)
	}
	if code, _, e := run(t, "sim", "--mix", "phishing=1", "--out", filepath.Join(dir, "x"), "--labels", filepath.Join(dir, "y")); code == 0 || !strings.Contains(e, "phishing") {
		t.Fatalf("bad mix: %d %q", code, e)
	}
}
