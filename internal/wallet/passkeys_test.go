package wallet

import (
	"bytes"
	"testing"
)

// A payment's challenge changes with every field it binds, and with the
// nonce: an assertion signs one payment.
func TestPaymentChallengeBindsThePayment(t *testing.T) {
	base := p2pBinding("payer", "payee", 1250, "CNY", "午饭", "key-1")
	want := paymentChallenge(base, "nonce")
	if len(want) != 32 || !bytes.Equal(want, paymentChallenge(base, "nonce")) {
		t.Fatalf("challenge %x is not a stable SHA-256", want)
	}
	for name, b := range map[string]string{
		"amount":   p2pBinding("payer", "payee", 1251, "CNY", "午饭", "key-1"),
		"currency": p2pBinding("payer", "payee", 1250, "HKD", "午饭", "key-1"),
		"payee":    p2pBinding("payer", "other", 1250, "CNY", "午饭", "key-1"),
		"payer":    p2pBinding("other", "payee", 1250, "CNY", "午饭", "key-1"),
		"note":     p2pBinding("payer", "payee", 1250, "CNY", "晚饭", "key-1"),
		"id":       p2pBinding("payer", "payee", 1250, "CNY", "午饭", "key-2"),
		"kind":     orderBinding("payer", "payee", "key-1", 1250, "CNY"),
	} {
		if bytes.Equal(paymentChallenge(b, "nonce"), want) {
			t.Errorf("another %s gives the same challenge", name)
		}
	}
	if bytes.Equal(paymentChallenge(base, "other"), want) {
		t.Error("another nonce gives the same challenge")
	}
	// A note can not smuggle fields into the canonical form.
	if p2pBinding("a", "b", 1, "CNY", "x\namount=2", "") == p2pBinding("a", "b", 1, "CNY", "x", "") {
		t.Error("notes are not encoded")
	}
}

func TestRelyingPartyFromPublicURL(t *testing.T) {
	for _, u := range []string{"https://pay.example.com", "http://localhost:8080", ""} {
		if _, err := relyingParty(u); err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://x", "pay.example.com", "https://"} {
		if _, err := relyingParty(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
