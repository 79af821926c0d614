package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/risk"
)

// P2PRequest is a transfer from the caller to another user.
type P2PRequest struct {
	To       string // the payee: mobile number, user id, or receive-code payload
	Amount   int64  // minor units
	Currency string
	PIN      string // empty: a password-free payment
	Passkey  []byte // a passkey assertion (JSON) in place of the PIN (BeginPasskeyPayment)
	// TOTP is an authenticator-app code in place of the PIN, for a payment
	// risk control challenges (totp.go).
	TOTP           string
	Note           string
	IdempotencyKey string    // the client's key; the same key and body move money once
	SessionStarted time.Time // when the payer's device logged in (risk: new device)

	paymentRequest string // set when paying a payment request
	// Device is the session's device ("" if unknown), for risk.
	Device string
}

// Party is the other side of a payment, as a user may see it.
type Party struct {
	UserID string
	Name   string
	Phone  string // masked
}

// Receipt is a completed transfer.
type Receipt struct {
	TransferID   string
	Amount       int64
	Currency     string
	Note         string
	Payee        Party
	PasswordFree bool
	CreatedAt    time.Time
	Replayed     bool // the request was a retry of one already done
}

const (
	maxNoteRunes = 40  // 40 CJK characters still fit a ledger reference
	maxKeyBytes  = 255 // as Stripe
)

func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	bad := newError(KindInvalid, CodeInvalidNote, "the note must be at most %d characters, without control characters", maxNoteRunes)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNoteRunes || len(note) > ledger.MaxReferenceBytes {
		return "", bad
	}
	for _, r := range note {
		if unicode.IsControl(r) {
			return "", bad
		}
	}
	return note, nil
}

// CheckIdempotencyKey validates a client's Idempotency-Key.
func CheckIdempotencyKey(key string) error {
	if len(key) == 0 || len(key) > maxKeyBytes {
		return newError(KindInvalid, CodeInvalidIdempotencyKey, "the Idempotency-Key must have 1 to %d characters", maxKeyBytes)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return newError(KindInvalid, CodeInvalidIdempotencyKey, "the Idempotency-Key must be printable ASCII without spaces")
		}
	}
	return nil
}

// operationID is the ledger id of a money movement: derived from the
// user and their idempotency key, so that a retry finds the transfer it
// already made (the ledger answers "exists") and a key reused for another
// body is refused (the ledger answers "exists with different fields").
//
// A derived id is random-looking, and random ids scatter the writes to
// the ledger's unique index of ids over its pages (docs/ledger.md). When
// the key is itself a UUIDv7 — what clients are advised to send — the id
// takes the key's 48-bit timestamp as its first bytes, so that ids still
// grow with time; the rest stays derived.
func operationID(kind, userID, key string) ledger.ID {
	if key == "" {
		return ledger.NewID()
	}
	id := ledger.NameID("wallet/"+kind, userID, key)
	if u, err := uuid.Parse(key); err == nil && u.Version() == 7 {
		copy(id[:6], u[:6])
	}
	return id
}

// linkedID derives the id of a transfer that goes with main (a limit's
// use), keeping main's time prefix for the same reason.
func linkedID(domain string, main ledger.ID, kind string) ledger.ID {
	id := ledger.NameID(domain, main.String(), kind)
	copy(id[:6], main[:6])
	return id
}

func (s *Service) checkAmount(amount int64, cur string) error {
	if _, ok := s.cfg.Limits[cur]; !ok {
		return newError(KindInvalid, CodeCurrencyNotSupported, "%q is not a currency this wallet supports; supported: %v", clipString(cur, 8), s.SupportedCurrencies())
	}
	if amount <= 0 {
		return newError(KindInvalid, CodeInvalidAmount, "the amount must be a positive number of minor units (1250 = 12.50 CNY)")
	}
	return nil
}

// resolvePayee finds the user a "to" names.
func (s *Service) resolvePayee(ctx context.Context, to string) (User, error) {
	u, _, err := s.resolvePayeeCode(ctx, to)
	return u, err
}

// resolvePayeeCode finds the user a "to" names, and the receive code if it
// is one (an amount in it must be paid as it is).
func (s *Service) resolvePayeeCode(ctx context.Context, to string) (User, receivecode.Code, error) {
	var code receivecode.Code
	to = strings.TrimSpace(to)
	unknown := newError(KindNotFound, CodeUnknownPayee, "no user has this mobile number, id or receive code")
	var u User
	var err error
	switch {
	case strings.HasPrefix(to, "+"):
		phone, perr := NormalizePhone(to)
		if perr != nil {
			return User{}, code, perr
		}
		u, err = s.userByPhone(ctx, phone)
	case len(to) == 36:
		if _, perr := ledger.ParseID(to); perr != nil {
			return User{}, code, unknown
		}
		u, err = s.store.UserByID(ctx, to)
	default:
		var cerr error
		code, cerr = s.codes.Decode(to)
		if cerr != nil {
			return User{}, code, newError(KindNotFound, CodeUnknownPayee, "%q is not a mobile number (+86…), a user id or a receive code of this wallet", clipString(to, 40))
		}
		u, err = s.store.UserByID(ctx, code.UserID.String())
	}
	if errors.Is(err, ErrNotFound) {
		return User{}, code, unknown
	}
	if err != nil {
		return User{}, code, fmt.Errorf("find payee: %w", err)
	}
	return u, code, nil
}

// Transfer sends money from payer to another user.
func (s *Service) Transfer(ctx context.Context, payer User, req P2PRequest) (Receipt, error) {
	if err := s.checkAmount(req.Amount, req.Currency); err != nil {
		return Receipt{}, err
	}
	note, err := checkNote(req.Note)
	if err != nil {
		return Receipt{}, err
	}
	payee, code, err := s.resolvePayeeCode(ctx, req.To)
	if err != nil {
		return Receipt{}, err
	}
	if code.Amount != 0 && (code.Amount != req.Amount || code.Currency != req.Currency) {
		return Receipt{}, newError(KindInvalid, CodeInvalidAmount, "this receive code asks for %s; pay that amount", formatMoney(code.Amount, code.Currency))
	}
	if payee.ID == payer.ID {
		return Receipt{}, newError(KindInvalid, CodeSelfTransfer, "you can not transfer to yourself; to move money between your currencies use exchange")
	}
	from, ok, err := s.walletIn(ctx, payer.ID, req.Currency)
	if err != nil {
		return Receipt{}, err
	}
	if !ok {
		return Receipt{}, newError(KindInvalid, CodeWalletNotOpen, "you have no %s wallet", req.Currency)
	}
	to, err := s.payeeWallet(ctx, payee, req.Currency)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.checkPayeeScreening(ctx, payee); err != nil {
		return Receipt{}, err
	}
	var passwordFree bool
	switch {
	case len(req.Passkey) > 0:
		err = s.verifyPaymentPasskey(ctx, payer, req.Passkey, p2pBinding(payer.ID, payee.ID, req.Amount, req.Currency, note, req.IdempotencyKey))
	case req.TOTP != "" && req.PIN == "":
		err = s.confirmWithTOTP(ctx, payer, risk.Event{Kind: "p2p", UserID: payer.ID, UserSince: payer.CreatedAt, SessionStarted: req.SessionStarted,
			Amount: req.Amount, Currency: req.Currency, Counterparty: payee.ID, At: s.now()}, req.TOTP)
	default:
		passwordFree, err = s.authorize(ctx, payer, req.PIN, req.Amount, req.Currency)
	}
	if err != nil {
		return Receipt{}, err
	}
	if err := s.checkBalanceCap(ctx, payee, to, req.Amount); err != nil {
		return Receipt{}, err
	}
	main := ledger.Transfer{
		ID: operationID("p2p", payer.ID, req.IdempotencyKey), DebitAccountID: from.AccountID, CreditAccountID: to.AccountID,
		Amount: req.Amount, Currency: req.Currency, Code: TransferP2P, Reference: note,
	}
	if req.paymentRequest != "" {
		main.ID = ledger.NameID("wallet/payment-request", req.paymentRequest)
		main.Reference = "request:" + req.paymentRequest
	}
	ev := risk.Event{Kind: "p2p", UserID: payer.ID, UserSince: payer.CreatedAt, SessionStarted: req.SessionStarted,
		Amount: req.Amount, Currency: req.Currency, Counterparty: payee.ID, Strong: !passwordFree, At: s.now(),
		Device: req.Device, Ref: main.ID.String()}
	if err := s.assess(ctx, ev); err != nil {
		return Receipt{}, err
	}
	created, err := s.moneyOut(ctx, payer, main, passwordFree)
	if err != nil {
		return Receipt{}, err
	}
	if created {
		s.risk.Done(ev)
	}
	r := Receipt{TransferID: main.ID.String(), Amount: req.Amount, Currency: req.Currency, Note: note, PasswordFree: passwordFree,
		Payee: Party{UserID: payee.ID, Name: payee.Name, Phone: MaskPhone(payee.Phone)}, Replayed: !created}
	if created {
		r.CreatedAt = s.now().UTC() // within a millisecond of the commit; not worth a read
	} else {
		t, err := s.ledger.LookupTransfer(ctx, main.ID)
		if err != nil {
			return Receipt{}, fmt.Errorf("transfer: read back: %w", err)
		}
		r.CreatedAt = t.CreatedAt()
	}
	return r, nil
}

// assess asks the risk decision point about a money-out.
func (s *Service) assess(ctx context.Context, ev risk.Event) error {
	start := time.Now()
	d := s.risk.Assess(ctx, ev)
	if s.observeRisk != nil {
		s.observeRisk(d.Model, time.Since(start))
	}
	id := s.record(ev, d)
	switch d.Action {
	case risk.Hold:
		return s.hold(ctx, ev, d, id)
	case risk.Deny:
		return newError(KindForbidden, CodeRiskDenied, "this payment was refused by risk control; contact customer service if you think this is wrong").
			with("reasons", d.Reasons)
	case risk.Challenge:
		return newError(KindUnauthorized, CodePINRequired, "enter your payment PIN to confirm this payment (%s)", strings.Join(d.Reasons, "; ")).
			with("reasons", d.Reasons)
	}
	return nil
}

// payeeWallet returns the payee's wallet in a currency, or an error that
// says which currencies they do hold.
func (s *Service) payeeWallet(ctx context.Context, payee User, cur string) (WalletAccount, error) {
	w, ok, err := s.walletIn(ctx, payee.ID, cur)
	if err != nil {
		return WalletAccount{}, err
	}
	if ok {
		return w, nil
	}
	ws, err := s.walletsOf(ctx, payee.ID, false)
	if err != nil {
		return WalletAccount{}, err
	}
	held := currencies(ws)
	return WalletAccount{}, newError(KindInvalid, CodePayeeCurrencyNotOpen,
		"%s has no %s wallet; send in a currency they hold (%s), or ask them to open a %s wallet", payee.Name, cur, strings.Join(held, ", "), cur).
		with("payee_currencies", held)
}

// authorize checks the PIN, or decides that the payment may go without
// one; it reports whether it is password-free.
func (s *Service) authorize(ctx context.Context, u User, pin string, amount int64, cur string) (bool, error) {
	if pin != "" {
		return false, s.verifyPIN(ctx, u, pin)
	}
	switch {
	case u.NoPINPerTx == 0 || cur != "CNY":
		return false, newError(KindUnauthorized, CodePINRequired, "enter your payment PIN (password-free payments are off, or not for %s)", cur)
	case amount > u.NoPINPerTx:
		return false, newError(KindUnauthorized, CodePINRequired, "enter your payment PIN: %s is above your password-free limit of %s per payment",
			formatMoney(amount, cur), formatMoney(u.NoPINPerTx, cur))
	}
	if now := s.now(); now.Before(u.PINLockedUntil) {
		return false, newError(KindLocked, CodePINLocked, "payments are locked after too many wrong PINs, also password-free ones").
			with("locked_until", u.PINLockedUntil)
	}
	return true, nil
}

// checkBalanceCap refuses a payment that would take a tier-0 payee's
// wallet over its cap. It reads the balance before the transfer: two
// payments to the same capped wallet at the same instant may pass it
// together (the cap bounds what an unverified account accumulates, not a
// balance the ledger must enforce).
func (s *Service) checkBalanceCap(ctx context.Context, payee User, w WalletAccount, amount int64) error {
	cap := s.cfg.Limits[w.Currency][payee.Tier].BalanceCap
	if cap == 0 {
		return nil
	}
	a, err := s.ledger.LookupAccount(ctx, w.AccountID)
	if err != nil {
		return fmt.Errorf("payee balance: %w", err)
	}
	// amount > cap first: the sum below must not overflow.
	if amount > cap || a.CreditsPosted+a.CreditsPending-a.DebitsPosted > cap-amount {
		return newError(KindInvalid, CodeLimitExceeded, "%s can not receive this much until they verify their identity (an unverified wallet holds at most %s)",
			payee.Name, formatMoney(cap, w.Currency)).with("limit", "payee_balance_cap").with("limit_amount", cap)
	}
	return nil
}

// moneyOut commits main with the allowance it uses, creating today's
// allowances when they do not exist yet. It reports whether main was
// created now (false: it existed, the request is a retry). A frozen
// user's money-out is refused here, the one path every money-out takes.
func (s *Service) moneyOut(ctx context.Context, u User, main ledger.Transfer, passwordFree bool, extra ...ledger.Transfer) (bool, error) {
	if err := checkNotFrozen(u); err != nil {
		return false, err
	}
	day := s.day()
	chain := []ledger.Transfer{limitUse(limitAccount(u.ID, limitOutflow, main.Currency, day), limitOutflow, main.ID, main.Currency, main.Amount)}
	if passwordFree {
		kind := noPINKind(u)
		chain = append(chain, limitUse(limitAccount(u.ID, kind, main.Currency, day), kind, main.ID, main.Currency, main.Amount))
	}
	chain = append(chain, main)
	chain = append(chain, extra...)
	for i := range chain[:len(chain)-1] {
		chain[i].Flags |= ledger.Linked
	}
	for attempt := 0; ; attempt++ {
		res, err := s.ledger.CreateTransfers(ctx, chain)
		if err != nil {
			return false, fmt.Errorf("money out: %w", errors.Join(errUnavailable, err))
		}
		failed, why := firstFailure(res)
		if failed < 0 {
			return res[len(chain)-1-len(extra)] == ledger.TransferCreated, nil
		}
		if why == ledger.TransferExistsWithDifferentFields && failed < len(chain)-1-len(extra) {
			// A retry on another day derives another allowance account:
			// the payment itself decides whether this is a replay.
			if s.sameTransfer(ctx, main) {
				return false, nil
			}
		}
		// An allowance missing, or not funded yet (another request is
		// creating it this instant): make sure it is, and try once more.
		if (why == ledger.TransferDebitAccountNotFound || why == ledger.TransferExceedsCredits) && failed < len(chain)-1-len(extra) && attempt == 0 {
			if err := s.fundAllowances(ctx, u, main.Currency, passwordFree); err != nil {
				return false, err
			}
			continue
		}
		return false, s.explain(u, main, failed, len(chain)-1-len(extra), why)
	}
}

// sameTransfer reports whether t exists in the ledger with t's fields.
func (s *Service) sameTransfer(ctx context.Context, t ledger.Transfer) bool {
	got, err := s.ledger.LookupTransfer(ctx, t.ID)
	return err == nil && got.DebitAccountID == t.DebitAccountID && got.CreditAccountID == t.CreditAccountID &&
		got.Amount == t.Amount && got.Currency == t.Currency && got.Code == t.Code && got.Reference == t.Reference
}

func (s *Service) fundAllowances(ctx context.Context, u User, cur string, passwordFree bool) error {
	if err := s.fundOutflow(ctx, u, cur); err != nil {
		return err
	}
	if passwordFree {
		return s.fundNoPIN(ctx, u, cur)
	}
	return nil
}

// firstFailure returns the index and reason of the link that made a chain
// fail (not the others' linked_event_failed), or -1.
func firstFailure(res []ledger.TransferResult) (int, ledger.TransferResult) {
	for i, r := range res {
		if !r.OK() && r != ledger.TransferLinkedEventFailed {
			return i, r
		}
	}
	return -1, ledger.TransferCreated
}

// explain turns the ledger's reason into the user's.
func (s *Service) explain(u User, main ledger.Transfer, failed, mainAt int, why ledger.TransferResult) error {
	switch {
	case why == ledger.TransferExistsWithDifferentFields:
		return newError(KindInvalid, CodeIdempotencyKeyReused, "this Idempotency-Key was used for a different request; use a new key for a new payment")
	case failed == mainAt && why == ledger.TransferExceedsCredits:
		return newError(KindInvalid, CodeInsufficientBalance, "your %s balance is not enough for this payment", main.Currency)
	case failed == 0 && why == ledger.TransferExceedsCredits:
		return s.limitExceeded(u, main.Currency)
	case failed < mainAt && why == ledger.TransferExceedsCredits:
		return newError(KindUnauthorized, CodePINRequired, "enter your payment PIN: today's password-free total of %s is used up",
			formatMoney(u.NoPINDaily, main.Currency)).with("limit", "password_free_daily")
	}
	return fmt.Errorf("money out: the ledger refused transfer %d of the chain: %s", failed, why)
}

// MaskPhone shows a mobile number as people expect: +86 138****8000.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return "****"
	}
	return p[:len(p)-8] + "****" + p[len(p)-4:]
}
