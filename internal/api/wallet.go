package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const (
	sessionScheme = "session"
	walletTag     = "Wallet"
	accountTag    = "Account"
)

var sessionOnly = []map[string][]string{{sessionScheme: {}}}

type ctxKey int

const (
	userKey ctxKey = iota
	sessionKey
)

// userFrom returns the authenticated user of a request.
func userFrom(ctx context.Context) wallet.User {
	u, _ := ctx.Value(userKey).(wallet.User)
	return u
}

// requireSession authenticates operations that ask for a session.
func requireSession(a huma.API, w *wallet.Service) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if !needsScheme(ctx.Operation(), sessionScheme) {
			if wallet.ActorFrom(ctx.Context()).IP == "" {
				ctx = withActor(ctx, "") // anonymous (logging in), from where
			}
			next(ctx)
			return
		}
		token, _ := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		u, sess, err := w.Authenticate(ctx.Context(), token)
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="shiliantong"`)
			p := walletProblem(err)
			ctx.SetHeader("Content-Type", "application/problem+json")
			ctx.SetStatus(p.Status)
			_ = huma.WriteErr(a, ctx, p.Status, p.Detail, p)
			return
		}
		ctx = huma.WithValue(withActor(ctx, u.ID), userKey, u)
		next(huma.WithValue(ctx, sessionKey, sess))
	}
}

var kindStatus = map[wallet.Kind]int{
	wallet.KindInvalid:      http.StatusUnprocessableEntity,
	wallet.KindUnauthorized: http.StatusUnauthorized,
	wallet.KindForbidden:    http.StatusForbidden,
	wallet.KindNotFound:     http.StatusNotFound,
	wallet.KindConflict:     http.StatusConflict,
	wallet.KindLocked:       http.StatusLocked,
	wallet.KindUnavailable:  http.StatusServiceUnavailable,
}

// walletProblem maps a service error to a problem: one table, at the edge.
func walletProblem(err error) *Problem {
	if e, ok := wallet.AsError(err); ok {
		p := problem(kindStatus[e.Kind], e.Code, e.Message)
		p.Extensions = e.Details
		return p
	}
	if p := asProblem(engineError(err)); p.Status != http.StatusInternalServerError {
		return p
	}
	return asProblem(err)
}

// wrap maps the errors of a wallet handler.
func wrap[I, O any](f func(ctx context.Context, in *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		out, err := f(ctx, in)
		if err != nil {
			return nil, walletProblem(err)
		}
		return out, nil
	}
}

// User is a user's profile.
type User struct {
	ID                string    `json:"id"`
	Phone             string    `json:"phone"`
	Name              string    `json:"name"`
	Role              string    `json:"role" enum:"user,merchant_staff,operator"`
	Tier              int       `json:"tier" doc:"0: mobile only; 1: real name verified; 2: and a verified bank card."`
	RealName          string    `json:"real_name,omitempty"`
	IDDocument        string    `json:"id_document,omitempty" doc:"The verified identity document, masked."`
	PINSet            bool      `json:"pin_set"`
	PINLockedUntil    time.Time `json:"pin_locked_until,omitzero"`
	PasswordFreePerTx int64     `json:"password_free_per_transaction" doc:"CNY minor units; 0: password-free payments are off."`
	PasswordFreeDaily int64     `json:"password_free_daily"`
	Language          string    `json:"language,omitempty" doc:"The language the user chose (zh-Hans or en)."`
	CreatedAt         time.Time `json:"created_at"`
}

func userView(u wallet.User) User {
	return User{ID: u.ID, Phone: u.Phone, Name: u.Name, Role: string(u.Role), Tier: int(u.Tier), RealName: u.RealName,
		IDDocument: u.IDMasked, PINSet: u.PINHash != "", PINLockedUntil: u.PINLockedUntil,
		PasswordFreePerTx: u.NoPINPerTx, PasswordFreeDaily: u.NoPINDaily, Language: u.Language, CreatedAt: u.CreatedAt}
}

type userOutput struct{ Body User }

// RegisterRequest is the body of POST /v1/users.
type RegisterRequest struct {
	Phone    string `json:"phone" maxLength:"32" doc:"Mobile number in international form." example:"+8613800138000"`
	Password string `json:"password" maxLength:"256" doc:"At least 8 characters, two kinds of character, not a common password."`
	Name     string `json:"name" maxLength:"128" doc:"The name other users see." example:"王小明"`
}

// LoginRequest is the body of POST /v1/sessions.
type LoginRequest struct {
	Phone       string `json:"phone" maxLength:"32" example:"+8613800138000"`
	Password    string `json:"password" maxLength:"256"`
	DeviceToken string `json:"device_token,omitempty" maxLength:"100" doc:"The device_token an earlier login on this device returned; omit on a new device (one is made)."`
	DeviceName  string `json:"device_name,omitempty" maxLength:"160" doc:"What to call this device (\"Wang's phone\"); by default a name from the User-Agent."`
}

// SessionView is a login session.
type SessionView struct {
	ID        string    `json:"id"`
	Client    string    `json:"client"`
	DeviceID  string    `json:"device_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Current   bool      `json:"current,omitempty"`
}

type loginOutput struct {
	Body struct {
		Token       string      `json:"token" doc:"Send as Authorization: Bearer <token>. Shown once."`
		Session     SessionView `json:"session"`
		User        User        `json:"user"`
		Device      DeviceView  `json:"device"`
		DeviceToken string      `json:"device_token,omitempty" doc:"Keep it and send it with every login from this device (device_token): a known device needs no step-up."`
	}
}

// loginView is a login's answer; token authenticates the user again
// (their profile as it is now).
func loginView(ctx context.Context, w *wallet.Service, r wallet.LoginResult) (*loginOutput, error) {
	u, _, err := w.Authenticate(ctx, r.Token)
	if err != nil {
		return nil, err
	}
	out := &loginOutput{}
	out.Body.Token, out.Body.Session, out.Body.User = r.Token, sessionView(r.Session, r.Session.ID), userView(u)
	out.Body.Device, out.Body.DeviceToken = deviceView(r.Device, r.Session.DeviceID), r.DeviceToken
	return out, nil
}

func registerAccount(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "register", Method: http.MethodPost, Path: "/v1/users", Tags: []string{accountTag},
		Summary: "Register with a mobile number and a password", DefaultStatus: http.StatusCreated,
		Description: "Creates the user and their CNY wallet. Weak or common passwords are refused (weak_password); a registered number is phone_taken.",
		Errors:      []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct{ Body RegisterRequest }) (*userOutput, error) {
		u, err := w.Register(ctx, wallet.Registration{Phone: in.Body.Phone, Password: in.Body.Password, Name: in.Body.Name})
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: userView(u)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/v1/sessions", Tags: []string{accountTag},
		Summary: "Log in: returns a session token", DefaultStatus: http.StatusCreated,
		Description: "The login names its device with device_token (from an earlier login; without one a new device is made). " +
			"From a device that is not trusted, a user with a passkey or an authenticator app gets 401 step_up_required with " +
			"step_up_token, methods, device_id and device_token: finish with POST /v1/login/step-up. Five wrong passwords in 15 minutes: 423 too_many_logins.",
		Errors: []int{http.StatusUnauthorized, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		UserAgent string `header:"User-Agent"`
		Body      LoginRequest
	}) (*loginOutput, error) {
		r, err := w.Login(ctx, wallet.LoginRequest{Phone: in.Body.Phone, Password: in.Body.Password,
			Device: wallet.DeviceHint{Token: in.Body.DeviceToken, Name: in.Body.DeviceName, Client: in.UserAgent}})
		if err != nil {
			return nil, err
		}
		return loginView(ctx, w, r)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "logout", Method: http.MethodDelete, Path: "/v1/sessions/current", Tags: []string{accountTag},
		Summary: "Log out: end this session", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		sess, _ := ctx.Value(sessionKey).(wallet.Session)
		return nil, w.RevokeSession(ctx, sess.UserID, sess.ID)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listSessions", Method: http.MethodGet, Path: "/v1/me/sessions", Tags: []string{accountTag},
		Summary: "List my sessions", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
		sess, _ := ctx.Value(sessionKey).(wallet.Session)
		all, err := w.Sessions(ctx, sess.UserID)
		if err != nil {
			return nil, err
		}
		out := &sessionsOutput{}
		out.Body.Sessions = mapSlice(all, func(s wallet.Session) SessionView { return sessionView(s, sess.ID) })
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "revokeSession", Method: http.MethodDelete, Path: "/v1/me/sessions/{id}", Tags: []string{accountTag},
		Summary: "End one of my sessions (log out another device)", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*struct{}, error) {
		return nil, w.RevokeSession(ctx, userFrom(ctx).ID, in.ID)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "me", Method: http.MethodGet, Path: "/v1/me", Tags: []string{accountTag},
		Summary: "My profile", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*userOutput, error) {
		return &userOutput{Body: userView(userFrom(ctx))}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "setPIN", Method: http.MethodPut, Path: "/v1/me/pin", Tags: []string{accountTag},
		Summary: "Set or change the payment PIN", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "Six digits, not one digit repeated or a run. The login password confirms it is you.",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Password string `json:"password" maxLength:"256"`
			PIN      string `json:"pin" maxLength:"16" example:"285714"`
		}
	}) (*struct{}, error) {
		return nil, w.SetPIN(ctx, userFrom(ctx), in.Body.Password, in.Body.PIN)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "setPasswordFree", Method: http.MethodPut, Path: "/v1/me/password-free", Tags: []string{accountTag},
		Summary: "Set password-free small payments (小额免密)", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "CNY payments of at most per_transaction, while the day's password-free total stays within daily, need no PIN. Zeros turn it off.",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Password       string `json:"password" maxLength:"256"`
			PerTransaction int64  `json:"per_transaction" minimum:"0" doc:"CNY minor units."`
			Daily          int64  `json:"daily" minimum:"0" doc:"CNY minor units."`
		}
	}) (*struct{}, error) {
		return nil, w.SetNoPIN(ctx, userFrom(ctx), in.Body.Password, in.Body.PerTransaction, in.Body.Daily)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "reportFraud", Method: http.MethodPost, Path: "/v1/me/report-fraud", Tags: []string{accountTag},
		Summary: "Report fraud: freeze my outflows at once", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "No money can leave the user's wallets until customer service (an operator) unfreezes them. Receiving money still works.",
		Errors:      []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			What string `json:"what,omitempty" maxLength:"1000" doc:"What happened, for customer service."`
		}
	}) (*struct{}, error) {
		_, err := w.ReportFraud(ctx, userFrom(ctx), in.Body.What)
		return nil, err
	}))
	huma.Register(a, huma.Operation{
		OperationID: "setLanguage", Method: http.MethodPut, Path: "/v1/me/language", Tags: []string{accountTag},
		Summary: "Choose the language", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "Kept for the user on every device (the web app and notifications use it).",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Language string `json:"language" maxLength:"16" enum:"zh-Hans,en"`
		}
	}) (*struct{}, error) {
		return nil, w.SetLanguage(ctx, userFrom(ctx), in.Body.Language)
	}))
}

func sessionView(s wallet.Session, current string) SessionView {
	return SessionView{ID: s.ID, Client: s.Client, DeviceID: s.DeviceID, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Current: s.ID == current}
}

func registerPayees(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "checkPayee", Method: http.MethodGet, Path: "/v1/payees/check", Tags: []string{walletTag},
		Summary: "Who a payee is, and how many users reported them, before paying", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		To string `query:"to" maxLength:"512" doc:"Mobile number, user id or receive code."`
	}) (*struct {
		Body struct {
			UserID  string `json:"user_id"`
			Name    string `json:"name"`
			Reports int    `json:"reports" doc:"How many other users reported this payee as a fraudster."`
		}
	}, error) {
		pw, err := w.CheckPayee(ctx, userFrom(ctx), in.To)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				UserID  string `json:"user_id"`
				Name    string `json:"name"`
				Reports int    `json:"reports" doc:"How many other users reported this payee as a fraudster."`
			}
		}{}
		out.Body.UserID, out.Body.Name, out.Body.Reports = pw.Payee.ID, pw.Payee.Name, pw.Reports
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "reportPayee", Method: http.MethodPost, Path: "/v1/payees/report", Tags: []string{walletTag},
		Summary: "Report a payee as a fraudster (others paying them are warned)", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			To     string `json:"to" maxLength:"512"`
			Reason string `json:"reason,omitempty" maxLength:"300"`
		}
	}) (*struct{}, error) {
		return nil, w.ReportPayee(ctx, userFrom(ctx), in.Body.To, in.Body.Reason)
	}))
}
