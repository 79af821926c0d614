// Package wallet is what a person does with ShiLianTong before any
// merchant is involved: register and log in, hold wallets in several
// currencies, set a payment PIN, send money to other people, ask them for
// money, and read their bills and notifications.
//
// Every movement of money is a ledger transfer; this package stores no
// balance. Limits are ledger accounts too (see limits.go), so a limit is
// enforced in the same atomic commit as the money it limits, also with
// several server processes on one database.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ratelimit"
	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/risk"
)

// Ledger is what the wallet needs of the ledger engine.
type Ledger interface {
	CreateAccounts(ctx context.Context, accounts []ledger.Account) ([]ledger.AccountResult, error)
	CreateTransfers(ctx context.Context, transfers []ledger.Transfer) ([]ledger.TransferResult, error)
	LookupAccount(ctx context.Context, id ledger.ID) (ledger.Account, error)
	LookupTransfer(ctx context.Context, id ledger.ID) (ledger.Transfer, error)
	AccountTransfers(ctx context.Context, id ledger.ID, f ledger.TransferFilter) (ledger.TransferPage, error)
	BalanceAt(ctx context.Context, id ledger.ID, t time.Time) (ledger.Balance, error)
}

// Ledger account codes: the kind of each account the wallet creates.
const (
	AccountWallet       uint16 = 1  // a user's wallet in one currency
	AccountBankClearing uint16 = 2  // money in transit to and from banks
	AccountFeeIncome    uint16 = 3  // fees the operator earned
	AccountLimit        uint16 = 10 // a user's allowance for one day (limits.go)
	AccountLimitSource  uint16 = 11 // where allowances come from and go back to
)

// Ledger transfer codes: the kind of each transfer.
const (
	TransferP2P        uint16 = 1
	TransferTopUp      uint16 = 2
	TransferWithdrawal uint16 = 3
	TransferFee        uint16 = 4
	TransferLimitUse   uint16 = 10
	TransferLimitFund  uint16 = 11
)

// Deps are the wallet's collaborators.
type Deps struct {
	Store    Store
	Ledger   Ledger
	Bank     bank.Connector // top-ups, withdrawals and card verification
	Identity kyc.Verifier   // real-name verification
	// Vault seals card and identity-document numbers at rest.
	Vault *bank.KeyRing
	// LookupKey keys the hash that finds a card linked twice (≥ 32 bytes).
	LookupKey []byte
	// PINKey peppers payment PINs before they are hashed (≥ 32 bytes).
	PINKey []byte
	// Risk decides on every money-out; nil means the default rules.
	Risk risk.Assessor
	// Codes makes and reads personal receive codes.
	Codes *receivecode.Codec
	// PublicURL is where users reach the wallet; passkeys are bound to its
	// host (the relying party id) and origin. Empty: http://localhost:8080.
	PublicURL string
	Logger    *slog.Logger
	// ObserveRisk, if set, is told how long each risk decision took and
	// what made it ("rules" or the model's version): the server's metrics.
	ObserveRisk func(model string, took time.Duration)
}

// Service is the wallet.
type Service struct {
	cfg      Config
	store    Store
	ledger   Ledger
	bank     bank.Connector
	identity kyc.Verifier
	vault    *bank.KeyRing
	lookup   []byte
	pinKey   []byte
	risk     risk.Assessor
	log      *slog.Logger
	now      func() time.Time
	names    *nameCache
	cache    *caches
	// loginFails counts wrong passwords per account (every client's logins).
	loginFails *ratelimit.Limiter
	// totpFails counts wrong authenticator-app codes per user.
	totpFails   *ratelimit.Limiter
	inbox       *outbox
	codes       *receivecode.Codec
	rp          *webauthn.WebAuthn // passkeys
	observeRisk func(model string, took time.Duration)
	screening   screeningState
	decisions   *decisionLog
}

// New returns the wallet service and creates the system accounts it needs
// (idempotently: every process derives the same ids).
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Ledger == nil || d.Bank == nil || d.Identity == nil || d.Vault == nil || d.Codes == nil || len(d.LookupKey) < 32 || len(d.PINKey) < 32 {
		return nil, errors.New("wallet: store, ledger, bank, identity verifier, vault, receive codes and 32-byte lookup and PIN keys are required")
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	if d.Risk == nil {
		d.Risk = risk.NewRules(risk.DefaultRulesConfig())
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	rp, err := relyingParty(d.PublicURL)
	if err != nil {
		return nil, err
	}
	s := &Service{loginFails: ratelimit.New(LoginFailuresAllowed, LoginFailureWindow), totpFails: ratelimit.New(TOTPFailuresAllowed, TOTPFailureWindow), rp: rp, cfg: cfg, store: d.Store, ledger: d.Ledger, bank: d.Bank, identity: d.Identity, vault: d.Vault, lookup: d.LookupKey, pinKey: d.PINKey, risk: d.Risk,
		codes: d.Codes, log: log, now: now, observeRisk: d.ObserveRisk, names: newNameCache(d.Store), cache: newCaches(d.Store.MerchantsVersion)}
	if err := s.createSystemAccounts(ctx); err != nil {
		return nil, err
	}
	s.inbox = newOutbox(d.Store, log)
	s.decisions = newDecisionLog(d.Store, log)
	return s, nil
}

// Close sends the notifications still buffered.
func (s *Service) Close() {
	s.inbox.close()
	s.decisions.close()
}

// systemAccount is the id of an operator account in a currency.
func systemAccount(name, currency string) ledger.ID {
	return ledger.NameID("wallet/system", name, currency)
}

// The operator's accounts, per currency.
func limitSource(cur string) ledger.ID  { return systemAccount("limit-source", cur) }
func bankClearing(cur string) ledger.ID { return systemAccount("bank-clearing", cur) }
func feeIncome(cur string) ledger.ID    { return systemAccount("fee-income", cur) }

func (s *Service) createSystemAccounts(ctx context.Context) error {
	var accts []ledger.Account
	for cur := range s.cfg.Limits {
		accts = append(accts,
			ledger.Account{ID: limitSource(cur), Currency: cur, Code: AccountLimitSource, Owner: "system:limits"},
			ledger.Account{ID: bankClearing(cur), Currency: cur, Code: AccountBankClearing, Owner: "system:bank"},
			ledger.Account{ID: feeIncome(cur), Currency: cur, Code: AccountFeeIncome, Owner: "system:fees",
				Flags: ledger.DebitsMustNotExceedCredits},
		)
	}
	res, err := s.ledger.CreateAccounts(ctx, accts)
	if err != nil {
		return fmt.Errorf("wallet: create system accounts: %w", err)
	}
	for i, r := range res {
		if !r.OK() {
			return fmt.Errorf("wallet: create system account %s %s: %s", accts[i].Owner, accts[i].Currency, r)
		}
	}
	return nil
}

// SupportedCurrencies lists the currencies a wallet may be opened in.
func (s *Service) SupportedCurrencies() []string {
	out := make([]string, 0, len(s.cfg.Limits))
	for c := range s.cfg.Limits {
		out = append(out, c)
	}
	sortStrings(out)
	return out
}

// DemoFund gives a demo user a balance, booked as a completed top-up from
// a bank card (once per user and currency). Only for --demo.
func (s *Service) DemoFund(ctx context.Context, userID, cur string, amount int64) error {
	w, ok, err := s.walletIn(ctx, userID, cur)
	if err != nil || !ok {
		return fmt.Errorf("demo fund: no %s wallet (%v)", cur, err)
	}
	res, err := s.ledger.CreateTransfers(ctx, []ledger.Transfer{{ID: ledger.NameID("wallet/demo-topup", userID, cur),
		DebitAccountID: bankClearing(cur), CreditAccountID: w.AccountID, Amount: amount, Currency: cur, Code: TransferTopUp, Reference: "demo top-up"}})
	if err != nil {
		return fmt.Errorf("demo fund: %w", err)
	}
	if !res[0].OK() {
		return fmt.Errorf("demo fund: %s", res[0])
	}
	return nil
}
