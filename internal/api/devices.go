package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const securityTag = "Devices and security"

// DeviceView is a device the user logged in from.
type DeviceView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name" doc:"From the User-Agent, or the device_name the app gave."`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	LastIP    string    `json:"last_ip,omitempty"`
	Trusted   bool      `json:"trusted" doc:"Logins from it need no step-up."`
	Current   bool      `json:"current,omitempty" doc:"The device of this session."`
}

func deviceView(d wallet.Device, current string) DeviceView {
	return DeviceView{ID: d.ID, Name: d.Name, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, LastIP: d.LastIP, Trusted: d.Trusted,
		Current: d.ID != "" && d.ID == current}
}

// LoginEventView is one login attempt.
type LoginEventView struct {
	At       time.Time `json:"at"`
	Outcome  string    `json:"outcome" enum:"success,wrong_password,throttled,step_up_required,step_up_passed,step_up_failed,failed"`
	Method   string    `json:"method,omitempty" doc:"password, passkey or totp."`
	IP       string    `json:"ip,omitempty"`
	DeviceID string    `json:"device_id,omitempty"`
	Client   string    `json:"client,omitempty" doc:"The User-Agent."`
}

// LoginEventViews lists login attempts as their views.
func LoginEventViews(es []wallet.LoginEvent) []LoginEventView {
	return mapSlice(es, func(e wallet.LoginEvent) LoginEventView {
		return LoginEventView{At: e.At, Outcome: e.Outcome, Method: e.Method, IP: e.IP, DeviceID: e.DeviceID, Client: e.Client}
	})
}

type (
	devicesOutput struct {
		Body struct {
			Devices []DeviceView `json:"devices"`
		}
	}
	loginsOutput struct {
		Body struct {
			Logins []LoginEventView `json:"logins"`
		}
	}
	totpOutput struct {
		Body struct {
			Secret string `json:"secret" doc:"Base32, to type into the app. Shown once."`
			URI    string `json:"uri" doc:"otpauth://totp/… for the app's QR scanner (SHA-1, 6 digits, 30 s)."`
		}
	}
)

func registerDevices(a huma.API, w *wallet.Service) {
	session := func(ctx context.Context) wallet.Session {
		s, _ := ctx.Value(sessionKey).(wallet.Session)
		return s
	}
	huma.Register(a, huma.Operation{
		OperationID: "listDevices", Method: http.MethodGet, Path: "/v1/me/devices", Tags: []string{securityTag},
		Summary: "My devices (where I logged in from)", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*devicesOutput, error) {
		ds, err := w.Devices(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		cur := session(ctx).DeviceID
		out := &devicesOutput{}
		out.Body.Devices = mapSlice(ds, func(d wallet.Device) DeviceView { return deviceView(d, cur) })
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "revokeDevice", Method: http.MethodDelete, Path: "/v1/me/devices/{id}", Tags: []string{securityTag},
		Summary: "Revoke a device: its sessions end and its payment codes stop", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "Every session opened on the device ends at once, the payment codes enrolled from it are revoked, " +
			"and its device_token is never trusted again (a login with it is a new device).",
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*struct{}, error) {
		return nil, w.RevokeDevice(ctx, userFrom(ctx), in.ID)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listLogins", Method: http.MethodGet, Path: "/v1/me/logins", Tags: []string{securityTag},
		Summary: "My login history", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
		Description: "Every login attempt on my number, newest first: its outcome, when, from which address, device and client. Kept 180 days.",
	}, wrap(func(ctx context.Context, in *struct {
		Limit int `query:"limit" minimum:"0" maximum:"200" doc:"At most this many (default 50)."`
	}) (*loginsOutput, error) {
		es, err := w.LoginHistory(ctx, userFrom(ctx).ID, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &loginsOutput{}
		out.Body.Logins = LoginEventViews(es)
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "beginTOTP", Method: http.MethodPost, Path: "/v1/me/totp", Tags: []string{securityTag},
		Summary: "Set up an authenticator app: get its secret", Security: sessionOnly,
		Description: "RFC 6238 (SHA-1, 6 digits, 30 s). Confirm with the app's first code (POST /v1/me/totp/confirm); until then it is not on. " +
			"With an app on already: 409 totp_enabled.",
		Errors: []int{http.StatusUnauthorized, http.StatusConflict},
	}, wrap(func(ctx context.Context, _ *struct{}) (*totpOutput, error) {
		e, err := w.BeginTOTP(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &totpOutput{}
		out.Body.Secret, out.Body.URI = e.Secret, e.URI
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "confirmTOTP", Method: http.MethodPost, Path: "/v1/me/totp/confirm", Tags: []string{securityTag},
		Summary: "Turn the authenticator app on with its first code", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "Wrong codes: totp_invalid; five in 15 minutes: 423 too_many_totp.",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Code string `json:"code" maxLength:"16" example:"123456"`
		}
	}) (*struct{}, error) {
		return nil, w.ConfirmTOTP(ctx, userFrom(ctx), in.Body.Code)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "disableTOTP", Method: http.MethodDelete, Path: "/v1/me/totp", Tags: []string{securityTag},
		Summary: "Turn the authenticator app off", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Description: "The payment PIN or a code of the app confirms it.",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body *struct {
			PIN  string `json:"pin,omitempty" maxLength:"16"`
			Code string `json:"code,omitempty" maxLength:"16"`
		}
	}) (*struct{}, error) {
		var pin, code string
		if in.Body != nil {
			pin, code = in.Body.PIN, in.Body.Code
		}
		return nil, w.DisableTOTP(ctx, userFrom(ctx), pin, code)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "stepUp", Method: http.MethodPost, Path: "/v1/login/step-up", Tags: []string{accountTag, securityTag},
		Summary: "Finish a login from a new device: a code or a passkey", DefaultStatus: http.StatusCreated,
		Description: "After 401 step_up_required: send its step_up_token with a code of the authenticator app (totp) or a passkey assertion " +
			"(passkey, answering POST /v1/login/step-up/passkey). The device becomes trusted and a session opens, as POST /v1/sessions answers. " +
			"The token lasts 5 minutes and is used once; codes are single use (totp_used) and throttled (too_many_totp).",
		Errors: []int{http.StatusUnauthorized, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			StepUpToken string             `json:"step_up_token" maxLength:"100"`
			TOTP        string             `json:"totp,omitempty" maxLength:"16"`
			Passkey     *PasskeyCredential `json:"passkey,omitempty"`
		}
	}) (*loginOutput, error) {
		r, err := w.StepUp(ctx, wallet.StepUpRequest{Token: in.Body.StepUpToken, TOTP: in.Body.TOTP, Passkey: in.Body.Passkey.raw()})
		if err != nil {
			return nil, err
		}
		return loginView(ctx, w, r)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "beginStepUpPasskey", Method: http.MethodPost, Path: "/v1/login/step-up/passkey", Tags: []string{accountTag, passkeyTag},
		Summary: "Step up with a passkey: get the options",
		Description: "For the step_up_token of a login from a new device: the options of navigator.credentials.get, allowing the user's passkeys; " +
			"the challenge answers once, for this step-up, within 2 minutes.",
		Errors: []int{http.StatusUnauthorized, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			StepUpToken string `json:"step_up_token" maxLength:"100"`
		}
	}) (*passkeyOptionsOutput, error) {
		o, err := w.BeginStepUpPasskey(ctx, in.Body.StepUpToken)
		if err != nil {
			return nil, err
		}
		return optionsView(o), nil
	}))
}
