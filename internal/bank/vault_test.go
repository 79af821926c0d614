package bank_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/bank"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, bank.KeySize) }

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func newVault(t testing.TB, keys map[string][]byte, current string) *bank.Vault {
	t.Helper()
	v, err := bank.NewVault(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVaultRoundTrip(t *testing.T) {
	v := newVault(t, map[string][]byte{"k1": key(1)}, "k1")
	for _, pt := range []string{"6222021234567890123", "", strings.Repeat("x", bank.MaxPlaintext)} {
		for _, aad := range [][]byte{nil, []byte("user-42")} {
			sealed, err := v.Seal([]byte(pt), aad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1.k1.") || strings.ContainsAny(sealed[6:], "+/=.") {
				t.Errorf("sealed %.40q: want v1.k1.<unpadded base64url>", sealed)
			}
			got, err := v.Open(sealed, aad)
			if err != nil || string(got) != pt {
				t.Errorf("Open = %.20q, %v; want %.20q", got, err, pt)
			}
		}
	}
	a, _ := v.Seal([]byte("same"), nil)
	b, _ := v.Seal([]byte("same"), nil)
	if a == b {
		t.Error("two seals of the same plaintext are equal: nonce not random")
	}
	if _, err := v.Seal(make([]byte, bank.MaxPlaintext+1), nil); err == nil {
		t.Error("Seal of an oversized plaintext succeeded")
	}
}

func TestVaultRotation(t *testing.T) {
	old := newVault(t, map[string][]byte{"k1": key(1)}, "k1")
	sealedOld, err := old.Seal([]byte("6222021234567890123"), []byte("u1"))
	if err != nil {
		t.Fatal(err)
	}

	keys, current, err := bank.ParseKeys("k1:" + b64(key(1)) + ",k2:" + b64(key(2)))
	if err != nil {
		t.Fatal(err)
	}
	rotated := newVault(t, keys, current)
	if rotated.CurrentKeyID() != "k2" {
		t.Fatalf("CurrentKeyID = %q, want k2 (the last listed)", rotated.CurrentKeyID())
	}
	if got, err := rotated.Open(sealedOld, []byte("u1")); err != nil || string(got) != "6222021234567890123" {
		t.Fatalf("Open of a k1 value after rotation = %q, %v", got, err)
	}
	sealedNew, err := rotated.Seal([]byte("6222021234567890123"), []byte("u1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealedNew, "v1.k2.") {
		t.Errorf("new seal %.12q..., want key k2", sealedNew)
	}
	// The old vault does not know k2; once k1 is retired, k1 values fail.
	if _, err := old.Open(sealedNew, []byte("u1")); !errors.Is(err, bank.ErrUnknownKey) {
		t.Errorf("old vault Open of a k2 value: %v, want ErrUnknownKey", err)
	}
	retired := newVault(t, map[string][]byte{"k2": key(2)}, "k2")
	if _, err := retired.Open(sealedOld, []byte("u1")); !errors.Is(err, bank.ErrUnknownKey) {
		t.Errorf("Open of a k1 value after k1 was retired: %v, want ErrUnknownKey", err)
	}
}

func TestVaultTamperAndWrongAAD(t *testing.T) {
	v := newVault(t, map[string][]byte{"k1": key(1), "k2": key(2)}, "k1")
	aad := []byte("user-1")
	sealed, err := v.Seal([]byte("6222021234567890123"), aad)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, "v1.k1."))
	if err != nil {
		t.Fatal(err)
	}
	for i := range payload { // nonce, ciphertext and tag
		p := bytes.Clone(payload)
		p[i] ^= 0x01
		tampered := "v1.k1." + base64.RawURLEncoding.EncodeToString(p)
		if _, err := v.Open(tampered, aad); !errors.Is(err, bank.ErrDecrypt) {
			t.Fatalf("byte %d flipped: Open error %v, want ErrDecrypt", i, err)
		}
	}
	tests := []struct {
		name   string
		sealed string
		aad    []byte
		want   error
	}{
		{"wrong aad (copied to another user's row)", sealed, []byte("user-2"), bank.ErrDecrypt},
		{"no aad", sealed, nil, bank.ErrDecrypt},
		{"key id swapped", strings.Replace(sealed, "v1.k1.", "v1.k2.", 1), aad, bank.ErrDecrypt},
		{"truncated tag", "v1.k1." + base64.RawURLEncoding.EncodeToString(payload[:len(payload)-1]), aad, bank.ErrDecrypt},
		{"extended", "v1.k1." + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(payload), 0)), aad, bank.ErrDecrypt},
		{"nonce and tag only", "v1.k1." + base64.RawURLEncoding.EncodeToString(payload[:28]), aad, bank.ErrDecrypt},
		{"unknown key", strings.Replace(sealed, "v1.k1.", "v1.k9.", 1), aad, bank.ErrUnknownKey},
		{"other version", strings.Replace(sealed, "v1.", "v2.", 1), aad, bank.ErrSealedFormat},
		{"empty", "", aad, bank.ErrSealedFormat},
		{"no payload separator", "v1.k1", aad, bank.ErrSealedFormat},
		{"empty payload", "v1.k1.", aad, bank.ErrSealedFormat},
		{"short payload", "v1.k1.AAAA", aad, bank.ErrSealedFormat},
		{"padded base64", sealed + "==", aad, bank.ErrSealedFormat},
		{"std base64 alphabet", "v1.k1." + strings.Repeat("+/", 30), aad, bank.ErrSealedFormat},
		{"empty key id", "v1.." + sealed[6:], aad, bank.ErrUnknownKey},
	}
	for _, tt := range tests {
		got, err := v.Open(tt.sealed, tt.aad)
		if !errors.Is(err, tt.want) || got != nil {
			t.Errorf("%s: Open = %q, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestNewVaultErrors(t *testing.T) {
	tests := []struct {
		name    string
		keys    map[string][]byte
		current string
	}{
		{"no keys", nil, "k1"},
		{"current missing", map[string][]byte{"k1": key(1)}, "k2"},
		{"short key", map[string][]byte{"k1": key(1)[:16]}, "k1"},
		{"long key", map[string][]byte{"k1": append(key(1), 0)}, "k1"},
		{"empty id", map[string][]byte{"": key(1)}, ""},
		{"dot in id", map[string][]byte{"k.1": key(1)}, "k.1"},
		{"long id", map[string][]byte{strings.Repeat("k", 33): key(1)}, strings.Repeat("k", 33)},
		{"bad other key", map[string][]byte{"k1": key(1), "k2": nil}, "k1"},
	}
	for _, tt := range tests {
		if v, err := bank.NewVault(tt.keys, tt.current); !errors.Is(err, bank.ErrKeySpec) || v != nil {
			t.Errorf("%s: NewVault = %v, %v; want ErrKeySpec", tt.name, v, err)
		}
	}
}

func TestParseKeys(t *testing.T) {
	keys, current, err := bank.ParseKeys(" a_1:" + b64(key(1)) + " ,\n B-2:" + b64(key(2)) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if current != "B-2" || len(keys) != 2 || !bytes.Equal(keys["a_1"], key(1)) || !bytes.Equal(keys["B-2"], key(2)) {
		t.Errorf("ParseKeys = %v, %q", keys, current)
	}

	secret := b64(key(7))
	bad := map[string]string{
		"empty":              "",
		"blank":              " \n",
		"no colon":           "k1" + secret,
		"empty key":          "k1:",
		"empty id":           ":" + secret,
		"bad id":             "k.1:" + secret,
		"not base64":         "k1:" + secret[:10] + "!" + secret[11:],
		"url base64":         "k1:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)),
		"unpadded":           "k1:" + strings.TrimRight(secret, "="),
		"16-byte key":        "k1:" + b64(key(7)[:16]),
		"duplicate id":       "k1:" + secret + ",k1:" + secret,
		"trailing comma":     "k1:" + secret + ",",
		"empty entry":        "k1:" + secret + ",,k2:" + secret,
		"space inside key":   "k1:" + secret[:8] + " " + secret[8:],
		"second entry wrong": "k1:" + secret + ",k2:short",
	}
	for name, spec := range bad {
		keys, current, err := bank.ParseKeys(spec)
		if !errors.Is(err, bank.ErrKeySpec) || keys != nil || current != "" {
			t.Errorf("%s: ParseKeys = %v, %q, %v; want ErrKeySpec", name, keys, current, err)
			continue
		}
		if strings.Contains(err.Error(), secret[:12]) {
			t.Errorf("%s: error %q leaks key material", name, err)
		}
	}
}

func TestGenerateKeySpec(t *testing.T) {
	a, b := bank.GenerateKeySpec(), bank.GenerateKeySpec()
	if a == b {
		t.Fatal("GenerateKeySpec returned the same spec twice")
	}
	keys, current, err := bank.ParseKeys(a + "," + b)
	if err != nil {
		t.Fatalf("ParseKeys(generated) = %v", err)
	}
	wantCurrent, _, _ := strings.Cut(b, ":")
	if current != wantCurrent || len(keys) != 2 {
		t.Errorf("current = %q, want %q; %d keys", current, wantCurrent, len(keys))
	}
	v := newVault(t, keys, current)
	sealed, _ := v.Seal([]byte("x"), nil)
	if got, err := v.Open(sealed, nil); err != nil || string(got) != "x" {
		t.Errorf("round trip with generated keys = %q, %v", got, err)
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add("k1:" + b64(key(1)))
	f.Add("k1:" + b64(key(1)) + ",k2:" + b64(key(2)))
	f.Add(" k1:" + b64(key(1)) + " , ")
	f.Add("k1:" + b64(key(1)[:16]))
	f.Add("k1:,:,")
	f.Add("::::")
	f.Add("")
	f.Fuzz(func(t *testing.T, spec string) {
		keys, current, err := bank.ParseKeys(spec)
		if err != nil {
			if !errors.Is(err, bank.ErrKeySpec) {
				t.Fatalf("error %v does not wrap ErrKeySpec", err)
			}
			return
		}
		v, err := bank.NewVault(keys, current)
		if err != nil {
			t.Fatalf("ParseKeys accepted %q but NewVault failed: %v", spec, err)
		}
		sealed, err := v.Seal([]byte("pan"), []byte("aad"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := v.Open(sealed, []byte("aad")); err != nil || string(got) != "pan" {
			t.Fatalf("round trip = %q, %v", got, err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	v := newVault(f, map[string][]byte{"k1": key(1), "k2": key(2)}, "k2")
	good, _ := v.Seal([]byte("6222021234567890123"), []byte("u1"))
	f.Add(good, []byte("u1"))
	f.Add(good, []byte("u2"))
	f.Add(strings.Replace(good, "k2", "k1", 1), []byte("u1"))
	f.Add("v1.k1.", []byte(nil))
	f.Add("v1..", []byte(nil))
	f.Add("...", []byte{0})
	f.Fuzz(func(t *testing.T, sealed string, aad []byte) {
		got, err := v.Open(sealed, aad)
		if err == nil {
			// Only an authentic value opens: it must re-seal and open
			// to the same plaintext.
			again, _ := v.Seal(got, aad)
			if back, err := v.Open(again, aad); err != nil || !bytes.Equal(back, got) {
				t.Fatalf("re-seal round trip = %q, %v", back, err)
			}
			return
		}
		if !errors.Is(err, bank.ErrSealedFormat) && !errors.Is(err, bank.ErrUnknownKey) && !errors.Is(err, bank.ErrDecrypt) {
			t.Fatalf("Open error %v wraps no vault sentinel", err)
		}
	})
}
