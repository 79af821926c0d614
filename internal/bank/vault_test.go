package bank_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"slices"
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
			if parts := strings.Split(sealed, "."); len(parts) != 4 || parts[0] != "v2" || parts[1] != "k1" || strings.ContainsAny(parts[2]+parts[3], "+/=") {
				t.Errorf("sealed %.40q: want v2.k1.<wrapped key>.<payload>, unpadded base64url", sealed)
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
	if !strings.HasPrefix(sealedNew, "v2.k2.") {
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

// sealV1 seals a value in the earlier format, "v1.<keyid>.<payload>": the
// value directly under the key, bound to the header and aad (what the
// vault made before envelopes; it still opens them).
func sealV1(t testing.TB, k []byte, id string, plaintext, aad []byte) string {
	t.Helper()
	block, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		t.Fatal(err)
	}
	header := "v1." + id + "."
	return header + base64.RawURLEncoding.EncodeToString(aead.Seal(nil, nil, plaintext, append([]byte(header), aad...)))
}

// Values of the earlier format still open, and nothing altered does.
func TestVaultLegacyTamperAndWrongAAD(t *testing.T) {
	v := newVault(t, map[string][]byte{"k1": key(1), "k2": key(2)}, "k1")
	aad := []byte("user-1")
	sealed := sealV1(t, key(1), "k1", []byte("6222021234567890123"), aad)
	if got, err := v.Open(sealed, aad); err != nil || string(got) != "6222021234567890123" {
		t.Fatalf("Open of a v1 value = %q, %v", got, err)
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
		{"other version", strings.Replace(sealed, "v1.", "v3.", 1), aad, bank.ErrSealedFormat},
		{"called an envelope", strings.Replace(sealed, "v1.", "v2.", 1), aad, bank.ErrSealedFormat},
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
	f.Add(sealV1(f, key(1), "k1", []byte("6222021234567890123"), []byte("u1")), []byte("u1"))
	f.Add("v2.k2..", []byte(nil))
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

// An envelope: flipping any byte of the wrapped key or of the payload,
// swapping payloads or wrapped keys between values, or another aad fails.
func TestVaultEnvelopeTamper(t *testing.T) {
	v := newVault(t, map[string][]byte{"k1": key(1), "k2": key(2)}, "k1")
	aad := []byte("user-1")
	a, _ := v.Seal([]byte("6222021234567890123"), aad)
	b, _ := v.Seal([]byte("6222029999999999999"), aad)
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for part := 2; part <= 3; part++ {
		raw, err := base64.RawURLEncoding.DecodeString(pa[part])
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			r := bytes.Clone(raw)
			r[i] ^= 0x01
			p := slices.Clone(pa)
			p[part] = base64.RawURLEncoding.EncodeToString(r)
			if _, err := v.Open(strings.Join(p, "."), aad); !errors.Is(err, bank.ErrDecrypt) {
				t.Fatalf("part %d byte %d flipped: %v, want ErrDecrypt", part, i, err)
			}
		}
	}
	for name, sealed := range map[string]string{
		"b's payload under a's key": strings.Join([]string{pa[0], pa[1], pa[2], pb[3]}, "."),
		"a's payload under b's key": strings.Join([]string{pa[0], pa[1], pb[2], pa[3]}, "."),
		"key id swapped":            strings.Replace(a, "v2.k1.", "v2.k2.", 1),
	} {
		if _, err := v.Open(sealed, aad); !errors.Is(err, bank.ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
	if _, err := v.Open(a, []byte("user-2")); !errors.Is(err, bank.ErrDecrypt) {
		t.Errorf("another owner's aad: %v", err)
	}
	for _, bad := range []string{"v2.k1", "v2.k1.abc", "v2.k1..", "v2.k1." + pa[2], "v2.k1.AAAA." + pa[3], "v2.k9." + pa[2] + "." + pa[3]} {
		if _, err := v.Open(bad, aad); err == nil {
			t.Errorf("%.30q opened", bad)
		}
	}
}

// Rewrap moves a value to the current key by wrapping its data key again:
// the payload stays byte for byte; a value of the earlier format becomes
// an envelope; the wrong aad moves nothing.
func TestVaultRewrap(t *testing.T) {
	old := newVault(t, map[string][]byte{"k1": key(1)}, "k1")
	aad := []byte("user-1")
	env, _ := old.Seal([]byte("6222021234567890123"), aad)
	legacy := sealV1(t, key(1), "k1", []byte("110105199003071230"), aad)
	rotated := newVault(t, map[string][]byte{"k1": key(1), "k2": key(2)}, "k2")
	moved, err := rotated.Rewrap(env, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(moved, bank.SealedWith("k2")) || strings.Split(moved, ".")[3] != strings.Split(env, ".")[3] {
		t.Errorf("rewrapped %q from %q: want k2 and the same payload", moved, env)
	}
	retired := newVault(t, map[string][]byte{"k2": key(2)}, "k2")
	if got, err := retired.Open(moved, aad); err != nil || string(got) != "6222021234567890123" {
		t.Errorf("the rewrapped value after k1 was retired: %q, %v", got, err)
	}
	up, err := rotated.Rewrap(legacy, aad)
	if err != nil || !strings.HasPrefix(up, bank.SealedWith("k2")) {
		t.Fatalf("rewrap of a v1 value: %q, %v", up, err)
	}
	if got, err := retired.Open(up, aad); err != nil || string(got) != "110105199003071230" {
		t.Errorf("the v1 value made an envelope: %q, %v", got, err)
	}
	if _, err := rotated.Rewrap(env, []byte("user-2")); !errors.Is(err, bank.ErrDecrypt) {
		t.Errorf("rewrap with another aad: %v", err)
	}
}
