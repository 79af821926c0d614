package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestQRCommandsRoundTrip(t *testing.T) {
	payload, code := slt(t, nil, "qr", "encode", "--guid", "A000000677010111", "--merchant-id", "0066812345678",
		"--mcc", "5814", "--currency", "THB", "--amount", "120.50", "--country", "TH", "--name", "Somchai Noodles", "--city", "Bangkok",
		"--bill-number", "INV-42")
	if code != 0 {
		t.Fatalf("qr encode: exit %d: %s", code, payload)
	}
	payload = strings.TrimSpace(payload)
	out, code := slt(t, nil, "qr", "decode", payload)
	if code != 0 {
		t.Fatalf("qr decode of an encoded payload: exit %d: %s", code, out)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("qr decode does not print JSON: %v\n%s", err, out)
	}
	for k, want := range map[string]any{"merchant_name": "Somchai Noodles", "merchant_city": "Bangkok", "country": "TH",
		"currency": "THB", "amount": "120.50", "point_of_initiation": "dynamic", "crc_valid": true} {
		if d[k] != want {
			t.Errorf("%s = %v, want %v", k, d[k], want)
		}
	}
	// One changed character: the CRC no longer matches, and the command says so.
	bad := strings.Replace(payload, "Bangkok", "Bangkoq", 1)
	out, code = slt(t, nil, "qr", "decode", bad)
	if code == 0 || !strings.Contains(out, "does not match") {
		t.Errorf("tampered payload: exit %d: %s", code, out)
	}
	if out, code := slt(t, nil, "qr", "decode", "0002010102"); code == 0 {
		t.Errorf("truncated payload accepted: %s", out)
	}
}

func TestPaycodeCommand(t *testing.T) {
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	args := []string{"paycode", "--device", "123456", "--secret", secret, "--at", "2026-11-25T12:00:00Z"}
	a, code := slt(t, nil, args...)
	if code != 0 || !regexp.MustCompile(`^77[0-9]{16}\n$`).MatchString(a) {
		t.Fatalf("paycode: exit %d: %q", code, a)
	}
	b, _ := slt(t, nil, args...)
	c, _ := slt(t, nil, "paycode", "--device", "123456", "--secret", secret, "--at", "2026-11-25T12:01:00Z")
	if a != b || a == c {
		t.Errorf("codes: same time %q %q, next minute %q", a, b, c)
	}
	// The pictures a till scans.
	dir := t.TempDir()
	if out, code := slt(t, nil, append(args, "--qr", dir+"/qr.png", "--barcode", dir+"/bar.png")...); code != 0 {
		t.Fatalf("paycode --qr --barcode: %d %s", code, out)
	}
	for _, f := range []string{"qr.png", "bar.png"} {
		b, err := os.ReadFile(dir + "/" + f)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG (%v)", f, err)
		}
	}
}

func TestHelpDoesNotRunTheCommand(t *testing.T) {
	out, code := slt(t, nil, "serve", "--help")
	if code != 0 || !strings.Contains(out, "--addr") || strings.Contains(out, "is serving") {
		t.Errorf("serve --help: exit %d:\n%s", code, out)
	}
}
