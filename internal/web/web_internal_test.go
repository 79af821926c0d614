package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"
)

func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMoneyPerLocaleAndCurrency(t *testing.T) {
	c := testCatalog(t)
	zh, en := c.Locale(language.SimplifiedChinese), c.Locale(language.English)
	nb := "\u00a0"
	for _, tc := range []struct {
		minor  int64
		cur    string
		zh, en string
	}{
		{3550, "CNY", "¥35.50", "CNY" + nb + "35.50"},
		{0, "CNY", "¥0.00", "CNY" + nb + "0.00"},
		{5, "CNY", "¥0.05", "CNY" + nb + "0.05"},
		{-3550, "CNY", "-¥35.50", "-CNY" + nb + "35.50"},
		{123456789, "CNY", "¥1,234,567.89", "CNY" + nb + "1,234,567.89"},
		{100, "JPY", "JPY" + nb + "100", "JPY" + nb + "100"},                                                 // exponent 0
		{1234567, "JPY", "JPY" + nb + "1,234,567", "JPY" + nb + "1,234,567"},                                 // exponent 0, grouped
		{1234, "KWD", "KWD" + nb + "1.234", "KWD" + nb + "1.234"},                                            // exponent 3
		{-1, "KWD", "-KWD" + nb + "0.001", "-KWD" + nb + "0.001"},                                            // exponent 3, tiny
		{9223372036854775807, "CNY", "¥92,233,720,368,547,758.07", "CNY" + nb + "92,233,720,368,547,758.07"}, // no float
		{12, "XXX", "XXX 12", "XXX 12"},                                                                      // no minor units: the number as is
	} {
		if got := zh.Money(tc.minor, tc.cur); got != tc.zh {
			t.Errorf("zh %d %s = %q, want %q", tc.minor, tc.cur, got, tc.zh)
		}
		if got := en.Money(tc.minor, tc.cur); got != tc.en {
			t.Errorf("en %d %s = %q, want %q", tc.minor, tc.cur, got, tc.en)
		}
	}
	if got := en.SignedMoney(100, "CNY"); got != "+CNY"+nb+"1.00" {
		t.Errorf("signed: %q", got)
	}
	if got := zh.Plain(2000, "CNY"); got != "20.00" {
		t.Errorf("plain: %q", got)
	}
}

func TestDates(t *testing.T) {
	c := testCatalog(t)
	zone := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 25, 6, 5, 0, 0, time.UTC)
	if got := c.Locale(language.SimplifiedChinese).Date(at, zone); got != "2026年11月25日 14:05" {
		t.Errorf("zh: %q", got)
	}
	if got := c.Locale(language.English).Date(at, zone); got != "25 Nov 2026, 14:05" {
		t.Errorf("en: %q", got)
	}
}

func TestMessagesFormatAndTranslate(t *testing.T) {
	c := testCatalog(t)
	if got := c.Locale(language.English).T("err.pin_incorrect", 3); got != "Wrong PIN; 3 tries left." {
		t.Errorf("en: %q", got)
	}
	if got := c.Locale(language.SimplifiedChinese).T("home.scan"); got != "扫一扫" {
		t.Errorf("zh: %q", got)
	}
}

// Every message a template names exists (both catalogues have the same
// keys: loadCatalog refuses them otherwise).
func TestTemplatesUseOnlyKnownMessages(t *testing.T) {
	c := testCatalog(t)
	re := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !c.Has(m[1]) {
				t.Errorf("%s: no message %q", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"bill.type.", "bill.status.", "order.status.", "requests.status.", "cards.type.", "cards.status."} {
		found := false
		for k := range c.keys[langs[0]] {
			found = found || strings.HasPrefix(k, prefix)
		}
		if !found {
			t.Errorf("no messages %s*", prefix)
		}
	}
}

func TestRequestLanguage(t *testing.T) {
	for _, tc := range []struct {
		cookie, accept string
		want           language.Tag
	}{
		{"", "", language.SimplifiedChinese},
		{"", "en-GB,en;q=0.9", language.English},
		{"", "zh-CN,zh;q=0.9,en;q=0.5", language.SimplifiedChinese},
		{"en", "zh-CN", language.English},
		{"zh-Hans", "en-US", language.SimplifiedChinese},
		{"klingon", "en-US", language.English},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := requestLang(r); got != tc.want {
			t.Errorf("cookie %q, Accept-Language %q: %v, want %v", tc.cookie, tc.accept, got, tc.want)
		}
	}
}

func TestCSRF(t *testing.T) {
	c := csrf{key: []byte("0123456789abcdef0123456789abcdef")}
	w := httptest.NewRecorder()
	seed := c.seed(w, httptest.NewRequest("GET", "/login", nil))
	set := w.Result().Cookies()
	if len(set) != 1 || set[0].Name != csrfCookie || !set[0].HttpOnly || set[0].SameSite != http.SameSiteStrictMode || set[0].Value != seed {
		t.Fatalf("cookie: %+v", set)
	}
	post := func(cookie, token string) bool {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{csrfField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: csrfCookie, Value: cookie})
		}
		return c.valid(r)
	}
	if !post(seed, c.token(seed)) {
		t.Error("the right token was refused")
	}
	other := csrf{key: []byte("another key, also thirty-two b!!")}
	for name, ok := range map[string]bool{
		"no token":           post(seed, ""),
		"no cookie":          post("", c.token(seed)),
		"another cookie":     post(strings.Repeat("A", 43), c.token(seed)),
		"token of other key": post(seed, other.token(seed)),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// A request that has the cookie keeps it.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: seed})
	w = httptest.NewRecorder()
	if got := c.seed(w, r); got != seed || len(w.Result().Cookies()) != 0 {
		t.Errorf("seed changed: %q", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/app", nil))
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: %v", w.Header())
	}
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/app/bills": "/app/bills", "": "/app", "//evil.example": "/app", "https://evil.example": "/app",
		"/\\evil.example": "/app", "/app\r\nX: y": "/app"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAmountOf(t *testing.T) {
	for in, want := range map[string]int64{"35.50": 3550, "35.5": 3550, "1,000": 100000, " 8 ": 800, "0": -1, "-1": -1, "1.234": -1, "abc": -1, "1e3": -1} {
		got, ok := amountOf(in, "CNY")
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("amountOf(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestPagesParse(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"login", "signup", "home", "transfer", "scan", "pay", "paycode", "confirm", "bills", "bill", "settings", "error"} {
		if pages[p] == nil {
			t.Errorf("no page %s", p)
		}
	}
}
