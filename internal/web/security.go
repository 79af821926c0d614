package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// contentSecurityPolicy allows only this origin's scripts, styles and
// images (QR codes are data: or blob: images made here), no inline script
// or style, no plugins, no framing, and forms that post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every page carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// CSRF: every form carries a token that is an HMAC, under the server's
// key, of a random value in an HttpOnly, SameSite=Strict cookie set on the
// first page. A cross-site page can neither read the cookie nor compute
// the token; a POST without the right token changes nothing. Go's
// CrossOriginProtection (Sec-Fetch-Site / Origin) refuses cross-origin
// POSTs before that, in browsers that send those headers.

const (
	csrfCookie = "slt_csrf"
	csrfField  = "csrf"
)

type csrf struct{ key []byte }

func (c csrf) token(seed string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("web/csrf\x00" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seed returns the request's CSRF cookie value, setting a new cookie when
// there is none.
func (c csrf) seed(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	return v
}

// rotate gives the browser a new CSRF seed (at login: a seed planted
// before it is not the one after).
func (c csrf) rotate(w http.ResponseWriter, r *http.Request) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: base64.RawURLEncoding.EncodeToString(b[:]), Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// valid reports whether a POST carries the token of its cookie.
func (c csrf) valid(r *http.Request) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	got := r.PostFormValue(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.token(ck.Value))) == 1
}
