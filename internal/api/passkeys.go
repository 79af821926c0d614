package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// PasskeyCredential is a PublicKeyCredential as JSON (what the browser's
// toJSON gives): binary fields are base64url. A registration answers with
// attestationObject, an assertion with authenticatorData and signature.
type PasskeyCredential struct {
	_                       struct{} `additionalProperties:"true"`
	ID                      string   `json:"id" maxLength:"1024"`
	RawID                   string   `json:"rawId" maxLength:"1024"`
	Type                    string   `json:"type" enum:"public-key"`
	AuthenticatorAttachment string   `json:"authenticatorAttachment,omitempty" maxLength:"32"`
	Response                struct {
		_                 struct{} `additionalProperties:"true"`
		ClientDataJSON    string   `json:"clientDataJSON" maxLength:"8192"`
		AuthenticatorData string   `json:"authenticatorData,omitempty" maxLength:"8192"`
		Signature         string   `json:"signature,omitempty" maxLength:"2048"`
		UserHandle        string   `json:"userHandle,omitempty" maxLength:"256"`
		AttestationObject string   `json:"attestationObject,omitempty" maxLength:"16384"`
		Transports        []string `json:"transports,omitempty" maxItems:"10"`
	} `json:"response"`
	ClientExtensionResults map[string]any `json:"clientExtensionResults,omitempty"`
}

// raw is the credential as the WebAuthn library reads it.
func (c *PasskeyCredential) raw() []byte {
	if c == nil {
		return nil
	}
	if c.ClientExtensionResults == nil {
		c.ClientExtensionResults = map[string]any{}
	}
	b, _ := json.Marshal(c)
	return b
}

// PasskeyOptionsView are the options to pass to navigator.credentials
// (create or get) after decoding their base64url fields.
type PasskeyOptionsView struct {
	Options   json.RawMessage `json:"options" doc:"{\"publicKey\": …} for navigator.credentials.create or .get; binary fields base64url."`
	ExpiresAt time.Time       `json:"expires_at" doc:"The challenge must be answered before this (2 minutes)."`
}

type passkeyOptionsOutput struct{ Body PasskeyOptionsView }

func optionsView(o wallet.PasskeyOptions) *passkeyOptionsOutput {
	return &passkeyOptionsOutput{Body: PasskeyOptionsView{Options: o.Options, ExpiresAt: o.ExpiresAt}}
}

// PasskeyView is a registered passkey.
type PasskeyView struct {
	ID         string    `json:"id" doc:"The credential id (base64url)."`
	Name       string    `json:"name"`
	AAGUID     string    `json:"aaguid,omitempty" doc:"The authenticator model, if it tells."`
	Transports []string  `json:"transports,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

func passkeyView(p wallet.Passkey) PasskeyView {
	return PasskeyView{ID: p.ID, Name: p.Name, AAGUID: p.AAGUID, Transports: p.Transports, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

const passkeyTag = "Passkeys"

func registerPasskeys(a huma.API, w *wallet.Service) {
	session := func(ctx context.Context) wallet.Session {
		s, _ := ctx.Value(sessionKey).(wallet.Session)
		return s
	}
	huma.Register(a, huma.Operation{
		OperationID: "beginPasskeyRegistration", Method: http.MethodPost, Path: "/v1/me/passkeys/register/begin", Tags: []string{passkeyTag},
		Summary: "Add a passkey (fingerprint / face): get the options", Security: sessionOnly,
		Description: "Returns the options for navigator.credentials.create; the challenge is kept by the server for this session for 2 minutes.",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict},
	}, wrap(func(ctx context.Context, _ *struct{}) (*passkeyOptionsOutput, error) {
		o, err := w.BeginPasskeyRegistration(ctx, userFrom(ctx), session(ctx).ID)
		if err != nil {
			return nil, err
		}
		return optionsView(o), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "finishPasskeyRegistration", Method: http.MethodPost, Path: "/v1/me/passkeys/register/finish", Tags: []string{passkeyTag},
		Summary: "Add a passkey: send the authenticator's answer", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Description: "Verifies the attestation (format none is accepted) against the challenge of /begin, once. Errors: passkey_invalid, passkey_challenge, passkey_replayed.",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Name       string            `json:"name,omitempty" maxLength:"160" doc:"What to call it (\"my phone\"); at most 40 characters."`
			Credential PasskeyCredential `json:"credential"`
		}
	}) (*struct{ Body PasskeyView }, error) {
		p, err := w.FinishPasskeyRegistration(ctx, userFrom(ctx), session(ctx).ID, in.Body.Credential.raw(), in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &struct{ Body PasskeyView }{Body: passkeyView(p)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listPasskeys", Method: http.MethodGet, Path: "/v1/me/passkeys", Tags: []string{passkeyTag},
		Summary: "My passkeys", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*struct {
		Body struct {
			Passkeys []PasskeyView `json:"passkeys"`
		}
	}, error) {
		pks, err := w.Passkeys(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Passkeys []PasskeyView `json:"passkeys"`
			}
		}{}
		out.Body.Passkeys = mapSlice(pks, passkeyView)
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "removePasskey", Method: http.MethodDelete, Path: "/v1/me/passkeys/{id}", Tags: []string{passkeyTag},
		Summary: "Remove a passkey", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"1024"`
	}) (*struct{}, error) {
		return nil, w.RemovePasskey(ctx, userFrom(ctx), in.ID)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "beginPasskeyLogin", Method: http.MethodPost, Path: "/v1/sessions/passkey/begin", Tags: []string{accountTag, passkeyTag},
		Summary: "Log in with a passkey: get the options",
		Description: "With a mobile number, that user's passkeys are allowed; without, any passkey of this site the device holds (discoverable). " +
			"An unknown number gets a discoverable login, so the answer does not tell which numbers are registered.",
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Phone string `json:"phone,omitempty" maxLength:"32"`
		}
	}) (*passkeyOptionsOutput, error) {
		o, err := w.BeginPasskeyLogin(ctx, in.Body.Phone)
		if err != nil {
			return nil, err
		}
		return optionsView(o), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "finishPasskeyLogin", Method: http.MethodPost, Path: "/v1/sessions/passkey/finish", Tags: []string{accountTag, passkeyTag},
		Summary: "Log in with a passkey: send the assertion", DefaultStatus: http.StatusCreated,
		Description: "Opens a session as POST /v1/sessions does; a passkey is more than a password, so its device becomes trusted (no step-up). The signature counter must go up (passkey_sign_count); a challenge answers once (passkey_replayed).",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		UserAgent string `header:"User-Agent"`
		Body      struct {
			Credential  PasskeyCredential `json:"credential"`
			DeviceToken string            `json:"device_token,omitempty" maxLength:"100" doc:"As in POST /v1/sessions."`
			DeviceName  string            `json:"device_name,omitempty" maxLength:"160"`
		}
	}) (*loginOutput, error) {
		r, err := w.FinishPasskeyLogin(ctx, in.Body.Credential.raw(), wallet.DeviceHint{Token: in.Body.DeviceToken, Name: in.Body.DeviceName, Client: in.UserAgent})
		if err != nil {
			return nil, err
		}
		return loginView(ctx, w, r)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "beginPasskeyPayment", Method: http.MethodPost, Path: "/v1/payments/passkey/begin", Tags: []string{payTag, passkeyTag},
		Summary: "Confirm a payment with a passkey: get the options", Security: sessionOnly,
		Description: "Name the payment: a transfer (as POST /v1/transfers, with the same Idempotency-Key), a scanned code (as POST /v1/payments) " +
			"or an order a shop started with the payment code (as POST /v1/payments/{id}/confirm). The challenge is SHA-256 over the payment " +
			"(payer, payee, id, amount, currency) and a nonce the server keeps; send the assertion as `passkey` in place of `pin` to that " +
			"endpoint within 2 minutes. It confirms that payment once: another payment is passkey_mismatch, a second use passkey_replayed.",
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Key  string `header:"Idempotency-Key" maxLength:"255" doc:"The key the transfer or store-code payment will be sent with."`
		Body struct {
			Transfer *struct {
				To       string `json:"to" maxLength:"512"`
				Amount   int64  `json:"amount" minimum:"1"`
				Currency string `json:"currency" pattern:"^[A-Z]{3}$"`
				Note     string `json:"note,omitempty" maxLength:"160"`
			} `json:"transfer,omitempty" doc:"A transfer to confirm."`
			Scan *struct {
				Payload string `json:"payload" maxLength:"512"`
				Amount  int64  `json:"amount,omitempty" minimum:"0"`
			} `json:"scan,omitempty" doc:"A scanned merchant code to pay."`
			OrderID string `json:"order_id,omitempty" maxLength:"64" doc:"An order waiting for my confirmation."`
		}
	}) (*passkeyOptionsOutput, error) {
		if in.Key != "" {
			if err := wallet.CheckIdempotencyKey(in.Key); err != nil {
				return nil, err
			}
		}
		var p wallet.PaymentToConfirm
		if t := in.Body.Transfer; t != nil {
			p.Transfer = &wallet.P2PRequest{To: t.To, Amount: t.Amount, Currency: t.Currency, Note: t.Note, IdempotencyKey: in.Key}
		}
		if sc := in.Body.Scan; sc != nil {
			p.Scan = &wallet.ScanPayment{Payload: sc.Payload, Amount: sc.Amount, IdempotencyKey: in.Key}
		}
		p.OrderID = in.Body.OrderID
		o, err := w.BeginPasskeyPayment(ctx, userFrom(ctx), session(ctx).ID, p)
		if err != nil {
			return nil, err
		}
		return optionsView(o), nil
	}))
}
