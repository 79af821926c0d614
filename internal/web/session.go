package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Sessions are the wallet's: the cookie holds the session token the
// wallet's Login returns (HttpOnly, SameSite=Lax, Secure over TLS); the
// wallet stores only its hash, lists it among the user's sessions and
// ends it at logout.

const (
	sessionCookie = "slt_session"
	langCookie    = "slt_lang"
)

type userKey struct{}
type sessionKey struct{}

// session returns the request's user and session, if its cookie is a
// valid session.
func (a *App) session(r *http.Request) (wallet.User, wallet.Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return wallet.User{}, wallet.Session{}, false
	}
	u, s, err := a.w.Authenticate(r.Context(), c.Value)
	if err != nil {
		return wallet.User{}, wallet.Session{}, false
	}
	return u, s, true
}

// authed wraps a handler that needs a logged-in user: without one, a GET
// goes to the login page (and back after it); anything else is refused.
func (a *App) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, s, ok := a.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			a.renderError(w, r, http.StatusUnauthorized, "err.session_invalid")
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), userKey{}, u), sessionKey{}, s)
		ctx = wallet.WithActor(ctx, wallet.Actor{ID: u.ID, IP: clientIP(r), Client: clip(r.UserAgent(), 200)})
		h(w, r.WithContext(ctx))
	}
}

// form wraps a POST handler: the body is bounded and parsed, and its CSRF
// token checked before the handler runs.
func (a *App) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			a.renderError(w, r, http.StatusBadRequest, "err.bad_form")
			return
		}
		if !a.csrf.valid(r) {
			a.renderError(w, r, http.StatusForbidden, "err.csrf")
			return
		}
		if wallet.ActorFrom(r.Context()).IP == "" { // not logged in (yet): where from, for the audit trail
			r = r.WithContext(wallet.WithActor(r.Context(), wallet.Actor{IP: clientIP(r), Client: clip(r.UserAgent(), 200)}))
		}
		h(w, r)
	}
}

func userOf(r *http.Request) wallet.User {
	u, _ := r.Context().Value(userKey{}).(wallet.User)
	return u
}

func sessionOf(r *http.Request) wallet.Session {
	s, _ := r.Context().Value(sessionKey{}).(wallet.Session)
	return s
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionCookieAge.Seconds())})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// clientIP is the address a request came from (the connection's: a proxy
// in front must be trusted explicitly, which this app does not do yet).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext is a local path to return to after logging in, or /app.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/app"
	}
	return next
}
