package wallet

import (
	"context"
	"errors"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Store errors, returned by every Store implementation.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
)

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleUser     Role = "user"
	RoleMerchant Role = "merchant_staff"
	RoleOperator Role = "operator"
)

// User is a person with a wallet. Secrets are hashes; the identity
// document number is sealed (encrypted) and masked.
type User struct {
	ID             string
	Phone          string // E.164
	Name           string
	PasswordHash   string
	Role           Role
	Tier           Tier
	PINHash        string // empty: no PIN set
	PINFailures    int
	PINLockedUntil time.Time
	NoPINPerTx     int64 // password-free payments, CNY minor units; 0 = off
	NoPINDaily     int64
	NoPINVersion   int // increases with every change of the two limits
	RealName       string
	IDType         string
	IDMasked       string
	// NotificationsReadAt: notifications up to this time have been read.
	NotificationsReadAt time.Time
	CreatedAt           time.Time
	// FrozenAt, if set, is when an operator froze the user: no money goes
	// out of their wallets until unfrozen (see FreezeUser).
	FrozenAt time.Time
	// Language is the user's choice of language (a BCP 47 tag from
	// Languages), "" until they choose.
	Language string
}

// Session is a login. The token itself is never stored, only its hash.
type Session struct {
	ID        string
	UserID    string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	Client    string // the user agent, for the list of sessions
	DeviceID  string // the device it was opened on ("" for sessions older than devices)
}

// WalletAccount ties a user's wallet in one currency to its ledger account.
type WalletAccount struct {
	UserID    string
	Currency  string
	AccountID ledger.ID
	CreatedAt time.Time
}

// Notification is one message in a user's inbox.
type Notification struct {
	ID        string
	UserID    string
	Kind      string
	Title     string
	Body      string
	CreatedAt time.Time
	Read      bool
}

// PaymentRequest is a request by one user for another to pay an amount.
type PaymentRequest struct {
	ID          string
	RequesterID string
	PayerID     string
	Amount      int64
	Currency    string
	Note        string
	Status      string // pending, paid, declined, cancelled
	TransferID  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// BankCard is a card linked to a wallet. The number is sealed; only the
// masked form is ever shown.
type BankCard struct {
	ID             string
	UserID         string
	PANSealed      string
	PANHash        string // keyed hash of the number: finds a card linked twice
	Masked         string
	Issuer         string
	Network        string
	Type           string // debit, credit, unknown
	HolderName     string
	Status         string // pending (waiting for the one-time code), verified
	VerificationID string
	BankToken      string
	CreatedAt      time.Time
}

// BankOrder is a top-up or a withdrawal; its id is the request id the bank
// sees, so that every retry of it is the same request.
type BankOrder struct {
	ID         string
	UserID     string
	Kind       string // top_up, withdrawal, settlement
	MerchantID string // settlements: the merchant paid out
	CardID     string
	Amount     int64
	Fee        int64
	Currency   string
	Status     string // processing, succeeded, failed
	Reason     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Merchant is a business that takes payments. Its balance is its ledger
// account (created when an operator approves it).
type Merchant struct {
	ID          string
	OwnerID     string
	Name        string // the legal name
	DisplayName string // what payers see (verified at approval)
	MCC         string // ISO 18245
	Country     string // ISO 3166-1 alpha-2
	City        string
	FeeBPS      int // fee in basis points of each payment
	Status      string
	AccountID   string
	// SettlementCard is the owner's verified card the balance is paid to.
	SettlementCard string
	CreatedAt      time.Time
}

// MerchantKey is an API key; the secret is sealed.
type MerchantKey struct {
	ID         string
	MerchantID string
	Kind       string // hmac (Secret: the sealed secret) or ed25519 (Secret: the public key, base64)
	Secret     string
	Status     string // active, revoked
	CreatedAt  time.Time
}

// MerchantOrder is an order a merchant asks a wallet user to pay.
type MerchantOrder struct {
	ID          string
	MerchantID  string
	OutTradeNo  string
	Amount      int64
	Fee         int64
	Currency    string
	Description string
	Status      string // NOTPAY, USERPAYING, SUCCESS, CLOSED, REVERSED, REFUND
	Refunded    int64  // refunded so far
	PayerID     string
	TerminalID  string // the till it was rung up on, if any
	ExpiresAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PaycodeDevice is a device enrolled to show payment codes.
type PaycodeDevice struct {
	Number      uint64
	UserID      string
	Secret      string // sealed
	Status      string // active, revoked
	LastCounter int64
	CreatedAt   time.Time
	// DeviceID is the login device (devices.go) whose session enrolled it;
	// revoking that device revokes this. "" for older enrolments.
	DeviceID string
}

// MerchantRefund is a refund of (part of) a paid order.
type MerchantRefund struct {
	ID          string
	MerchantID  string
	OrderID     string
	OutRefundNo string
	Amount      int64
	FeeBack     int64 // the part of the order's fee given back to the merchant
	Reason      string
	Status      string // processing, success, failed
	CreatedAt   time.Time
}

// Webhook is where a merchant wants its events; the secret is sealed.
type Webhook struct {
	MerchantID string
	URL        string
	Secret     string
	CreatedAt  time.Time
}

// WebhookEvent is one event in the outbox.
type WebhookEvent struct {
	ID            string
	MerchantID    string
	Type          string // payment.succeeded, refund.succeeded
	Payload       string // JSON
	Status        string // pending, delivered, failed
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
}

// Shop is one of a merchant's stores.
type Shop struct {
	ID, MerchantID, Name string
	CreatedAt            time.Time
}

// Terminal is a till in a store.
type Terminal struct {
	ID, StoreID, MerchantID, Name string
	CreatedAt                     time.Time
}

// Store keeps the wallet's records (never balances: those are the
// ledger's). Implementations: internal/store/walletsql, on SQLite and
// PostgreSQL.
type Store interface {
	CreateUser(ctx context.Context, u *User, w WalletAccount) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByPhone(ctx context.Context, phone string) (User, error)
	SetPIN(ctx context.Context, userID, hash string) error
	// PINFailed counts a wrong PIN and returns the failures in a row.
	PINFailed(ctx context.Context, userID string) (int, error)
	LockPIN(ctx context.Context, userID string, until time.Time) error
	PINSucceeded(ctx context.Context, userID string) error
	SetNoPIN(ctx context.Context, userID string, perTx, daily int64) error
	SetIdentity(ctx context.Context, userID, realName, idType, idMasked, idSealed string, tier Tier) error
	SetTier(ctx context.Context, userID string, tier Tier) error

	CreateSession(ctx context.Context, s Session) error
	SessionByTokenHash(ctx context.Context, hash string) (Session, error)
	Sessions(ctx context.Context, userID string) ([]Session, error)
	DeleteSession(ctx context.Context, userID, sessionID string) error

	CreateWallet(ctx context.Context, w WalletAccount) error
	Wallets(ctx context.Context, userID string) ([]WalletAccount, error)
	WalletByAccount(ctx context.Context, account ledger.ID) (WalletAccount, error)

	AddNotifications(ctx context.Context, ns []Notification) error
	Notifications(ctx context.Context, userID string, before time.Time, limit int) ([]Notification, error)
	MarkNotificationsRead(ctx context.Context, userID string, upTo time.Time) error

	CreatePaymentRequest(ctx context.Context, r PaymentRequest) error
	PaymentRequestByID(ctx context.Context, id string) (PaymentRequest, error)
	// SetPaymentRequestStatus moves a pending request to status; ErrNotFound
	// if it is not pending any more.
	SetPaymentRequestStatus(ctx context.Context, id, status, transferID string, at time.Time) error
	PaymentRequests(ctx context.Context, userID string, limit int) ([]PaymentRequest, error)

	CreateCard(ctx context.Context, c BankCard) error
	Cards(ctx context.Context, userID string) ([]BankCard, error)
	VerifyCard(ctx context.Context, cardID, bankToken string) error
	DeleteCard(ctx context.Context, userID, cardID string) error

	// CreateOrder stores a new order; ErrDuplicate if its id exists.
	CreateOrder(ctx context.Context, o BankOrder) error
	OrderByID(ctx context.Context, id string) (BankOrder, error)
	// FinishOrder moves a processing order to its final status; ErrNotFound
	// if it is not processing (someone else finished it).
	FinishOrder(ctx context.Context, id, status, reason string, at time.Time) error
	// ProcessingOrders lists orders still waiting for the bank, oldest first.
	ProcessingOrders(ctx context.Context, updatedBefore time.Time, limit int) ([]BankOrder, error)
	Orders(ctx context.Context, userID string, limit int) ([]BankOrder, error)

	CreateMerchant(ctx context.Context, m Merchant) error
	MerchantByID(ctx context.Context, id string) (Merchant, error)
	// MerchantsVersion is a number that every change to a merchant, its
	// API keys or its webhook moves on, on any server.
	MerchantsVersion(ctx context.Context) (int64, error)
	// ApproveMerchant sets a pending merchant approved with its account.
	ApproveMerchant(ctx context.Context, id, accountID string) error
	ApprovedMerchants(ctx context.Context, after string, limit int) ([]Merchant, error)
	SetSettlementCard(ctx context.Context, merchantID, cardID string) error
	AddStaff(ctx context.Context, merchantID, userID, role string, at time.Time) error
	StaffRole(ctx context.Context, merchantID, userID string) (string, error)
	CreateStore(ctx context.Context, s Shop) error
	// CreateTerminal: ErrNotFound if the store is not the merchant's.
	CreateTerminal(ctx context.Context, t Terminal) error
	Terminal(ctx context.Context, id string) (Terminal, error)
	CreateMerchantKey(ctx context.Context, k MerchantKey) error
	MerchantKeyByID(ctx context.Context, id string) (MerchantKey, error)
	RevokeMerchantKey(ctx context.Context, merchantID, keyID string) error
	// UseNonce records a key's nonce; ErrDuplicate if it was used.
	UseNonce(ctx context.Context, keyID, nonce string, at time.Time) error
	CreateMerchantOrder(ctx context.Context, o MerchantOrder) error
	MerchantOrder(ctx context.Context, merchantID, outTradeNo string) (MerchantOrder, error)
	MerchantOrderByID(ctx context.Context, id string) (MerchantOrder, error)
	// SetMerchantOrderStatus moves an order from one status to another;
	// ErrNotFound if it is not in from.
	SetMerchantOrderStatus(ctx context.Context, id, from, to, payerID string, at time.Time) error
	// AppendAudit appends e to the audit trail: it numbers it after the
	// last entry and sets PrevHash to that entry's hash (or "") and Hash to
	// hash(PrevHash, e), in one write.
	AppendAudit(ctx context.Context, e *AuditEntry, hash func(prev string, e AuditEntry) string) error
	// AuditLog lists entries, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// ScanAudit calls fn for every entry, oldest first.
	ScanAudit(ctx context.Context, fn func(AuditEntry) error) error
	// StaleSealed returns up to limit values of a kind (SealedKinds) not
	// sealed with the key current.
	StaleSealed(ctx context.Context, kind, current string, limit int) ([]SealedValue, error)
	// Reseal replaces a sealed value if it is still v.Sealed (ErrNotFound
	// otherwise).
	Reseal(ctx context.Context, v SealedValue, sealed string) error
	// ReportPayee records a user's report of a payee; PayeeReports counts
	// a payee's reports by others than asker.
	ReportPayee(ctx context.Context, payeeID, reporterID, reason string, at time.Time) error
	PayeeReports(ctx context.Context, payeeID, asker string) (int, error)
	// Insurance (insurance.go).
	CreatePolicy(ctx context.Context, p Policy) error
	ExpirePolicies(ctx context.Context, userID string, now time.Time) error
	DeletePendingPolicy(ctx context.Context, id string) error
	SetPolicyStatus(ctx context.Context, id, from, to string) error
	LivePolicy(ctx context.Context, userID string) (Policy, error)
	Policy(ctx context.Context, id string) (Policy, error)
	PolicyAt(ctx context.Context, userID string, at time.Time) (Policy, error)
	Policies(ctx context.Context, userID string) ([]Policy, error)
	CreateClaim(ctx context.Context, c Claim) error
	Claim(ctx context.Context, id string) (Claim, error)
	Claims(ctx context.Context, f ClaimFilter) ([]Claim, error)
	DecideClaim(ctx context.Context, id, status, reason, by string, at time.Time, use int64) error
	// SetLanguage records a user's language.
	SetLanguage(ctx context.Context, userID, lang string) error
	// OrdersWaiting returns up to limit USERPAYING orders last changed
	// before the given time.
	OrdersWaiting(ctx context.Context, before time.Time, limit int) ([]MerchantOrder, error)
	// CompleteMerchantOrder marks an order that is not final (NOTPAY,
	// USERPAYING, or CLOSED by its expiry while its payment committed)
	// SUCCESS, with the event that tells of it, in one transaction (ev may
	// be nil). The ledger's payment is the truth the order follows: the
	// store may answer before the write is durable (a crash then loses it,
	// and settleOrderState writes it again from the ledger).
	CompleteMerchantOrder(ctx context.Context, id, payerID string, at time.Time, ev *WebhookEvent) error

	// AddRefund records a refund and adds its amount to the order's
	// refunded total, if that stays within the amount paid, in one
	// transaction. ErrDuplicate if the out_refund_no exists, ErrNotFound
	// if the order can not take it.
	// feeBack computes the refund's FeeBack from the total before it.
	AddRefund(ctx context.Context, r MerchantRefund, feeBack func(before int64) int64) (MerchantRefund, error)
	MerchantRefund(ctx context.Context, merchantID, outRefundNo string) (MerchantRefund, error)
	// SetRefundStatus sets a refund's status, and adds the event that
	// tells of it in the same transaction (ev may be nil).
	SetRefundStatus(ctx context.Context, id, status string, ev *WebhookEvent) error
	// FailRefund marks a processing refund failed and takes its amount
	// off the order's refunded total.
	FailRefund(ctx context.Context, r MerchantRefund) error

	SetWebhook(ctx context.Context, w Webhook) error
	Webhook(ctx context.Context, merchantID string) (Webhook, error)
	// DueWebhookEvents leases up to limit pending events due at now: their
	// next attempt moves to leaseUntil, so that another process does not
	// send them meanwhile.
	DueWebhookEvents(ctx context.Context, now, leaseUntil time.Time, limit int) ([]WebhookEvent, error)
	SaveWebhookAttempt(ctx context.Context, ev WebhookEvent) error
	WebhookEvents(ctx context.Context, merchantID string, limit int) ([]WebhookEvent, error)
	ReplayWebhookEvent(ctx context.Context, merchantID, id string, at time.Time) error

	CreatePaycodeDevice(ctx context.Context, d PaycodeDevice) error
	PaycodeDevice(ctx context.Context, number uint64) (PaycodeDevice, error)
	// PaycodeDevices returns a user's active devices, without secrets.
	PaycodeDevices(ctx context.Context, userID string) ([]PaycodeDevice, error)
	// UsePaycodeCounter records a used code's time step if it is newer
	// than the last; ErrNotFound if not (or the device is revoked).
	UsePaycodeCounter(ctx context.Context, number uint64, counter int64) error
	RevokePaycodeDevice(ctx context.Context, userID string, number uint64) error
	// StartTillOrder uses a code's time step (as UsePaycodeCounter) and
	// creates the order (ErrDuplicate if its number exists) in one write.
	StartTillOrder(ctx context.Context, device uint64, counter int64, o MerchantOrder) error

	ConsoleStore
	PasskeyStore
	DisputeStore
	DeviceStore
	CaseStore
	RiskStore
}
