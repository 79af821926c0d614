package wallet

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// The authenticator code is RFC 6238's with SHA-1 and 6 digits: the
// RFC's Appendix B SHA-1 values (8 digits) end in ours. The vectors are
// pkg/paycode's fixture, a copy of the RFCs' tables.
func TestTOTPCodeRFC6238(t *testing.T) {
	raw, err := os.ReadFile("../../pkg/paycode/testdata/otp_rfc4226_rfc6238.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		TOTP struct {
			Step    int               `json:"time_step_seconds"`
			Secrets map[string]string `json:"secrets_ascii"`
			Cases   []struct {
				Unix int64  `json:"unix_time"`
				Mode string `json:"mode"`
				Code string `json:"totp_8"`
			} `json:"cases"`
		} `json:"totp_rfc6238"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if v.TOTP.Step != int(TOTPStep/time.Second) {
		t.Fatalf("the vectors' step is %d s", v.TOTP.Step)
	}
	n := 0
	for _, c := range v.TOTP.Cases {
		if c.Mode != "SHA1" {
			continue
		}
		got, err := TOTPCode([]byte(v.TOTP.Secrets["SHA1"]), time.Unix(c.Unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Code[len(c.Code)-TOTPDigits:]; got != want {
			t.Errorf("T=%d: %s, want %s", c.Unix, got, want)
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d SHA-1 vectors", n)
	}
}

func TestTOTPURI(t *testing.T) {
	u, err := url.Parse(totpURI("+8613800138000", "JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/ShiLianTong:+8613800138000" || !strings.Contains(u.RawPath, "%2B") {
		t.Errorf("uri %v (raw path %q)", u, u.RawPath)
	}
	q := u.Query()
	for k, want := range map[string]string{"secret": "JBSWY3DPEHPK3PXP", "issuer": "ShiLianTong", "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if q.Get(k) != want {
			t.Errorf("%s=%q, want %q", k, q.Get(k), want)
		}
	}
}

func TestNameFromUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":                       "Chrome on Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0":                   "Edge on Windows",
		"Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.49 Chrome/116.0 Mobile Safari/537.36":                                                 "WeChat on Android",
		"Go-http-client/1.1": "Go-http-client/1.1",
		"":                   "Unknown device",
	} {
		if got := NameFromUserAgent(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

func TestDeviceToken(t *testing.T) {
	tok, err := NewDeviceToken()
	if err != nil {
		t.Fatal(err)
	}
	if !ValidDeviceToken(tok) {
		t.Errorf("%q is not valid", tok)
	}
	for _, bad := range []string{"", "dev_", "dev_short", strings.Repeat("x", 47), "dev_" + strings.Repeat("!", 43)} {
		if ValidDeviceToken(bad) {
			t.Errorf("%q is valid", bad)
		}
	}
}
