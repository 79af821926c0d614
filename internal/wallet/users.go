package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// NormalizePhone checks an E.164 mobile number ("+8613800138000") and
// returns it without spaces or hyphens. Mainland China numbers (+86) must
// be 11 digits starting 13–19.
func NormalizePhone(s string) (string, error) {
	p := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	bad := func(why string) error {
		return newError(KindInvalid, CodeInvalidPhone, "%q is not a mobile number in international form (+8613800138000): %s", clipString(s, 32), why)
	}
	if !strings.HasPrefix(p, "+") {
		return "", bad("it must start with + and the country code")
	}
	d := p[1:]
	if len(d) < 8 || len(d) > 15 {
		return "", bad("it must have 8 to 15 digits")
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", bad("only digits may follow the +")
		}
	}
	if d[0] == '0' {
		return "", bad("a country code does not start with 0")
	}
	if strings.HasPrefix(d, "86") {
		n := d[2:]
		if len(n) != 11 || n[0] != '1' || n[1] < '3' {
			return "", bad("a mainland China mobile number has 11 digits and starts with 13 to 19")
		}
	}
	return p, nil
}

const maxNameRunes = 32

func checkName(name string) (string, error) {
	n := strings.Join(strings.Fields(name), " ")
	if n == "" || utf8.RuneCountInString(n) > maxNameRunes || !utf8.ValidString(n) {
		return "", newError(KindInvalid, CodeInvalidName, "the name must have 1 to %d characters", maxNameRunes)
	}
	for _, r := range n {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", newError(KindInvalid, CodeInvalidName, "the name must not contain control characters")
		}
	}
	return n, nil
}

// Registration is what a new user gives.
type Registration struct {
	Phone, Password, Name string
	Role                  Role // empty means RoleUser
}

// Register creates a user with a CNY wallet.
func (s *Service) Register(ctx context.Context, r Registration) (User, error) {
	phone, err := NormalizePhone(r.Phone)
	if err != nil {
		return User{}, err
	}
	name, err := checkName(r.Name)
	if err != nil {
		return User{}, err
	}
	if e := checkPassword(r.Password, phone); e != nil {
		return User{}, e
	}
	hash, err := hashSecret(r.Password, s.cfg.PasswordParams)
	if err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	role := r.Role
	if role == "" {
		role = RoleUser
	}
	u := User{ID: ledger.NewID().String(), Phone: phone, Name: name, PasswordHash: hash, Role: role, CreatedAt: s.now().UTC()}
	w, err := s.newWalletAccount(ctx, u.ID, "CNY")
	if err != nil {
		return User{}, err
	}
	if err := s.store.CreateUser(ctx, &u, w); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return User{}, newError(KindConflict, CodePhoneTaken, "this mobile number is already registered; log in instead")
		}
		return User{}, fmt.Errorf("register: %w", err)
	}
	if role == RoleUser && s.screenUser(ctx, u, "registration", u.Name) {
		u.FrozenAt = s.now().UTC()
	}
	return u, nil
}

// newWalletAccount creates the ledger account of a wallet (a user's
// wallet may never go below zero). The wallet row is recorded by the
// caller; an account without a row is harmless.
func (s *Service) newWalletAccount(ctx context.Context, userID, cur string) (WalletAccount, error) {
	w := WalletAccount{UserID: userID, Currency: cur, AccountID: ledger.NewID(), CreatedAt: s.now().UTC()}
	res, err := s.ledger.CreateAccounts(ctx, []ledger.Account{{ID: w.AccountID, Currency: cur, Code: AccountWallet,
		Flags: ledger.DebitsMustNotExceedCredits, Owner: "user:" + userID}})
	if err != nil {
		return w, fmt.Errorf("create wallet account: %w", err)
	}
	if !res[0].OK() {
		return w, fmt.Errorf("create wallet account: %s", res[0])
	}
	return w, nil
}

// Login checks the credentials and opens a session on the device the
// login names (devices.go); it returns the token, which is shown once and
// never stored. A device that is not trusted, of a user who has a second
// factor, gets step_up_required instead (StepUp finishes that login).
// Every attempt on a registered number is in the user's login history.
func (s *Service) Login(ctx context.Context, r LoginRequest) (LoginResult, error) {
	wrong := newError(KindUnauthorized, CodeInvalidCredentials, "the mobile number or the password is wrong")
	p, err := NormalizePhone(r.Phone)
	if err != nil {
		return LoginResult{}, wrong
	}
	// Guessing a password is stopped after LoginFailuresAllowed wrong ones
	// in the window, whichever client (web app or API) the guesses use;
	// then even the right password waits, so guesses learn nothing.
	if ok, wait := s.loginFails.Allowed(p); !ok {
		if u, err := s.store.UserByPhone(ctx, p); err == nil {
			s.loginEvent(ctx, u.ID, LoginThrottled, "password", "", r.Device.Client)
		}
		return LoginResult{}, newError(KindLocked, CodeTooManyLogins, "too many wrong passwords for this number; try again in %d minutes",
			int(wait/time.Minute)+1).with("retry_after_seconds", int(wait/time.Second)+1)
	}
	u, err := s.store.UserByPhone(ctx, p)
	if errors.Is(err, ErrNotFound) {
		// Spend the same time as a real check, so that timing does not
		// tell which numbers are registered.
		checkSecret(r.Password, dummyHash)
		s.loginFails.Add(p)
		return LoginResult{}, wrong
	}
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !checkSecret(r.Password, u.PasswordHash) {
		s.loginFails.Add(p)
		s.audit(ctx, "", "login_failed", u.ID, "wrong password")
		s.loginEvent(ctx, u.ID, LoginWrongPassword, "password", "", r.Device.Client)
		return LoginResult{}, wrong
	}
	s.loginFails.Reset(p)
	return s.loginOnDevice(ctx, u, r.Device)
}

// Login throttling (per mobile number, per server process).
const (
	LoginFailuresAllowed = 5
	LoginFailureWindow   = 15 * time.Minute
	CodeTooManyLogins    = "too_many_logins"
)

// dummyHash is checked against when the user does not exist.
var dummyHash, _ = hashSecret("not a password", DefaultPasswordParams)

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate returns the user and session a token stands for.
func (s *Service) Authenticate(ctx context.Context, token string) (User, Session, error) {
	invalid := newError(KindUnauthorized, CodeSessionInvalid, "the session is invalid or has expired; log in again")
	if !strings.HasPrefix(token, "slt_") || len(token) > 100 {
		return User{}, Session{}, invalid
	}
	hash := tokenHash(token)
	if e, ok := s.cache.session(hash, s.now()); ok {
		return e.user, e.sess, nil
	}
	sess, err := s.store.SessionByTokenHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return User{}, Session{}, invalid
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("authenticate: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return User{}, Session{}, invalid
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return User{}, Session{}, fmt.Errorf("authenticate: %w", err)
	}
	s.cache.putSession(hash, authEntry{user: u, sess: sess, at: s.now()})
	return u, sess, nil
}

// Sessions lists a user's sessions.
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	all, err := s.store.Sessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	now := s.now()
	live := all[:0]
	for _, ss := range all {
		if now.Before(ss.ExpiresAt) {
			live = append(live, ss)
		}
	}
	return live, nil
}

// RevokeSession ends one of the user's sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string) error {
	err := s.store.DeleteSession(ctx, userID, sessionID)
	s.cache.forgetSessions()
	if errors.Is(err, ErrNotFound) {
		return newError(KindNotFound, CodeNotFound, "you have no such session")
	}
	if err == nil {
		s.audit(ctx, "", "session_ended", userID, "session "+sessionID)
	}
	return err
}

// CreateAdmin creates an operator, or makes an existing user one.
func (s *Service) CreateAdmin(ctx context.Context, r Registration) (User, error) {
	r.Role = RoleOperator
	return s.Register(ctx, r)
}

// userName returns a user's display name ("" if unknown).
func (s *Service) userName(ctx context.Context, userID string) string {
	return s.names.name(ctx, userID)
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func sortStrings(s []string) { sort.Strings(s) }

// Languages are the languages the wallet speaks, as BCP 47 tags.
var Languages = []string{"zh-Hans", "en"}

// CodeInvalidLanguage: a language the wallet does not speak.
const CodeInvalidLanguage = "invalid_language"

// SetLanguage keeps the user's choice of language, for every device they
// use.
func (s *Service) SetLanguage(ctx context.Context, u User, lang string) error {
	if !slices.Contains(Languages, lang) {
		return newError(KindInvalid, CodeInvalidLanguage, "the wallet speaks %s", strings.Join(Languages, " and "))
	}
	if err := s.store.SetLanguage(ctx, u.ID, lang); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	s.cache.forgetSessions()
	return nil
}
