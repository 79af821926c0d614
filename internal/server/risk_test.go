package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/risk/model"
	"github.com/shiliantong/shiliantong/internal/server"
)

// bigIsRisky is a model for the test: a payment of 300.00 or more
// scores 0.99 (above the deny line: a hold), anything else 0.01.
type bigIsRisky struct{}

func (bigIsRisky) Decide(t *features.Txn, _ []float64) model.Verdict {
	if t.Amount >= 300_00 {
		return model.Verdict{Score: 0.99, Decision: model.Deny, Reasons: []string{"far above this user's usual amounts"}}
	}
	return model.Verdict{Score: 0.01, Decision: model.Allow}
}
func (bigIsRisky) Name() string { return "test-model-1" }

// A model's decision on every money-out is kept beside it (score,
// reasons, model version); a hold opens a review case and refuses until
// an operator clears it (then the payer's retry goes through) or confirms
// it (the payer's outflows freeze); the decisions and the outcomes come
// back out as the model's training files.
func TestRiskModelHoldsForReview(t *testing.T) {
	for name, newDSN := range stores(t) {
		t.Run(name, func(t *testing.T) {
			withModel := func(c *server.Config) {
				lenientRisk(c)
				mc := risk.DefaultModelConfig()
				mc.Rules.NewDeviceFor, mc.Rules.NewUserFor = 0, 0
				c.Risk = risk.NewModelAssessor(bigIsRisky{}, mc)
			}
			s := startServer(t, newDSN(t), withModel)
			const op = "test-operator-token"
			a, b := funded(t, s)
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 50_00, "currency": "CNY", "pin": "285714"})
			before := s.available(t, a, "CNY")
			big := map[string]any{"to": b.phone, "amount": 300_00, "currency": "CNY", "pin": "285714"}
			st, o := s.call(t, "POST", "/v1/transfers", a.token, big, "Idempotency-Key", "big-1")
			if st != 403 || o["code"] != "held_for_review" {
				t.Fatalf("a risky transfer: %d %v", st, o)
			}
			if got := s.available(t, a, "CNY"); got != before {
				t.Errorf("a held transfer moved money: %d → %d", before, got)
			}
			cs := waitCases(t, s, "/v1/operator/cases?kind=risk", 1)
			c := cs[0].(map[string]any)
			ev := c["evidence"].(map[string]any)
			if c["subject_id"] != a.id || ev["model"] != "test-model-1" || ev["score"] != 0.99 || ev["amount"] != 30_000.0 {
				t.Errorf("case: %v", c)
			}
			if st, o := s.call(t, "POST", "/v1/transfers", a.token, big, "Idempotency-Key", "big-2"); st != 403 || o["code"] != "held_for_review" || o["case"] != c["id"] {
				t.Errorf("a retry before the review: %d %v", st, o)
			}
			s.must(t, 200, "POST", "/v1/operator/cases/"+c["id"].(string)+"/decide", op, map[string]any{"decision": "clear", "note": "called the user: it was the rent"})
			s.must(t, 201, "POST", "/v1/transfers", a.token, big, "Idempotency-Key", "big-3")
			if got := s.available(t, a, "CNY"); got != before-300_00 {
				t.Errorf("after the release: %d, want %d", got, before-300_00)
			}

			// Another payee the same day: held again; confirmed as fraud,
			// the payer's outflows stop.
			c3 := s.newPerson(t, "+8613700137010", "孙八")
			if st, _ := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": c3.phone, "amount": 350_00, "currency": "CNY", "pin": "285714"}); st != 403 {
				t.Fatalf("a second risky transfer: %d", st)
			}
			open := waitCases(t, s, "/v1/operator/cases?kind=risk&status=open", 1)
			s.must(t, 200, "POST", "/v1/operator/cases/"+open[0].(map[string]any)["id"].(string)+"/decide", op, map[string]any{"decision": "confirm", "note": "the user did not make it: account taken over"})
			if st, o := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1_00, "currency": "CNY", "pin": "285714"}); st != 403 || o["code"] != "account_frozen" {
				t.Errorf("after a confirmed hold: %d %v", st, o["code"])
			}

			// The training files: every decision, parseable by the model's
			// reader; the two reviewed ones labelled.
			day := time.Now().UTC().Format(time.DateOnly)
			next := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
			var txns []features.Txn
			deadline := time.Now().Add(5 * time.Second)
			for len(txns) < 6 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				rd, err := features.NewReader(strings.NewReader(opGet(t, s, "/v1/operator/risk/transactions?from="+day+"&to="+next)))
				if err != nil {
					t.Fatal(err)
				}
				txns = txns[:0]
				for {
					tx, err := rd.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					txns = append(txns, tx)
				}
			}
			// 50.00, held, held again, released, the second payee, and the
			// frozen payer's try (assessed, then refused by the freeze).
			if len(txns) != 6 {
				t.Fatalf("%d decisions exported, want 6: %v", len(txns), txns)
			}
			if tx := txns[1]; tx.Amount != 300_00 || tx.Type != "p2p" || tx.UserID != a.id || tx.DeviceID == "" {
				t.Errorf("the held decision: %+v", tx)
			}
			labels := opGet(t, s, "/v1/operator/risk/labels?from="+day+"&to="+next)
			if !strings.HasPrefix(labels, "txn_id,is_fraud,typology\n") || strings.Count(labels, "\n") != 3 ||
				!strings.Contains(labels, ",0,review_cleared") || !strings.Contains(labels, ",1,review_confirmed") {
				t.Errorf("labels:\n%s", labels)
			}
			if st, _ := s.call(t, "GET", "/v1/operator/risk/labels?from="+day+"&to="+next, a.token, nil); st != 401 {
				t.Errorf("a user read the labels: %d", st)
			}
		})
	}
}

func opGet(t *testing.T, s *testServer, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer test-operator-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}
