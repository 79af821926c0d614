package server_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
)

// testImage encodes a small picture as PNG or JPEG.
func testImage(t *testing.T, format string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for x := range 24 {
		img.Set(x, x%16, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// getRaw fetches a URL with a token and returns the status, headers and
// body.
func getRaw(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func timeline(c map[string]any) []any { return c["timeline"].([]any) }

// A ticket on a merchant payment: the merchant answers with an image,
// the operators refund part, then the rest on a second ticket; deciding
// twice pays once; strangers see nothing; bad images are refused and
// leave nothing behind.
func TestDisputeMerchantRefundJourney(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			stranger := s.newPerson(t, "+8613700137021", "张三")
			const op = "test-operator-token"
			_, pos := merchantFor(t, s, owner)
			_, other := merchantFor(t, s, payer) // another merchant
			_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "D-1", "amount": 5000, "currency": "CNY"}, nil)
			paid := s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			bill := paid["transfer_id"].(string)

			pngImg := testImage(t, "png")
			d := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "not_received",
				"description": "两周了还没收到货", "images": [][]byte{pngImg}})
			id := d["id"].(string)
			if d["status"] != "awaiting_merchant" || d["amount"] != 5000.0 || d["kind"] != "payment" || d["attachments"] != 1.0 {
				t.Fatalf("ticket: %v", d)
			}
			if st, e := s.call(t, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "wrong_amount"}); st != 409 || e["code"] != "dispute_open" {
				t.Errorf("a second open ticket on the bill: %d %v", st, e["code"])
			}
			if st, e := s.call(t, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "because"}); st != 422 {
				t.Errorf("a reason not on the list: %d %v", st, e["code"])
			}
			// Nobody else sees it: not the stranger, not the merchant's owner
			// as a wallet user, not another merchant.
			for who, tok := range map[string]string{"a stranger": stranger.token, "the owner's wallet": owner.token} {
				if st, _ := s.call(t, "GET", "/v1/me/disputes/"+id, tok, nil); st != 404 {
					t.Errorf("%s read the ticket: %d", who, st)
				}
				if st, _ := s.call(t, "POST", "/v1/me/disputes/"+id+"/messages", tok, map[string]any{"text": "hi"}); st != 404 {
					t.Errorf("%s wrote on the ticket: %d", who, st)
				}
				if st, _ := s.call(t, "POST", "/v1/me/disputes/"+id+"/withdraw", tok, nil); st != 404 {
					t.Errorf("%s withdrew the ticket: %d", who, st)
				}
			}
			if st, _ := other.do(t, "GET", "/v1/merchant/disputes/"+id, nil, nil); st != 404 {
				t.Errorf("another merchant read the ticket: %d", st)
			}
			if _, l := other.do(t, "GET", "/v1/merchant/disputes", nil, nil); len(l["disputes"].([]any)) != 0 {
				t.Errorf("another merchant's list: %v", l["_raw"])
			}
			if st, _ := other.do(t, "POST", "/v1/merchant/disputes/"+id+"/messages", map[string]any{"text": "not ours"}, nil); st != 404 {
				t.Errorf("another merchant answered the ticket: %d", st)
			}
			// Someone else's bill is no ticket of theirs.
			if st, _ := s.call(t, "POST", "/v1/me/disputes", stranger.token, map[string]any{"transfer_id": bill, "reason": "unauthorised"}); st != 404 {
				t.Errorf("a stranger opened a ticket on the payer's bill: %d", st)
			}

			// The merchant answers with a photo: the ticket goes to the operators.
			if _, l := pos.do(t, "GET", "/v1/merchant/disputes?status=open", nil, nil); len(l["disputes"].([]any)) != 1 {
				t.Fatalf("the merchant's open tickets: %v", l["_raw"])
			}
			st, c := pos.do(t, "POST", "/v1/merchant/disputes/"+id+"/messages", map[string]any{"text": "已发货，快递单号见图", "images": [][]byte{testImage(t, "jpeg")}}, nil)
			if st != 201 || c["status"] != "awaiting_operator" || len(timeline(c)) != 2 {
				t.Fatalf("answer: %d %v", st, c["_raw"])
			}
			answer := timeline(c)[1].(map[string]any)
			img := answer["attachments"].([]any)[0].(map[string]any)
			if answer["author"] != "merchant" || img["content_type"] != "image/jpeg" {
				t.Errorf("the answer: %v", answer)
			}
			// The payer sees the merchant's image, served as what it is.
			mine := s.must(t, 200, "GET", "/v1/me/disputes/"+id, payer.token, nil)
			url := timeline(mine)[1].(map[string]any)["attachments"].([]any)[0].(map[string]any)["url"].(string)
			code, h, body := getRaw(t, s.url+url, payer.token)
			if code != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(h.Get("Content-Disposition"), "inline; filename=") || !bytes.HasPrefix(body, []byte{0xff, 0xd8}) {
				t.Errorf("the image: %d %v", code, h)
			}
			for who, tok := range map[string]string{"a stranger": stranger.token, "anonymous": ""} {
				if code, _, _ := getRaw(t, s.url+url, tok); code != 404 && code != 401 {
					t.Errorf("%s fetched the image: %d", who, code)
				}
			}
			if code, _, _ := getRaw(t, s.url+strings.Replace(url, "/v1/me/", "/v1/operator/", 1), op); code != 200 {
				t.Errorf("the operator fetched the image: %d", code)
			}
			// Bad images: refused, nothing stored.
			for what, img := range map[string][]byte{
				"HTML called an image":   []byte("<html><script>alert(1)</script></html>"),
				"a GIF":                  []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
				"a truncated PNG":        pngImg[:20],
				"a PNG over the limit":   append(append([]byte{}, pngImg...), make([]byte, 2<<20)...),
				"an SVG with a PNG name": []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
			} {
				st, e := s.call(t, "POST", "/v1/me/disputes/"+id+"/messages", payer.token, map[string]any{"text": "see", "images": [][]byte{pngImg, img}})
				if st < 400 || st >= 500 {
					t.Errorf("%s: %d %v", what, st, e["code"])
				}
			}
			if after := s.must(t, 200, "GET", "/v1/me/disputes/"+id, payer.token, nil); len(timeline(after)) != 2 || after["attachments"] != 2.0 {
				t.Errorf("after the refused images: %d entries, %v images", len(timeline(after)), after["attachments"])
			}

			// The operators decide: the rules first.
			if q := s.must(t, 200, "GET", "/v1/operator/disputes", op, nil)["disputes"].([]any); len(q) != 1 || q[0].(map[string]any)["id"] != id {
				t.Errorf("queue: %v", q)
			}
			decide := func(body map[string]any) (int, map[string]any) {
				return s.call(t, "POST", "/v1/operator/disputes/"+id+"/decide", op, body)
			}
			if st, e := decide(map[string]any{"decision": "reject"}); st != 422 || e["code"] != "decision_reason_required" {
				t.Errorf("a rejection without reasons: %d %v", st, e["code"])
			}
			if st, e := decide(map[string]any{"decision": "insurance"}); st != 422 || e["code"] != "not_claimable" {
				t.Errorf("insurance for goods not received: %d %v", st, e["code"])
			}
			if st, e := decide(map[string]any{"decision": "refund", "amount": 5001}); st != 422 || e["code"] != "refund_exceeds_paid" {
				t.Errorf("a refund beyond the payment: %d %v", st, e["code"])
			}
			if st, _ := s.call(t, "POST", "/v1/operator/disputes/"+id+"/decide", payer.token, map[string]any{"decision": "refund"}); st != 401 {
				t.Errorf("a user decided: %d", st)
			}
			before := s.available(t, payer, "CNY")
			if st, r := decide(map[string]any{"decision": "refund", "amount": 2000, "reason": "partial: one item missing"}); st != 200 || r["status"] != "resolved" || r["paid"] != 2000.0 {
				t.Fatalf("refund: %d %v", st, r["_raw"])
			}
			if got := s.available(t, payer, "CNY"); got != before+2000 {
				t.Errorf("after the refund the payer has %d, want %d", got, before+2000)
			}
			for range 2 {
				if st, e := decide(map[string]any{"decision": "refund", "amount": 2000}); st != 409 || e["code"] != "dispute_decided" {
					t.Errorf("decided again: %d %v", st, e["code"])
				}
			}
			if got := s.available(t, payer, "CNY"); got != before+2000 {
				t.Errorf("deciding again moved money: %d, want %d", got, before+2000)
			}
			if st, e := s.call(t, "POST", "/v1/me/disputes/"+id+"/messages", payer.token, map[string]any{"text": "thanks"}); st != 409 || e["code"] != "dispute_closed" {
				t.Errorf("a message on a decided ticket: %d %v", st, e["code"])
			}
			// A second ticket on the same bill: all that is left (3,000).
			d2 := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "refund_not_arrived"})
			id2 := d2["id"].(string)
			if st, r := s.call(t, "POST", "/v1/operator/disputes/"+id2+"/decide", op, map[string]any{"decision": "refund"}); st != 200 || r["paid"] != 3000.0 {
				t.Fatalf("refund the rest: %d %v", st, r["_raw"])
			}
			if got := s.available(t, payer, "CNY"); got != before+5000 {
				t.Errorf("after both refunds the payer has %d, want %d", got, before+5000)
			}
			if _, q := pos.do(t, "GET", "/v1/merchant/orders/D-1", nil, nil); q["status"] != "REFUND" {
				t.Errorf("order status %v", q["status"])
			}
			// Nothing left to refund: a third ticket is rejected, a fourth withdrawn.
			d3 := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "wrong_amount"})
			if st, e := s.call(t, "POST", "/v1/operator/disputes/"+d3["id"].(string)+"/decide", op, map[string]any{"decision": "refund"}); st != 422 || e["code"] != "refund_exceeds_paid" {
				t.Errorf("a refund of a refunded order: %d %v", st, e["code"])
			}
			r3 := s.must(t, 200, "POST", "/v1/operator/disputes/"+d3["id"].(string)+"/decide", op, map[string]any{"decision": "reject", "reason": "已全额退款"})
			if r3["status"] != "rejected" || r3["decision_note"] != "已全额退款" {
				t.Errorf("rejection: %v", r3)
			}
			d4 := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": bill, "reason": "wrong_amount"})
			if w := s.must(t, 200, "POST", "/v1/me/disputes/"+d4["id"].(string)+"/withdraw", payer.token, nil); w["status"] != "closed" {
				t.Errorf("withdrawn: %v", w)
			}
			if st, e := s.call(t, "POST", "/v1/me/disputes/"+d4["id"].(string)+"/withdraw", payer.token, nil); st != 409 || e["code"] != "dispute_closed" {
				t.Errorf("withdrawn twice: %d %v", st, e["code"])
			}
			if l := s.must(t, 200, "GET", "/v1/me/disputes", payer.token, nil)["disputes"].([]any); len(l) != 4 {
				t.Errorf("%d tickets, want 4", len(l))
			}
			// Every decision is in the audit trail.
			for _, action := range []string{"dispute_opened", "dispute_refunded", "dispute_rejected", "dispute_withdrawn"} {
				if es := s.must(t, 200, "GET", "/v1/operator/audit?action="+action, op, nil)["entries"].([]any); len(es) == 0 {
					t.Errorf("no %s in the audit trail", action)
				}
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// A ticket on a transfer goes straight to the operators; the user's
// account-security insurance pays it back, once; without a policy it is
// a clear 422; money received is not disputable.
func TestDisputeInsuranceClaim(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			a, b := funded(t, s)
			const op = "test-operator-token"
			s.must(t, 201, "POST", "/v1/me/insurance", a.token, map[string]any{"pin": "285714"})
			stolen := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 2500, "currency": "CNY", "pin": "285714"})
			tid := stolen["transfer_id"].(string)
			if st, e := s.call(t, "POST", "/v1/me/disputes", b.token, map[string]any{"transfer_id": tid, "reason": "wrong_amount"}); st != 422 || e["code"] != "not_disputable" {
				t.Errorf("the payee disputed money received: %d %v", st, e["code"])
			}
			d := s.must(t, 201, "POST", "/v1/me/disputes", a.token, map[string]any{"transfer_id": tid, "reason": "unauthorised", "description": "手机丢了"})
			id := d["id"].(string)
			if d["status"] != "awaiting_operator" || d["kind"] != "transfer" {
				t.Fatalf("ticket: %v", d)
			}
			if st, _ := s.call(t, "GET", "/v1/me/disputes/"+id, b.token, nil); st != 404 {
				t.Errorf("the payee read the ticket: %d", st)
			}
			if st, e := s.call(t, "POST", "/v1/operator/disputes/"+id+"/decide", op, map[string]any{"decision": "refund"}); st != 422 || e["code"] != "not_refundable" {
				t.Errorf("a merchant refund of a transfer: %d %v", st, e["code"])
			}
			before := s.available(t, a, "CNY")
			r := s.must(t, 200, "POST", "/v1/operator/disputes/"+id+"/decide", op, map[string]any{"decision": "insurance", "reason": "登录地异常"})
			if r["status"] != "resolved" || r["decision"] != "insurance" || r["paid"] != 2500.0 || r["claim_id"] == "" {
				t.Fatalf("insurance: %v", r)
			}
			if got := s.available(t, a, "CNY"); got != before+2500 {
				t.Errorf("after the claim the wallet has %d, want %d", got, before+2500)
			}
			if st, e := s.call(t, "POST", "/v1/operator/disputes/"+id+"/decide", op, map[string]any{"decision": "insurance"}); st != 409 || e["code"] != "dispute_decided" {
				t.Errorf("decided again: %d %v", st, e["code"])
			}
			if got := s.available(t, a, "CNY"); got != before+2500 {
				t.Errorf("deciding again paid again: %d", got)
			}
			if c := s.must(t, 200, "GET", "/v1/operator/insurance/claims/"+r["claim_id"].(string), op, nil)["claim"].(map[string]any); c["status"] != "paid" {
				t.Errorf("the claim: %v", c)
			}
			// b has no policy: a clear 422, and the ticket stays open.
			back := s.must(t, 201, "POST", "/v1/transfers", b.token, map[string]any{"to": a.phone, "amount": 700, "currency": "CNY", "pin": "285714"})
			d2 := s.must(t, 201, "POST", "/v1/me/disputes", b.token, map[string]any{"transfer_id": back["transfer_id"], "reason": "unauthorised"})
			if st, e := s.call(t, "POST", "/v1/operator/disputes/"+d2["id"].(string)+"/decide", op, map[string]any{"decision": "insurance"}); st != 422 || e["code"] != "not_insured" {
				t.Errorf("insurance without a policy: %d %v", st, e["code"])
			}
			if g := s.must(t, 200, "GET", "/v1/me/disputes/"+d2["id"].(string), b.token, nil); g["status"] != "awaiting_operator" {
				t.Errorf("after the refused claim: %v", g["status"])
			}
			if es := s.must(t, 200, "GET", "/v1/operator/audit?action=dispute_insured", op, nil)["entries"].([]any); len(es) != 1 {
				t.Errorf("%d dispute_insured entries", len(es))
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

func withClock(c *testClock) func(*server.Config) {
	return func(cfg *server.Config) {
		lenientRisk(cfg)
		cfg.Wallet.Now = c.Now
		cfg.DisputeSweepEvery = 20 * time.Millisecond
	}
}

// The deadlines: the merchant is reminded before its deadline, a ticket
// it leaves unanswered passes to the operators, and one they leave
// undecided is marked overdue and heads their queue.
func TestDisputeDeadlines(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			clock := &testClock{}
			s := startServer(t, dsn(t), withClock(clock))
			payer, owner := funded(t, s)
			const op = "test-operator-token"
			_, pos := merchantFor(t, s, owner)
			_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "SLA-1", "amount": 1800, "currency": "CNY"}, nil)
			paid := s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			d := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": paid["transfer_id"], "reason": "not_received"})
			id := d["id"].(string)
			due, _ := time.Parse(time.RFC3339, d["due_at"].(string))
			if left := time.Until(due); left < 47*time.Hour || left > 49*time.Hour {
				t.Errorf("the merchant's deadline is %v away, want 48 h", left)
			}
			wait := func(what string, ok func(map[string]any) bool) map[string]any {
				t.Helper()
				deadline := time.Now().Add(10 * time.Second)
				for {
					c := s.must(t, 200, "GET", "/v1/operator/disputes/"+id, op, nil)
					if ok(c) {
						return c
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s: the ticket is %v", what, c["_raw"])
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			hasEntry := func(kind string) func(map[string]any) bool {
				return func(c map[string]any) bool {
					for _, e := range timeline(c) {
						if e.(map[string]any)["kind"] == kind {
							return true
						}
					}
					return false
				}
			}
			notified := func(p person, kind string) bool {
				for _, n := range s.must(t, 200, "GET", "/v1/me/notifications", p.token, nil)["notifications"].([]any) {
					if n.(map[string]any)["kind"] == kind {
						return true
					}
				}
				return false
			}
			time.Sleep(100 * time.Millisecond)
			if c := s.must(t, 200, "GET", "/v1/operator/disputes/"+id, op, nil); len(timeline(c)) != 1 {
				t.Fatalf("the sweep acted before any deadline: %v", c["_raw"])
			}
			// 37 h on: less than 12 h left, the merchant is reminded (once).
			clock.move(37 * time.Hour)
			wait("reminder", hasEntry("reminded"))
			time.Sleep(100 * time.Millisecond)
			c := s.must(t, 200, "GET", "/v1/operator/disputes/"+id, op, nil)
			if len(timeline(c)) != 2 || c["status"] != "awaiting_merchant" {
				t.Errorf("after the reminder: %v", c["_raw"])
			}
			deadlineFor := func(kind string, p person) {
				t.Helper()
				end := time.Now().Add(5 * time.Second)
				for !notified(p, kind) {
					if time.Now().After(end) {
						t.Errorf("no %s notification", kind)
						return
					}
					time.Sleep(30 * time.Millisecond)
				}
			}
			deadlineFor("dispute_reminder", owner)
			// 49 h on: the merchant missed it; the operators take over.
			clock.move(49 * time.Hour)
			c = wait("escalation", func(c map[string]any) bool { return c["status"] == "awaiting_operator" })
			if c["merchant_overdue"] != true || c["overdue"] != false || !hasEntry("escalated")(c) {
				t.Errorf("escalated: %v", c["_raw"])
			}
			deadlineFor("dispute_escalated", payer)
			deadlineFor("dispute_escalated", owner)
			// A later ticket, in time, queues behind the late one.
			clock.move(60 * time.Hour)
			fresh := s.must(t, 201, "POST", "/v1/transfers", payer.token, map[string]any{"to": owner.phone, "amount": 300, "currency": "CNY", "pin": "285714"})
			d2 := s.must(t, 201, "POST", "/v1/me/disputes", payer.token, map[string]any{"transfer_id": fresh["transfer_id"], "reason": "unauthorised"})
			// 49 + 73 h on: the operators missed theirs.
			clock.move(122 * time.Hour)
			c = wait("overdue", func(c map[string]any) bool { return c["overdue"] == true })
			if !hasEntry("overdue")(c) || c["status"] != "awaiting_operator" {
				t.Errorf("overdue: %v", c["_raw"])
			}
			deadlineFor("dispute_overdue", payer)
			q := s.must(t, 200, "GET", "/v1/operator/disputes", op, nil)["disputes"].([]any)
			if len(q) != 2 || q[0].(map[string]any)["id"] != id || q[1].(map[string]any)["id"] != d2["id"] {
				t.Errorf("queue: overdue first, want %s then %s: %v", id, d2["id"], q)
			}
			for _, action := range []string{"dispute_escalated", "dispute_overdue"} {
				if es := s.must(t, 200, "GET", "/v1/operator/audit?action="+action, op, nil)["entries"].([]any); len(es) != 1 {
					t.Errorf("%d %s audit entries, want 1", len(es), action)
				}
			}
			// Decided late, still decided; the sweep leaves it alone then.
			s.must(t, 200, "POST", "/v1/operator/disputes/"+id+"/decide", op, map[string]any{"decision": "reject", "reason": "签收记录齐全"})
			time.Sleep(100 * time.Millisecond)
			if c := s.must(t, 200, "GET", "/v1/me/disputes/"+id, payer.token, nil); c["status"] != "rejected" || c["due_at"] != nil {
				t.Errorf("decided: %v", c["_raw"])
			}
		})
	}
}

// postFiles submits a multipart form with images, with the CSRF token of
// the page at from.
func (b *browser) postFiles(from, path string, form url.Values, images ...[]byte) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf", m[1])
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for i, img := range images {
		// The part claims to be a PNG, whatever it is: the server looks.
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="images"; filename="photo%d.png"`, i))
		h.Set("Content-Type", "image/png")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(img)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

// The web pages keep tickets to their parties: another merchant's portal,
// a user on the console, a stranger's wallet all get nothing; a fake
// image uploaded from the form is refused and nothing is stored; the
// images are served with their type and nosniff.
func TestWebDisputesAccess(t *testing.T) {
	dsn := stores(t)["sqlite"](t)
	withOperator(t, dsn)
	s := startServer(t, dsn, lenientRisk)
	payer, owner := funded(t, s)
	mid, pos := merchantFor(t, s, owner)
	otherMid, _ := merchantFor(t, s, payer)
	_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "WD-1", "amount": 990, "currency": "CNY"}, nil)
	bill := s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})["transfer_id"].(string)

	ub := newBrowser(t, s.url)
	ub.login(payer.phone, testPassword)
	must200(t, ub, "/app/bills/"+bill, `href="/app/disputes/new?bill=`+bill+`"`)
	from := "/app/disputes/new?bill=" + bill
	form := func() url.Values {
		return url.Values{"bill": {bill}, "reason": {"wrong_amount"}, "description": {"charged twice"}}
	}
	if resp, body := ub.postFiles(from, "/app/disputes", form(), []byte("<html><script>alert(1)</script></html>")); resp.StatusCode != 422 || !strings.Contains(body, "PNG, JPEG or WebP") {
		t.Errorf("a fake image from the form: %d", resp.StatusCode)
	}
	if l := s.must(t, 200, "GET", "/v1/me/disputes", payer.token, nil)["disputes"].([]any); len(l) != 0 {
		t.Fatalf("a ticket was stored with a fake image: %v", l)
	}
	resp, _ := ub.postFiles(from, "/app/disputes", form(), testImage(t, "png"))
	if resp.StatusCode != 303 {
		t.Fatalf("open from the form: %d", resp.StatusCode)
	}
	page := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
	id := strings.TrimPrefix(page, "/app/disputes/")
	body := must200(t, ub, page, "Waiting for the merchant", "charged twice")
	img := regexp.MustCompile(`src="(/app/disputes/[^"]+/images/[^"]+)"`).FindStringSubmatch(body)
	if img == nil {
		t.Fatal("no image on the ticket page")
	}
	if r, b := ub.get(img[1]); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(b, "\x89PNG") {
		t.Errorf("the image: %d %v", r.StatusCode, r.Header)
	}

	stranger := newBrowser(t, s.url)
	stranger.login(owner.phone, testPassword) // owns the merchant, but this is the payer's wallet ticket
	for _, p := range []string{page, img[1], "/merchant/" + otherMid + "/disputes/" + id} {
		if r, _ := stranger.get(p); r.StatusCode != 404 {
			t.Errorf("GET %s by another person: %d", p, r.StatusCode)
		}
	}
	if r, _ := stranger.get("/console/disputes"); r.StatusCode != 403 {
		t.Errorf("a user reached the console's disputes: %d", r.StatusCode)
	}
	// The payer owns the other merchant: its portal does not show this ticket.
	if r, _ := ub.get("/merchant/" + otherMid + "/disputes/" + id); r.StatusCode != 404 {
		t.Errorf("another merchant's portal showed the ticket: %d", r.StatusCode)
	}
	must200(t, stranger, "/merchant/"+mid+"/disputes/"+id, "charged twice")
	must200(t, stranger, "/merchant/"+mid+"/disputes", "Wrong amount charged")
	// The user withdraws it from the page.
	if r, _ := ub.post(page, page+"/withdraw", url.Values{}); r.StatusCode != 303 {
		t.Errorf("withdraw: %d", r.StatusCode)
	}
	must200(t, ub, "/app/disputes", "Withdrawn")
	op := newBrowser(t, s.url)
	op.login(operatorPhone, operatorPassword)
	must200(t, op, "/console/disputes", "No dispute waits for a decision.")
	must200(t, op, "/console/disputes?status=closed", "Withdrawn")
}
