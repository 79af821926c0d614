package wallet

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+8613800138000":     "+8613800138000",
		" +86 138-0013-8000": "+8613800138000",
		"+6591234567":        "+6591234567",
		"+14155550123":       "+14155550123",
	} {
		got, err := NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "13800138000", "+86123", "+8612800138000", "+861380013800", "+86138001380001",
		"+0123456789", "+86138OO138000", "+", "++8613800138000", "+1234567890123456"} {
		if _, err := NormalizePhone(in); err == nil {
			t.Errorf("NormalizePhone(%q) accepted", in)
		} else if e, ok := AsError(err); !ok || e.Code != CodeInvalidPhone {
			t.Errorf("NormalizePhone(%q): %v, want %s", in, err, CodeInvalidPhone)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	phone := "+8613800138000"
	for _, pw := range []string{"short1", "password123", "12345678", "aaaaaaaaaa", "abcdefghij", "passwordonly",
		"x13800138000y", "Woaini1314", strings.Repeat("a1", 200)} {
		if e := checkPassword(pw, phone); e == nil || e.Code != CodeWeakPassword {
			t.Errorf("checkPassword(%q) = %v, want weak_password", pw, e)
		}
	}
	for _, pw := range []string{"correct-Horse-42", "长城在北京2026", "Tr0ub4dor&3"} {
		if e := checkPassword(pw, phone); e != nil {
			t.Errorf("checkPassword(%q) = %v, want accepted", pw, e)
		}
	}
}

func TestPINFormat(t *testing.T) {
	for _, pin := range []string{"", "12345", "1234567", "12345a", "111111", "123456", "654321", "１２３４５６"} {
		if checkPINFormat(pin) == nil {
			t.Errorf("PIN %q accepted", pin)
		}
	}
	for _, pin := range []string{"285714", "000100", "902113"} {
		if e := checkPINFormat(pin); e != nil {
			t.Errorf("PIN %q refused: %v", pin, e)
		}
	}
}

func TestSecretHash(t *testing.T) {
	p := HashParams{MemoryKiB: 64, Time: 1, Threads: 1}
	h, err := hashSecret("285714", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	if !checkSecret("285714", h) || checkSecret("285715", h) || checkSecret("", h) {
		t.Error("checkSecret does not tell the right PIN from a wrong one")
	}
	h2, _ := hashSecret("285714", p)
	if h == h2 {
		t.Error("two hashes of the same secret are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=64,t=0,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA"} {
		if checkSecret("285714", bad) {
			t.Errorf("checkSecret accepted malformed hash %q", bad)
		}
	}
}

func TestCheckNote(t *testing.T) {
	for _, ok := range []string{"", "午饭", strings.Repeat("长", 40), "rent for March"} {
		if _, err := checkNote(ok); err != nil {
			t.Errorf("note %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("长", 41), "a\nb", "\x00", string([]byte{0xff, 0xfe})} {
		if _, err := checkNote(bad); err == nil {
			t.Errorf("note %q accepted", bad)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	for _, ok := range []string{"a", "0193a1b2-c3d4-7e5f", strings.Repeat("k", 255)} {
		if err := CheckIdempotencyKey(ok); err != nil {
			t.Errorf("key %q refused", ok)
		}
	}
	for _, bad := range []string{"", "with space", "é", strings.Repeat("k", 256)} {
		if err := CheckIdempotencyKey(bad); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	if a, b := operationID("p2p", "u1", "k"), operationID("p2p", "u1", "k"); a != b {
		t.Error("the same user and key give different ids")
	}
	if operationID("p2p", "u1", "k") == operationID("p2p", "u2", "k") || operationID("p2p", "u1", "k") == operationID("top_up", "u1", "k") {
		t.Error("different users or kinds share an id")
	}
}

func TestOperationIDsGrowWithTimeOrderedKeys(t *testing.T) {
	k1, k2 := ledger.NewID().String(), ledger.NewID().String() // UUIDv7, k1 first
	a, b := operationID("p2p", "u1", k1), operationID("p2p", "u2", k2)
	key1 := k1ID(t, k1)
	if string(a[:6]) != string(key1[:6]) || bytes.Compare(a[:6], b[:6]) > 0 {
		t.Errorf("ids from UUIDv7 keys do not keep their time order: %s %s", a, b)
	}
	if operationID("p2p", "u1", k1) != a || operationID("p2p", "u2", k1) == a {
		t.Error("the id is not derived from user and key alone")
	}
	if l := linkedID("wallet/limit-use", a, "outflow"); string(l[:6]) != string(a[:6]) || l == a {
		t.Errorf("linked id %s does not share %s's time prefix", l, a)
	}
}

func k1ID(t *testing.T, s string) ledger.ID {
	id, err := ledger.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMaskPhone(t *testing.T) {
	if got := MaskPhone("+8613800138000"); got != "+86138****8000" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := MaskPhone("+123"); got != "****" {
		t.Errorf("MaskPhone(short) = %q", got)
	}
}

func TestBillCursor(t *testing.T) {
	ts := time.Date(2026, 11, 25, 8, 0, 0, 123, time.UTC).UnixNano()
	got, err := decodeBillCursor(encodeBillCursor(ts))
	if err != nil || got != ts {
		t.Errorf("cursor round trip: %d, %v", got, err)
	}
	for _, bad := range []string{"!", "AAAA", "__________8"} {
		if _, err := decodeBillCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

func TestDefaultConfigIsValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Limits["CNY"] = [3]TierLimits{{DailyOutflow: 10}, {DailyOutflow: 5}, {DailyOutflow: 20}}
	if err := c.Validate(); err == nil {
		t.Error("a tier with a lower limit than the one below was accepted")
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+8613800138000", " +86 138-0013-8000", "", "+", "+0", "+86", "+6591234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		again, err := NormalizePhone(p)
		if err != nil || again != p {
			t.Fatalf("normal form %q is not stable: %q, %v", p, again, err)
		}
		if MaskPhone(p) == p {
			t.Fatalf("mask shows the whole number %q", p)
		}
	})
}

func FuzzCheckNote(f *testing.F) {
	for _, s := range []string{"", "午饭", "a\nb", strings.Repeat("长", 41)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := checkNote(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(n) || utf8.RuneCountInString(n) > maxNoteRunes || len(n) > 128 {
			t.Fatalf("accepted note %q breaks the rules", n)
		}
	})
}

func FuzzBillCursor(f *testing.F) {
	f.Add("")
	f.Add(encodeBillCursor(1))
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := decodeBillCursor(s)
		if err == nil && s != "" && encodeBillCursor(ts) != s {
			t.Fatalf("cursor %q decodes to %d which encodes differently", s, ts)
		}
	})
}

func TestParseLimits(t *testing.T) {
	l, err := ParseLimits([]byte(`{"CNY": [{"balance_cap": 100000, "daily_outflow": 50000}, {"daily_outflow": 2000000, "withdrawal_fee": 200},
		{"daily_outflow": 20000000, "withdrawal_fee": 100}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if l["CNY"][0].BalanceCap != 100000 || l["CNY"][2].WithdrawalFee != 100 || len(l) != 1 {
		t.Errorf("parsed %+v", l)
	}
	for _, bad := range []string{``, `[]`, `{"CNY": [{}]}`, `{"XYZ": [{}, {}, {}]}`, `{"CNY": [{"daily_outflow": 5}, {"daily_outflow": 1}, {}]}`,
		`{"CNY": [{"cap": 1}, {}, {}]}`, `{"CNY": [{"daily_outflow": -1}, {}, {}]}`} {
		if _, err := ParseLimits([]byte(bad)); err == nil {
			t.Errorf("limits %s accepted", bad)
		}
	}
}
