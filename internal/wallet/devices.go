package wallet

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Devices. Every login names the device it comes from: a browser (the web
// app's long-lived device cookie) or an app install (the API's
// device_token). The client keeps a random device token; the wallet keeps
// only its hash, per user, with a name (from the User-Agent, or the one
// the app gives), when it was first and last seen and from where, and
// whether it is trusted.
//
// A device becomes trusted when the user proves more than the password
// from it: a passkey login, a step-up (a passkey or an authenticator-app
// code after the password), or simply the password while the user has no
// second factor to step up with. A password login from a device that is
// not trusted, by a user who has a passkey or an authenticator app,
// answers step_up_required with a step-up token (StepUp).
//
// Every session names its device, and so does every payment-code
// enrolment made from a session. Revoking a device ends its sessions at
// once and revokes its payment codes; its token is not accepted again (a
// login with it is a new device). See docs/devices.md.

// Codes of device and step-up errors.
const (
	CodeStepUpRequired   = "step_up_required"    // the password was right; prove more (StepUp)
	CodeStepUpInvalid    = "step_up_invalid"     // unknown, used or expired step-up token: log in again
	CodeStepUpMethod     = "step_up_method"      // give a code or a passkey assertion (exactly one)
	CodeInvalidDevice    = "invalid_device"      // a device name that is too long or has control characters
	CodeDeviceNotFound   = "device_not_found"    // no such device of the user's
	CodeStepUpNoPasskeys = "step_up_no_passkeys" // the user has no passkey to step up with
)

// StepUpTTL is how long a step-up token may be used.
const StepUpTTL = 5 * time.Minute

// Login outcomes in the login history.
const (
	LoginSucceeded     = "success"
	LoginWrongPassword = "wrong_password"
	LoginThrottled     = "throttled"
	LoginStepUp        = "step_up_required"
	LoginStepUpPassed  = "step_up_passed"
	LoginStepUpFailed  = "step_up_failed"
	LoginFailed        = "failed" // a passkey that does not verify
)

// loginHistoryKeep is how long login attempts are kept.
const loginHistoryKeep = 180 * 24 * time.Hour

// Device is a browser or app install a user logged in from.
type Device struct {
	ID        string
	UserID    string
	TokenHash string
	Name      string
	FirstSeen time.Time
	LastSeen  time.Time
	LastIP    string
	Trusted   bool
	RevokedAt time.Time
}

// LoginEvent is one login attempt of a user's.
type LoginEvent struct {
	ID       string
	UserID   string
	At       time.Time
	Outcome  string // LoginSucceeded …
	Method   string // password, passkey, totp
	IP       string
	DeviceID string
	Client   string // the User-Agent
}

// StepUp is a login waiting for its second factor.
type StepUp struct {
	ID        string
	TokenHash string
	UserID    string
	DeviceID  string
	Client    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// TOTPRecord is a user's authenticator-app secret (sealed).
type TOTPRecord struct {
	UserID      string
	Secret      string // sealed, bound to "totp:" + user id
	Status      string // pending (enrolled, not confirmed), active
	LastStep    int64  // the newest time step a code was used at
	CreatedAt   time.Time
	ConfirmedAt time.Time
}

// DeviceStore keeps devices, login history, TOTP secrets and step-ups.
type DeviceStore interface {
	CreateDevice(ctx context.Context, d Device) error
	// DeviceByToken returns the user's newest device with that token hash
	// (revoked ones included); ErrNotFound if none.
	DeviceByToken(ctx context.Context, userID, tokenHash string) (Device, error)
	DeviceByID(ctx context.Context, id string) (Device, error)
	// Devices lists a user's devices that are not revoked, last seen first.
	Devices(ctx context.Context, userID string) ([]Device, error)
	// SeeDevice records a login from a device: when, from where, and
	// trusted (which, once set, stays).
	SeeDevice(ctx context.Context, id string, at time.Time, ip string, trusted bool) error
	// RevokeDevice marks one of the user's devices revoked, deletes its
	// sessions and revokes the payment codes enrolled from it, in one
	// transaction; it returns the sessions ended and the payment-code
	// devices revoked. ErrNotFound if the user has no such live device.
	RevokeDevice(ctx context.Context, userID, id string, at time.Time) (sessions int, paycodes []uint64, err error)

	// AddLoginEvent records an attempt and forgets the user's attempts
	// older than before.
	AddLoginEvent(ctx context.Context, e LoginEvent, before time.Time) error
	// LoginEvents lists a user's attempts, newest first.
	LoginEvents(ctx context.Context, userID string, limit int) ([]LoginEvent, error)

	// PutTOTP stores a pending secret in place of a pending one;
	// ErrDuplicate if an active one exists.
	PutTOTP(ctx context.Context, t TOTPRecord) error
	TOTP(ctx context.Context, userID string) (TOTPRecord, error)
	// ActivateTOTP makes a pending secret active, with the step of the
	// code that confirmed it; ErrNotFound if none is pending.
	ActivateTOTP(ctx context.Context, userID string, step int64, at time.Time) error
	// UseTOTPStep records a used code's time step if it is newer than the
	// last (a compare-and-set); ErrNotFound if not.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	DeleteTOTP(ctx context.Context, userID string) error

	CreateStepUp(ctx context.Context, st StepUp) error
	StepUpByToken(ctx context.Context, tokenHash string) (StepUp, error)
	// UseStepUp marks an unused step-up used (a compare-and-set);
	// ErrNotFound if it was used.
	UseStepUp(ctx context.Context, id string, at time.Time) error
}

// DeviceHint is what a login says of its device: the token the client
// kept from an earlier login ("" for none: a new device), a name the app
// gives ("" to take one from the User-Agent), and the User-Agent.
type DeviceHint struct {
	Token  string
	Name   string
	Client string
}

// LoginRequest is a password login.
type LoginRequest struct {
	Phone, Password string
	Device          DeviceHint
}

// LoginResult is an opened session on a device. DeviceToken is the
// device's token: the client keeps it and sends it with every login.
type LoginResult struct {
	Token       string
	Session     Session
	Device      Device
	DeviceToken string
}

const deviceTokenPrefix = "dev_"

func newToken(prefix string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// validDeviceToken reports whether a client's device token has the form
// the wallet gives (a random 256-bit value).
func validDeviceToken(t string) bool {
	if len(t) != len(deviceTokenPrefix)+43 || !strings.HasPrefix(t, deviceTokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t[len(deviceTokenPrefix):])
	return err == nil
}

// NewDeviceToken returns a fresh device token (the web app gives one to
// every browser in its device cookie).
func NewDeviceToken() (string, error) { return newToken(deviceTokenPrefix) }

// ValidDeviceToken reports whether t is a device token in the right form.
func ValidDeviceToken(t string) bool { return validDeviceToken(t) }

// deviceFor finds the user's device a login comes from, or makes a new
// one (not stored yet: fresh). A token the user's revoked device had is
// not taken again: a new token is made.
func (s *Service) deviceFor(ctx context.Context, u User, hint DeviceHint) (d Device, token string, fresh bool, err error) {
	name, err := deviceName(hint)
	if err != nil {
		return Device{}, "", false, err
	}
	token = hint.Token
	if validDeviceToken(token) {
		d, err := s.store.DeviceByToken(ctx, u.ID, tokenHash(token))
		switch {
		case err == nil && d.RevokedAt.IsZero(): // its name stays the one it was first seen with
			return d, token, false, nil
		case err == nil: // revoked: never again
			token = ""
		case !errors.Is(err, ErrNotFound):
			return Device{}, "", false, fmt.Errorf("device: %w", err)
		}
	} else {
		token = ""
	}
	if token == "" {
		if token, err = NewDeviceToken(); err != nil {
			return Device{}, "", false, fmt.Errorf("device: %w", err)
		}
	}
	now := s.now().UTC()
	return Device{ID: ledger.NewID().String(), UserID: u.ID, TokenHash: tokenHash(token), Name: name, FirstSeen: now, LastSeen: now,
		LastIP: ActorFrom(ctx).IP}, token, true, nil
}

// deviceName is the name an app gives its device, or one made from the
// User-Agent ("Chrome on Android").
func deviceName(h DeviceHint) (string, error) {
	if strings.TrimSpace(h.Name) != "" {
		n, err := checkNote(h.Name)
		if err != nil || n == "" {
			return "", newError(KindInvalid, CodeInvalidDevice, "the device name must have 1 to %d characters, without control characters", maxNoteRunes)
		}
		return n, nil
	}
	return NameFromUserAgent(h.Client), nil
}

// NameFromUserAgent names a device by its browser and system, as far as
// the User-Agent tells ("Chrome on Android"); an unknown one by the
// start of the User-Agent.
func NameFromUserAgent(ua string) string {
	has := func(s string) bool { return strings.Contains(ua, s) }
	browser := ""
	switch {
	case has("MicroMessenger/"):
		browser = "WeChat"
	case has("Edg/"):
		browser = "Edge"
	case has("Firefox/"):
		browser = "Firefox"
	case has("HeadlessChrome/"), has("Chrome/"), has("CriOS/"), has("Chromium/"):
		browser = "Chrome"
	case has("Safari/"):
		browser = "Safari"
	}
	system := ""
	switch {
	case has("HarmonyOS"), has("OpenHarmony"):
		system = "HarmonyOS"
	case has("Android"):
		system = "Android"
	case has("iPhone"):
		system = "iPhone"
	case has("iPad"):
		system = "iPad"
	case has("Windows"):
		system = "Windows"
	case has("Mac OS X"), has("Macintosh"):
		system = "macOS"
	case has("Linux"), has("X11"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	ua = strings.TrimSpace(ua)
	if i := strings.IndexByte(ua, ' '); i > 0 {
		ua = ua[:i]
	}
	if ua == "" {
		return "Unknown device"
	}
	return clipString(strings.ToValidUTF8(ua, ""), 40)
}

// loginEvent records a login attempt for the user's history (a failure
// to record it is logged, not the login's failure).
func (s *Service) loginEvent(ctx context.Context, userID, outcome, method, deviceID, client string) {
	now := s.now().UTC()
	e := LoginEvent{ID: ledger.NewID().String(), UserID: userID, At: now, Outcome: outcome, Method: method,
		IP: ActorFrom(ctx).IP, DeviceID: deviceID, Client: clipString(client, 200)}
	if err := s.store.AddLoginEvent(context.WithoutCancel(ctx), e, now.Add(-loginHistoryKeep)); err != nil {
		s.log.Error("wallet: login attempt not recorded", "user", userID, "outcome", outcome, "err", err)
	}
}

// LoginHistory lists a user's login attempts, newest first.
func (s *Service) LoginHistory(ctx context.Context, userID string, limit int) ([]LoginEvent, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	es, err := s.store.LoginEvents(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("login history: %w", err)
	}
	return es, nil
}

// Devices lists the user's devices (revoked ones left out).
func (s *Service) Devices(ctx context.Context, u User) ([]Device, error) {
	ds, err := s.store.Devices(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return ds, nil
}

// RevokeDevice revokes one of the user's devices: its sessions end at
// once (on this server the session cache is dropped; another server's
// cache holds a session at most sessionCacheTTL), the payment codes
// enrolled from it stop, and its token is never trusted again.
func (s *Service) RevokeDevice(ctx context.Context, u User, id string) error {
	n, codes, err := s.store.RevokeDevice(ctx, u.ID, id, s.now().UTC())
	s.cache.forgetSessions()
	s.cache.devices.forget()
	if errors.Is(err, ErrNotFound) {
		return newError(KindNotFound, CodeDeviceNotFound, "you have no such device")
	}
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	s.audit(ctx, u.ID, "device_revoked", u.ID, fmt.Sprintf("device %s; %d sessions ended; payment-code devices revoked: %v", id, n, codes))
	return nil
}

// stepUpMethods are the second factors the user can step up with.
func (s *Service) stepUpMethods(ctx context.Context, u User) ([]string, error) {
	var m []string
	t, err := s.store.TOTP(ctx, u.ID)
	switch {
	case err == nil && t.Status == totpActive:
		m = append(m, "totp")
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("step-up methods: %w", err)
	}
	if s.rp != nil {
		pks, err := s.store.Passkeys(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("step-up methods: %w", err)
		}
		if len(pks) > 0 {
			m = append(m, "passkey")
		}
	}
	return m, nil
}

// loginOnDevice finishes a login whose user has proved the password: a
// trusted device (or a user with nothing to step up with) gets a session;
// another device gets step_up_required with a step-up token.
func (s *Service) loginOnDevice(ctx context.Context, u User, hint DeviceHint) (LoginResult, error) {
	d, token, fresh, err := s.deviceFor(ctx, u, hint)
	if err != nil {
		return LoginResult{}, err
	}
	if !d.Trusted {
		methods, err := s.stepUpMethods(ctx, u)
		if err != nil {
			return LoginResult{}, err
		}
		if len(methods) > 0 {
			if fresh {
				if err := s.store.CreateDevice(ctx, d); err != nil {
					return LoginResult{}, fmt.Errorf("login: %w", err)
				}
			}
			st, err := s.newStepUp(ctx, u, d, hint.Client)
			if err != nil {
				return LoginResult{}, err
			}
			s.loginEvent(ctx, u.ID, LoginStepUp, "password", d.ID, hint.Client)
			s.audit(ctx, "", "login_step_up", u.ID, "device "+d.ID)
			return LoginResult{}, newError(KindUnauthorized, CodeStepUpRequired,
				"this device is new to your account: confirm it is you with your authenticator app or a passkey (POST /v1/login/step-up)").
				with("step_up_token", st.token).with("expires_at", st.ExpiresAt).with("methods", methods).
				with("device_id", d.ID).with("device_token", token)
		}
	}
	return s.openOnDevice(ctx, u, d, token, fresh, hint.Client, "password", LoginSucceeded)
}

// openOnDevice trusts the device and opens a session on it; a device
// trusted for the first time (other than the user's first) is told of
// in a notification.
func (s *Service) openOnDevice(ctx context.Context, u User, d Device, token string, fresh bool, client, method, outcome string) (LoginResult, error) {
	announce := false
	if !d.Trusted {
		others, err := s.store.Devices(ctx, u.ID)
		if err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
		for _, o := range others {
			if o.ID != d.ID {
				announce = true
				break
			}
		}
	}
	now := s.now().UTC()
	d.Trusted, d.LastSeen, d.LastIP = true, now, ActorFrom(ctx).IP
	if fresh {
		if err := s.store.CreateDevice(ctx, d); err != nil {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
	} else if err := s.store.SeeDevice(ctx, d.ID, now, d.LastIP, true); err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	tok, sess, err := s.openSession(ctx, u, client, method, d.ID)
	if err != nil {
		return LoginResult{}, err
	}
	s.loginEvent(ctx, u.ID, outcome, strings.Fields(method)[0], d.ID, client)
	if announce {
		s.notify(u.ID, "new_device", "Login from a new device",
			fmt.Sprintf("Your account was logged in from a new device (%s, %s). If this was not you, revoke the device in settings and change your password.",
				d.Name, orUnknownIP(d.LastIP)))
	}
	return LoginResult{Token: tok, Session: sess, Device: d, DeviceToken: token}, nil
}

func orUnknownIP(ip string) string {
	if ip == "" {
		return "an unknown address"
	}
	return ip
}

type newStepUp struct {
	StepUp
	token string
}

func (s *Service) newStepUp(ctx context.Context, u User, d Device, client string) (newStepUp, error) {
	token, err := newToken("stu_")
	if err != nil {
		return newStepUp{}, fmt.Errorf("step-up: %w", err)
	}
	now := s.now().UTC()
	st := StepUp{ID: ledger.NewID().String(), TokenHash: tokenHash(token), UserID: u.ID, DeviceID: d.ID, Client: clipString(client, 200),
		CreatedAt: now, ExpiresAt: now.Add(StepUpTTL)}
	if err := s.store.CreateStepUp(ctx, st); err != nil {
		return newStepUp{}, fmt.Errorf("step-up: %w", err)
	}
	return newStepUp{StepUp: st, token: token}, nil
}

var errStepUpInvalid = newError(KindUnauthorized, CodeStepUpInvalid, "this step-up is unknown, used or expired; log in again")

// stepUp returns the live step-up a token stands for, with its user and
// device.
func (s *Service) stepUp(ctx context.Context, token string) (StepUp, User, Device, error) {
	if !strings.HasPrefix(token, "stu_") || len(token) > 100 {
		return StepUp{}, User{}, Device{}, errStepUpInvalid
	}
	st, err := s.store.StepUpByToken(ctx, tokenHash(token))
	if errors.Is(err, ErrNotFound) {
		return StepUp{}, User{}, Device{}, errStepUpInvalid
	}
	if err != nil {
		return StepUp{}, User{}, Device{}, fmt.Errorf("step-up: %w", err)
	}
	if !st.UsedAt.IsZero() || !s.now().Before(st.ExpiresAt) {
		return StepUp{}, User{}, Device{}, errStepUpInvalid
	}
	u, err := s.store.UserByID(ctx, st.UserID)
	if err != nil {
		return StepUp{}, User{}, Device{}, fmt.Errorf("step-up: %w", err)
	}
	d, err := s.store.DeviceByID(ctx, st.DeviceID)
	if err != nil {
		return StepUp{}, User{}, Device{}, fmt.Errorf("step-up: %w", err)
	}
	if !d.RevokedAt.IsZero() {
		return StepUp{}, User{}, Device{}, errStepUpInvalid
	}
	return st, u, d, nil
}

// StepUpMethods returns what a step-up token's user can step up with
// (for the web app's step-up page).
func (s *Service) StepUpMethods(ctx context.Context, token string) ([]string, error) {
	_, u, _, err := s.stepUp(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.stepUpMethods(ctx, u)
}

// StepUpRequest finishes a login that answered step_up_required: with an
// authenticator-app code, or a passkey assertion (BeginStepUpPasskey).
type StepUpRequest struct {
	Token   string
	TOTP    string
	Passkey []byte
}

// StepUp checks the second factor of a login from a new device; the
// device becomes trusted and the session opens.
func (s *Service) StepUp(ctx context.Context, r StepUpRequest) (LoginResult, error) {
	st, u, d, err := s.stepUp(ctx, r.Token)
	if err != nil {
		return LoginResult{}, err
	}
	method := ""
	switch {
	case r.TOTP != "" && len(r.Passkey) == 0:
		method = "totp"
		err = s.verifyTOTP(ctx, u, r.TOTP)
	case r.TOTP == "" && len(r.Passkey) > 0:
		method = "passkey"
		err = s.verifyStepUpPasskey(ctx, u, st, r.Passkey)
	default:
		return LoginResult{}, newError(KindInvalid, CodeStepUpMethod, "give the code of your authenticator app or a passkey assertion (one of them)")
	}
	if err != nil {
		s.loginEvent(ctx, u.ID, LoginStepUpFailed, method, d.ID, st.Client)
		return LoginResult{}, err
	}
	if err := s.store.UseStepUp(ctx, st.ID, s.now().UTC()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return LoginResult{}, errStepUpInvalid
		}
		return LoginResult{}, fmt.Errorf("step-up: %w", err)
	}
	res, err := s.openOnDevice(ctx, u, d, "", false, st.Client, method, LoginStepUpPassed)
	if err != nil {
		return LoginResult{}, err
	}
	s.audit(ctx, u.ID, "login_step_up_passed", u.ID, "device "+d.ID+"; method "+method)
	return res, nil
}
