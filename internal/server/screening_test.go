package server_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/screening"
	"github.com/shiliantong/shiliantong/internal/server"
)

// loadLists loads the screening fixtures (OFAC SDN and UN excerpts) into
// the database before the server starts.
func loadLists(t *testing.T, dsn string) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile("../screening/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sdn, alt, un := read("sdn.csv"), read("alt.csv"), read("un.xml")
	ofac, err := screening.ParseSDN(bytes.NewReader(sdn), bytes.NewReader(alt))
	if err != nil {
		t.Fatal(err)
	}
	unl, err := screening.ParseUN(bytes.NewReader(un))
	if err != nil {
		t.Fatal(err)
	}
	err = server.LoadScreeningLists(context.Background(), dsn, nil, []server.ScreeningList{
		{Source: screening.SourceOFAC, Entries: ofac, Raw: append(sdn, alt...)},
		{Source: screening.SourceUN, Entries: unl, Raw: un}})
	if err != nil {
		t.Fatal(err)
	}
}

// Sanctions screening at registration, before a transfer to a payee, and
// at a merchant's approval: a hit opens a case in the review queue and
// holds its subject until an operator decides; a cleared case releases
// it and is not raised again; a confirmed one keeps the hold.
func TestScreeningHoldsUntilDecided(t *testing.T) {
	for name, newDSN := range stores(t) {
		t.Run(name, func(t *testing.T) {
			dsn := newDSN(t)
			loadLists(t, dsn)
			s := startServer(t, dsn, lenientRisk)
			const op = "test-operator-token"
			a, b := funded(t, s)
			if cs := s.must(t, 200, "GET", "/v1/operator/cases", op, nil)["cases"].([]any); len(cs) != 0 {
				t.Fatalf("customers with ordinary names opened cases: %v", cs)
			}
			lists := s.must(t, 200, "GET", "/v1/operator/screening/lists", op, nil)["lists"].([]any)
			if len(lists) != 2 || lists[0].(map[string]any)["entries"] != 10.0 {
				t.Errorf("lists: %v", lists)
			}

			// A listed name, spelt otherwise and reordered, registers.
			x := s.newPerson(t, "+8613600136006", "Dmitri Horoshev")
			cs := s.must(t, 200, "GET", "/v1/operator/cases?status=open", op, nil)["cases"].([]any)
			if len(cs) != 1 {
				t.Fatalf("cases after the registration: %v", cs)
			}
			c := cs[0].(map[string]any)
			ev := c["evidence"].(map[string]any)
			if c["kind"] != "screening" || c["subject_id"] != x.id || ev["entry"].(map[string]any)["ref"] != "48603" || ev["context"] != "registration" {
				t.Errorf("case: %v", c)
			}
			// Their outflows are frozen, and paying them is refused.
			if st, o := s.call(t, "POST", "/v1/transfers", x.token, map[string]any{"to": a.phone, "amount": 1, "currency": "CNY", "pin": "285714"}); st != 403 || o["code"] != "account_frozen" {
				t.Errorf("the held user paid: %d %v", st, o["code"])
			}
			before := s.available(t, a, "CNY")
			if st, o := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": x.phone, "amount": 500, "currency": "CNY", "pin": "285714"}); st != 403 || o["code"] != "payee_under_review" {
				t.Errorf("paying the held user: %d %v", st, o["code"])
			}
			if got := s.available(t, a, "CNY"); got != before {
				t.Errorf("a refused transfer moved money: %d → %d", before, got)
			}
			// Users do not see the queue.
			if st, _ := s.call(t, "GET", "/v1/operator/cases", a.token, nil); st != 401 {
				t.Errorf("a user read the queue: %d", st)
			}
			id := c["id"].(string)
			if st, o := s.call(t, "POST", "/v1/operator/cases/"+id+"/decide", op, map[string]any{"decision": "clear"}); st != 422 {
				t.Errorf("a decision without a note: %d %v", st, o)
			}
			d := s.must(t, 200, "POST", "/v1/operator/cases/"+id+"/decide", op, map[string]any{"decision": "clear", "note": "date of birth 1990, not the listed person"})
			if d["status"] != "cleared" || d["note"] == "" || d["decided_at"] == nil {
				t.Errorf("decided: %v", d)
			}
			if st, o := s.call(t, "POST", "/v1/operator/cases/"+id+"/decide", op, map[string]any{"decision": "confirm", "note": "again"}); st != 409 || o["code"] != "case_decided" {
				t.Errorf("decided twice: %d %v", st, o["code"])
			}
			// Released: paying them works, and the cleared hit is not raised again.
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": x.phone, "amount": 500, "currency": "CNY", "pin": "285714"})
			s.must(t, 201, "POST", "/v1/transfers", x.token, map[string]any{"to": a.phone, "amount": 100, "currency": "CNY", "pin": "285714"})
			if cs := s.must(t, 200, "GET", "/v1/operator/cases?status=open", op, nil)["cases"].([]any); len(cs) != 0 {
				t.Errorf("open cases after the release: %v", cs)
			}

			// A merchant whose legal name is listed is not approved while
			// its case is open or confirmed.
			m := s.must(t, 201, "POST", "/v1/merchants", b.token, map[string]any{"name": "Iran Aircraft Manufacturing Industries", "display_name": "HESA Shop",
				"mcc": "5411", "country": "CN", "city": "Beijing"})
			if st, o := s.call(t, "POST", "/v1/operator/merchants/"+m["id"].(string)+"/approve", op, nil); st != 409 || o["code"] != "screening_hold" {
				t.Errorf("approving a held merchant: %d %v", st, o["code"])
			}
			mc := s.must(t, 200, "GET", "/v1/operator/cases?status=open", op, nil)["cases"].([]any)
			if len(mc) != 1 || mc[0].(map[string]any)["subject_kind"] != "merchant" {
				t.Fatalf("merchant case: %v", mc)
			}
			s.must(t, 200, "POST", "/v1/operator/cases/"+mc[0].(map[string]any)["id"].(string)+"/decide", op, map[string]any{"decision": "confirm", "note": "the listed company's trading name"})
			if st, o := s.call(t, "POST", "/v1/operator/merchants/"+m["id"].(string)+"/approve", op, nil); st != 409 || o["code"] != "screening_hold" {
				t.Errorf("approving a confirmed merchant: %d %v", st, o["code"])
			}
			// An operator's look-up records nothing.
			hits := s.must(t, 200, "POST", "/v1/operator/screening/check", op, map[string]any{"name": "Jerome Kakwavu"})["hits"].([]any)
			if len(hits) != 1 || hits[0].(map[string]any)["ref"] != "CDi.005" {
				t.Errorf("check: %v", hits)
			}
			if all := s.must(t, 200, "GET", "/v1/operator/cases", op, nil)["cases"].([]any); len(all) != 2 {
				t.Errorf("cases: %d, want 2", len(all))
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// The console's review queue: an operator sees the hit with its reason
// and clears it with a note from the page; a user can not reach the page.
func TestScreeningCaseInTheConsole(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "slt.db")
	loadLists(t, dsn)
	withOperator(t, dsn)
	s := startServer(t, dsn, lenientRisk)
	x := s.newPerson(t, "+8613600136007", "Sultani Makenga")
	a := s.newPerson(t, "+8613600136008", "李四")
	// One browser, two accounts: the case shows the other as linked.
	shared := newBrowser(t, s.url)
	shared.login(x.phone, testPassword)
	shared.post("/app/settings", "/logout", url.Values{})
	shared.login(a.phone, testPassword)

	b := newBrowser(t, s.url)
	b.login(operatorPhone, operatorPassword)
	list := must200(t, b, "/console/cases", "Sultani Makenga", "CDi.008")
	m := regexp.MustCompile(`href="/console/cases/([0-9a-f-]{36})"`).FindStringSubmatch(list)
	if m == nil {
		t.Fatal("no case in the queue")
	}
	page := must200(t, b, "/console/cases/"+m[1], "sultani=sultani", "un-consolidated", `action="/console/cases/`+m[1]+`/decide"`)
	if linked := regexp.MustCompile(`(?s)<ul class="small" id="case-linked">.*?</ul>`).FindString(page); !strings.Contains(linked, "李四") {
		t.Errorf("the account sharing the browser is not linked: %s", linked)
	}
	if resp, _ := b.post("/console/cases/"+m[1], "/console/cases/"+m[1]+"/decide", url.Values{"decision": {"clear"}}); resp.StatusCode != 422 {
		t.Errorf("a decision without a note: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/console/cases/"+m[1], "/console/cases/"+m[1]+"/decide", url.Values{"decision": {"clear"}, "note": {"a namesake, born 2001"}}); resp.StatusCode != 303 {
		t.Fatalf("decide: %d", resp.StatusCode)
	}
	must200(t, b, "/console/cases/"+m[1], "a namesake, born 2001")
	must200(t, b, "/console/cases?status=cleared", "Sultani Makenga")
	// Released: the user can pay again (their outflows were frozen).
	if st, o := s.call(t, "POST", "/v1/transfers", x.token, map[string]any{"to": a.phone, "amount": 1, "currency": "CNY", "pin": "285714"}); st == 403 {
		t.Errorf("still frozen after the case was cleared: %v", o)
	}
	u := newBrowser(t, s.url)
	u.login(x.phone, testPassword)
	if resp, _ := u.get("/console/cases"); resp.StatusCode == 200 {
		t.Error("a user opened the review queue")
	}
}
