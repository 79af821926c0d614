package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// softKey is a software authenticator: a P-256 key and a counter; it
// builds the authenticator data, clientDataJSON and signature a phone's
// fingerprint or face unlock would.
type softKey struct {
	key     *ecdsa.PrivateKey
	id      []byte
	rpID    string
	origin  string
	counter uint32
	user    []byte // the user handle the RP gave at registration
}

var b64 = base64.RawURLEncoding

func newSoftKey(t *testing.T, rpID, origin string) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id, rpID: rpID, origin: origin}
}

func (k *softKey) authData(flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(k.rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.counter)
	return append(out, attested...)
}

func (k *softKey) clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// challengeOf reads the challenge of begin's options.
func challengeOf(t *testing.T, opts map[string]any) string {
	t.Helper()
	pk, ok := opts["options"].(map[string]any)["publicKey"].(map[string]any)
	if !ok {
		t.Fatalf("no publicKey options: %v", opts["_raw"])
	}
	return pk["challenge"].(string)
}

// create answers navigator.credentials.create: attestation "none".
func (k *softKey) create(t *testing.T, opts map[string]any, origin string) map[string]any {
	t.Helper()
	pk := opts["options"].(map[string]any)["publicKey"].(map[string]any)
	uid, err := b64.DecodeString(pk["user"].(map[string]any)["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	k.user = uid
	x, y := k.key.X.FillBytes(make([]byte, 32)), k.key.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(0x45, attested)})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(k.clientData("webauthn.create", challengeOf(t, opts), origin)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{}}
}

// get answers navigator.credentials.get: it signs authenticator data and
// the hash of the client data, with the counter given.
func (k *softKey) get(t *testing.T, challenge, origin string, counter uint32) map[string]any {
	t.Helper()
	k.counter = counter
	ad := k.authData(0x05, nil) // user present and verified
	cd := k.clientData("webauthn.get", challenge, origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.user)},
		"clientExtensionResults": map[string]any{}}
}

// The server's public URL in tests is https://pay.example.test: the RP id
// is its host and the one origin accepted.
const (
	testOrigin = "https://pay.example.test"
	testRPID   = "pay.example.test"
)

func TestPasskeyRegisterLoginAndPay(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			payee := s.newPerson(t, "+8613700137003", "张三")
			code := func(st int, out map[string]any) string {
				t.Helper()
				c, _ := out["code"].(string)
				return c
			}

			// No passkey yet: a payment can not be begun with one.
			if st, out := s.call(t, "POST", "/v1/payments/passkey/begin", payer.token,
				map[string]any{"transfer": map[string]any{"to": payee.phone, "amount": 100, "currency": "CNY"}}); st != 409 || code(st, out) != wallet.CodePasskeyNone {
				t.Fatalf("begin without a passkey: %d %v", st, out["_raw"])
			}

			// Register: the options name this RP; an answer from another
			// origin is refused; the right one is kept.
			key := newSoftKey(t, testRPID, testOrigin)
			opts := s.must(t, 200, "POST", "/v1/me/passkeys/register/begin", payer.token, nil)
			if rp := opts["options"].(map[string]any)["publicKey"].(map[string]any)["rp"].(map[string]any); rp["id"] != testRPID {
				t.Fatalf("rp %v", rp)
			}
			if st, out := s.call(t, "POST", "/v1/me/passkeys/register/finish", payer.token,
				map[string]any{"credential": key.create(t, opts, "https://evil.example")}); st != 401 || code(st, out) != wallet.CodePasskeyInvalid {
				t.Fatalf("registration from another origin: %d %v", st, out["_raw"])
			}
			opts = s.must(t, 200, "POST", "/v1/me/passkeys/register/begin", payer.token, nil)
			cred := key.create(t, opts, testOrigin)
			pk := s.must(t, 201, "POST", "/v1/me/passkeys/register/finish", payer.token, map[string]any{"name": "我的手机", "credential": cred})
			if pk["id"] != b64.EncodeToString(key.id) || pk["name"] != "我的手机" {
				t.Fatalf("passkey %v", pk)
			}
			// The same answer again: its challenge is used.
			if st, out := s.call(t, "POST", "/v1/me/passkeys/register/finish", payer.token, map[string]any{"credential": cred}); st != 401 || code(st, out) != wallet.CodePasskeyReplayed {
				t.Errorf("registration replayed: %d %v", st, out["_raw"])
			}
			if l := s.must(t, 200, "GET", "/v1/me/passkeys", payer.token, nil)["passkeys"].([]any); len(l) != 1 {
				t.Fatalf("passkeys: %v", l)
			}

			// Log in with it, by phone and discoverably.
			lo := s.must(t, 200, "POST", "/v1/sessions/passkey/begin", "", map[string]any{"phone": payer.phone})
			login := s.must(t, 201, "POST", "/v1/sessions/passkey/finish", "", map[string]any{"credential": key.get(t, challengeOf(t, lo), testOrigin, 1)})
			tok := login["token"].(string)
			if me := s.must(t, 200, "GET", "/v1/me", tok, nil); me["id"] != payer.id {
				t.Fatalf("passkey login is %v", me["id"])
			}
			lo = s.must(t, 200, "POST", "/v1/sessions/passkey/begin", "", map[string]any{})
			s.must(t, 201, "POST", "/v1/sessions/passkey/finish", "", map[string]any{"credential": key.get(t, challengeOf(t, lo), testOrigin, 2)})
			// A login assertion from another origin: refused.
			lo = s.must(t, 200, "POST", "/v1/sessions/passkey/begin", "", map[string]any{})
			if st, out := s.call(t, "POST", "/v1/sessions/passkey/finish", "", map[string]any{"credential": key.get(t, challengeOf(t, lo), "https://evil.example", 3)}); st != 401 || code(st, out) != wallet.CodePasskeyInvalid {
				t.Errorf("login from another origin: %d %v", st, out["_raw"])
			}

			// Pay a transfer with it instead of the PIN.
			transfer := func(amount int64) map[string]any {
				return map[string]any{"to": payee.phone, "amount": amount, "currency": "CNY", "note": "午饭"}
			}
			begin := func(key string, body map[string]any) string {
				t.Helper()
				return challengeOf(t, s.must(t, 200, "POST", "/v1/payments/passkey/begin", tok, body, "Idempotency-Key", key))
			}
			ch := begin("pk-1", map[string]any{"transfer": transfer(1_000)})
			assertion := key.get(t, ch, testOrigin, 10)
			body := transfer(1_000)
			body["passkey"] = assertion
			r := s.must(t, 201, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-1")
			if r["status"] != "completed" || r["password_free"] == true {
				t.Fatalf("passkey transfer: %v", r["_raw"])
			}
			if got := s.available(t, payee, "CNY"); got != 1_000 {
				t.Fatalf("payee has %d", got)
			}

			// The same assertion again, for a new payment: replayed.
			if st, out := s.call(t, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-2"); st != 401 || code(st, out) != wallet.CodePasskeyReplayed {
				t.Errorf("replayed assertion: %d %v", st, out["_raw"])
			}
			// An assertion for 10.00 sent with 20.00: another payment.
			ch = begin("pk-3", map[string]any{"transfer": transfer(1_000)})
			body = transfer(2_000)
			body["passkey"] = key.get(t, ch, testOrigin, 11)
			if st, out := s.call(t, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-3"); st != 401 || code(st, out) != wallet.CodePasskeyMismatch {
				t.Errorf("assertion for another amount: %d %v", st, out["_raw"])
			}
			// For the same amount under another Idempotency-Key (another payment id).
			ch = begin("pk-4", map[string]any{"transfer": transfer(1_000)})
			body = transfer(1_000)
			body["passkey"] = key.get(t, ch, testOrigin, 12)
			if st, out := s.call(t, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-5"); st != 401 || code(st, out) != wallet.CodePasskeyMismatch {
				t.Errorf("assertion for another payment id: %d %v", st, out["_raw"])
			}
			// From another origin: refused.
			ch = begin("pk-6", map[string]any{"transfer": transfer(1_000)})
			body["passkey"] = key.get(t, ch, "https://evil.example", 13)
			if st, out := s.call(t, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-6"); st != 401 || code(st, out) != wallet.CodePasskeyInvalid {
				t.Errorf("assertion from another origin: %d %v", st, out["_raw"])
			}
			// A counter that went back (a cloned key): refused.
			ch = begin("pk-7", map[string]any{"transfer": transfer(1_000)})
			body["passkey"] = key.get(t, ch, testOrigin, 5)
			if st, out := s.call(t, "POST", "/v1/transfers", tok, body, "Idempotency-Key", "pk-7"); st != 401 || code(st, out) != wallet.CodePasskeySignCount {
				t.Errorf("sign count went back: %d %v", st, out["_raw"])
			}
			if got := s.available(t, payee, "CNY"); got != 1_000 {
				t.Fatalf("refused assertions moved money: payee has %d", got)
			}

			// Scan to pay a merchant's order with it.
			_, pos := merchantFor(t, s, owner)
			st, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "PK-1", "amount": 2_550, "currency": "CNY"}, nil)
			if st != 201 {
				t.Fatalf("order: %d %v", st, o["_raw"])
			}
			ch = begin("pk-scan", map[string]any{"scan": map[string]any{"payload": o["qr"]}})
			p := s.must(t, 201, "POST", "/v1/payments", tok, map[string]any{"payload": o["qr"], "passkey": key.get(t, ch, testOrigin, 20)}, "Idempotency-Key", "pk-scan")
			if p["status"] != "completed" {
				t.Fatalf("scan to pay: %v", p["_raw"])
			}

			// A till's order waiting for the payer: confirmed with it.
			dev := enroll(t, s, payer)
			awayFromStepEdge()
			st, o = pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": dev.code(t, timeNow()), "out_trade_no": "PK-2", "amount": 3_000, "currency": "CNY"}, nil)
			if st != 200 || o["status"] != "USERPAYING" {
				t.Fatalf("micropay: %d %v", st, o["_raw"])
			}
			ch = begin("", map[string]any{"order_id": o["id"]})
			c := s.must(t, 200, "POST", "/v1/payments/"+o["id"].(string)+"/confirm", tok, map[string]any{"passkey": key.get(t, ch, testOrigin, 21)})
			if c["status"] != "SUCCESS" {
				t.Fatalf("confirm with a passkey: %v", c["_raw"])
			}
			if got := s.available(t, payer, "CNY"); got != 100_000-1_000-2_550-3_000 {
				t.Errorf("payer has %d", got)
			}

			// The audit trail tells of it; removing the passkey ends its use.
			s.must(t, 204, "DELETE", "/v1/me/passkeys/"+b64.EncodeToString(key.id), payer.token, nil)
			seen := map[string]bool{}
			for _, e := range s.must(t, 200, "GET", "/v1/operator/audit", "test-operator-token", nil)["entries"].([]any) {
				m := e.(map[string]any)
				seen[m["action"].(string)] = true
				if m["action"] == "login" && m["target"] == payer.id && containsStr(m["details"], "method passkey") {
					seen["login passkey"] = true
				}
			}
			for _, a := range []string{"passkey_added", "passkey_removed", "login passkey"} {
				if !seen[a] {
					t.Errorf("no %s in the audit trail", a)
				}
			}
			lo = s.must(t, 200, "POST", "/v1/sessions/passkey/begin", "", map[string]any{})
			if st, out := s.call(t, "POST", "/v1/sessions/passkey/finish", "", map[string]any{"credential": key.get(t, challengeOf(t, lo), testOrigin, 30)}); st != 401 || code(st, out) != wallet.CodePasskeyInvalid {
				t.Errorf("login with a removed passkey: %d %v", st, out["_raw"])
			}
			checkLedger(t, s.dsn)
		})
	}
}

func timeNow() time.Time { return time.Now() }

func containsStr(v any, sub string) bool {
	s, _ := v.(string)
	return strings.Contains(s, sub)
}
