package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/server"
)

// get fetches a path and returns the status and the raw body.
func (s *testServer) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// checkpoint fetches a signed checkpoint and opens it with the key.
func (s *testServer) checkpoint(t *testing.T, key, query string) (ledgerlog.Checkpoint, []byte) {
	t.Helper()
	st, note := s.get(t, "/v1/log/checkpoint"+query)
	if st != 200 {
		t.Fatalf("checkpoint: %d %s", st, note)
	}
	c, err := ledgerlog.OpenCheckpoint(note, key)
	if err != nil {
		t.Fatalf("checkpoint: %v\n%s", err, note)
	}
	return c, note
}

// waitLogged waits until the newest checkpoint covers n leaves.
func (s *testServer) waitLogged(t *testing.T, key string, n uint64) ledgerlog.Checkpoint {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _ := s.checkpoint(t, key, "")
		if c.Size >= n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has %d leaves after 10 s, want %d", c.Size, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLogEndToEnd makes transfers, then verifies the checkpoint and every
// transfer's inclusion proof over HTTP with the public key only; restarts
// the server, and verifies the old proofs and the consistency of the old
// checkpoint with the new one; then audits.
func TestLogEndToEnd(t *testing.T) {
	for name, newDSN := range stores(t) {
		t.Run(name, func(t *testing.T) {
			dsn := newDSN(t)
			s := startServer(t, dsn, func(c *server.Config) { c.LogEvery = 20 * time.Millisecond })
			st, keyText := s.get(t, "/v1/log/key")
			key := strings.TrimSpace(string(keyText))
			if st != 200 || !strings.HasPrefix(key, ledgerlog.DefaultOrigin+"+") {
				t.Fatalf("key: %d %s", st, keyText)
			}
			const op = "test-operator-token"
			a, b := ledger.NewID().String(), ledger.NewID().String()
			s.must(t, 201, "POST", "/v1/ledger/accounts", op, map[string]any{"id": a, "currency": "CNY", "code": 1})
			s.must(t, 201, "POST", "/v1/ledger/accounts", op, map[string]any{"id": b, "currency": "CNY", "code": 1})
			var ids []string
			send := func(n int) {
				var trs []map[string]any
				for range n {
					id := ledger.NewID().String()
					ids = append(ids, id)
					trs = append(trs, map[string]any{"id": id, "debit_account_id": a, "credit_account_id": b, "amount": 100 + len(ids),
						"currency": "CNY", "code": 7, "reference": fmt.Sprintf("order:%d", len(ids))})
				}
				s.must(t, 200, "POST", "/v1/ledger/transfers", op, map[string]any{"transfers": trs})
			}
			send(12)
			send(5)
			// The server's own transfers (if any) are in the log too: wait
			// for ours by their leaves.
			waitLeaf := func(id string) map[string]any {
				deadline := time.Now().Add(10 * time.Second)
				for {
					code, out := s.call(t, "GET", "/v1/log/leaf?transfer_id="+id, "", nil)
					if code == 200 {
						return out
					}
					if code != 404 || out["code"] != "transfer_not_in_log" || time.Now().After(deadline) {
						t.Fatalf("leaf: %d %v", code, out)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			last := waitLeaf(ids[len(ids)-1])
			cp1 := s.waitLogged(t, key, uint64(last["leaf_index"].(float64))+1)
			verifyProofs := func(cp ledgerlog.Checkpoint, query string) {
				t.Helper()
				for i, id := range ids {
					st, body := s.get(t, "/v1/log/inclusion?transfer_id="+id+query)
					if st != 200 {
						t.Fatalf("inclusion %d: %d %s", i, st, body)
					}
					p, err := ledgerlog.ParseInclusionProof(body)
					if err != nil {
						t.Fatal(err)
					}
					tr, err := ledgerlog.VerifyInclusion(p, cp)
					if err != nil {
						t.Fatalf("transfer %d: %v", i, err)
					}
					if tr.ID.String() != id || tr.Amount != int64(101+i) || tr.Reference != fmt.Sprintf("order:%d", i+1) {
						t.Fatalf("transfer %d: %+v", i, tr)
					}
				}
			}
			verifyProofs(cp1, fmt.Sprintf("&tree_size=%d", cp1.Size))

			// Problems with stable codes.
			for _, c := range []struct {
				path   string
				status int
				code   string
			}{
				{"/v1/log/inclusion?transfer_id=nope", 422, "invalid_request"},
				{"/v1/log/inclusion?transfer_id=" + ledger.NewID().String(), 404, "transfer_not_found"},
				{fmt.Sprintf("/v1/log/inclusion?transfer_id=%s&tree_size=%d", ids[0], cp1.Size+1000), 422, "tree_size_beyond_log"},
				{fmt.Sprintf("/v1/log/consistency?from=%d&to=%d", cp1.Size, cp1.Size+1000), 422, "tree_size_beyond_log"},
				{"/v1/log/consistency?from=5&to=2", 422, "invalid_tree_sizes"},
				{"/v1/log/checkpoint?size=999999", 422, "tree_size_beyond_log"},
				{"/v1/log/leaf?transfer_id=" + ledger.NewID().String(), 404, "transfer_not_found"},
			} {
				code, out := s.call(t, "GET", c.path, "", nil)
				if code != c.status || out["code"] != c.code {
					t.Errorf("%s: %d %v, want %d %s", c.path, code, out["code"], c.status, c.code)
				}
			}

			// Restart; more transfers; the old checkpoint is still served,
			// the old proofs still verify, and the new tree extends the old.
			s.stop()
			s = startServer(t, dsn, func(c *server.Config) { c.LogEvery = 20 * time.Millisecond })
			if _, k := s.get(t, "/v1/log/key"); strings.TrimSpace(string(k)) != key {
				t.Fatalf("the key changed across a restart: %s", k)
			}
			old, _ := s.checkpoint(t, key, fmt.Sprintf("?size=%d", cp1.Size))
			if old.Size != cp1.Size || string(old.Root) != string(cp1.Root) {
				t.Fatalf("the old checkpoint changed: %+v", old)
			}
			verifyProofs(cp1, fmt.Sprintf("&tree_size=%d", cp1.Size))
			send(9)
			last = waitLeaf(ids[len(ids)-1])
			cp2 := s.waitLogged(t, key, uint64(last["leaf_index"].(float64))+1)
			verifyProofs(cp2, fmt.Sprintf("&tree_size=%d", cp2.Size))
			st, body := s.get(t, fmt.Sprintf("/v1/log/consistency?from=%d&to=%d", cp1.Size, cp2.Size))
			if st != 200 {
				t.Fatalf("consistency: %d %s", st, body)
			}
			p, err := ledgerlog.ParseConsistencyProof(body)
			if err != nil {
				t.Fatal(err)
			}
			if err := ledgerlog.VerifyConsistency(p, cp1, cp2); err != nil {
				t.Fatal(err)
			}
			// The OpenAPI document lists the log's endpoints.
			_, doc := s.get(t, "/openapi.json")
			for _, path := range []string{"/v1/log/checkpoint", "/v1/log/key", "/v1/log/leaf", "/v1/log/inclusion", "/v1/log/consistency"} {
				if !strings.Contains(string(doc), `"`+path+`"`) {
					t.Errorf("%s is not in the OpenAPI document", path)
				}
			}
			s.stop()
			rep, err := server.AuditLog(context.Background(), dsn, key, nil)
			if err != nil || !rep.OK() || rep.Leaves < uint64(len(ids)) {
				t.Fatalf("audit: %+v %v", rep, err)
			}
		})
	}
}

// TestBillCarriesItsLeaf: a payment's receipt (GET /v1/me/bills/{id} and
// the bill page) carries the transfer's leaf index in the log once it is
// appended, the same the log's own endpoint answers; nobody else reads it.
func TestBillCarriesItsLeaf(t *testing.T) {
	for name, newDSN := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, newDSN(t), func(c *server.Config) { c.LogEvery = 20 * time.Millisecond })
			a, b := funded(t, s)
			tr := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1234, "currency": "CNY", "pin": "285714"})
			id := tr["transfer_id"].(string)
			var bill map[string]any
			deadline := time.Now().Add(10 * time.Second)
			for {
				bill = s.must(t, 200, "GET", "/v1/me/bills/"+id, a.token, nil)
				if bill["log"].(map[string]any)["status"] == "logged" {
					break
				}
				if bill["log"].(map[string]any)["status"] != "pending" || time.Now().After(deadline) {
					t.Fatalf("bill's log: %v", bill["log"])
				}
				time.Sleep(20 * time.Millisecond)
			}
			if bill["amount"] != -1234.0 || bill["id"] != id {
				t.Errorf("bill: %v", bill)
			}
			leaf := s.must(t, 200, "GET", "/v1/log/leaf?transfer_id="+id, "", nil)
			ref := bill["log"].(map[string]any)
			if ref["leaf_index"] != leaf["leaf_index"] || ref["leaf_hash"] != leaf["leaf_hash"] {
				t.Errorf("the bill's leaf %v, the log's %v", ref, leaf)
			}
			// The payee's bill is the same transfer, the same leaf.
			if got := s.must(t, 200, "GET", "/v1/me/bills/"+id, b.token, nil)["log"].(map[string]any)["leaf_index"]; got != leaf["leaf_index"] {
				t.Errorf("the payee's bill: leaf %v", got)
			}
			c := s.newPerson(t, "+8613700137003", "张三")
			if st, o := s.call(t, "GET", "/v1/me/bills/"+id, c.token, nil); st != 404 {
				t.Errorf("someone else's bill: %d %v", st, o)
			}
			for _, bad := range []string{"not-an-id", "01900000-0000-7000-8000-000000000000"} {
				if st, o := s.call(t, "GET", "/v1/me/bills/"+bad, a.token, nil); st != 404 || o["code"] == nil {
					t.Errorf("bill %q: %d %v", bad, st, o)
				}
			}
			if st, _ := s.call(t, "GET", "/v1/me/bills/"+id, "", nil); st != 401 {
				t.Errorf("anonymous: %d", st)
			}
			br := newBrowser(t, s.url)
			br.login(a.phone, testPassword)
			want := fmt.Sprintf(`<span id="bill-leaf">#%d</span>`, int64(leaf["leaf_index"].(float64)))
			must200(t, br, "/app/bills/"+id, want, "/v1/log/inclusion?transfer_id="+id)
		})
	}
}
