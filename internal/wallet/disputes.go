package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Disputes (售后): a user opens a ticket on one of their own bills — a
// transfer or a merchant payment they paid — for a reason from a fixed
// list. A ticket on a merchant payment waits for the merchant's answer
// (within Config.DisputeMerchantSLA); then, or when the merchant lets the
// time pass, or at once for a transfer, it waits for an operator's
// decision (within Config.DisputeOperatorSLA): a refund from the merchant
// (through the merchant refund path, once), an insurance claim paid from
// the account-security insurance pool, or a rejection with reasons. The
// user may withdraw the ticket while it is open. Every step is an entry
// of the ticket's timeline (who, what, images); a background sweep
// reminds the merchant, escalates what it left unanswered and marks
// what the operators left overdue.

// Dispute statuses. "open" is not stored: it names the two states that
// wait for someone (a filter, and what one bill may have one of).
const (
	DisputeOpen             = "open"
	DisputeAwaitingMerchant = "awaiting_merchant"
	DisputeAwaitingOperator = "awaiting_operator"
	DisputeResolved         = "resolved"
	DisputeRejected         = "rejected"
	DisputeClosed           = "closed" // withdrawn by the user
)

// DisputeStatuses are the statuses a filter may name.
var DisputeStatuses = []string{DisputeOpen, DisputeAwaitingMerchant, DisputeAwaitingOperator, DisputeResolved, DisputeRejected, DisputeClosed}

// Reasons a user may give.
const (
	ReasonUnauthorised     = "unauthorised"
	ReasonNotReceived      = "not_received"
	ReasonWrongAmount      = "wrong_amount"
	ReasonRefundNotArrived = "refund_not_arrived"
)

// DisputeReasons is the fixed list of reasons.
var DisputeReasons = []string{ReasonUnauthorised, ReasonNotReceived, ReasonWrongAmount, ReasonRefundNotArrived}

// Decisions an operator makes.
const (
	DecisionRefund    = "refund"
	DecisionInsurance = "insurance"
	DecisionReject    = "reject"
)

// Authors of timeline entries.
const (
	AuthorUser     = "user"
	AuthorMerchant = "merchant"
	AuthorOperator = "operator"
	AuthorSystem   = "system"
)

// Kinds of timeline entries.
const (
	EntryOpened    = "opened"
	EntryMessage   = "message"
	EntryReminded  = "reminded"
	EntryEscalated = "escalated"
	EntryOverdue   = "overdue"
	EntryDecided   = "decided"
	EntryWithdrawn = "withdrawn"
)

// Codes of dispute errors.
const (
	CodeDisputeOpen          = "dispute_open"
	CodeNotDisputable        = "not_disputable"
	CodeInvalidDisputeReason = "invalid_dispute_reason"
	CodeDisputeClosed        = "dispute_closed"
	CodeDisputeDecided       = "dispute_decided"
	CodeInvalidAttachment    = "invalid_attachment"
	CodeAttachmentTooLarge   = "attachment_too_large"
	CodeTooManyAttachments   = "too_many_attachments"
	CodeEmptyMessage         = "empty_message"
	CodeReasonRequired       = "decision_reason_required"
	CodeNotRefundable        = "not_refundable"
	CodeInvalidDecision      = "invalid_decision"
	CodeDisputeBusy          = "dispute_busy"
)

// Dispute is a ticket on one bill.
type Dispute struct {
	ID         string
	UserID     string
	TransferID string
	Kind       string // transfer, payment
	MerchantID string // payments: the merchant paid
	OrderID    string // payments: the order
	PayeeID    string // transfers: who was paid
	Amount     int64
	Currency   string
	Reason     string
	// Description is the user's account of what happened.
	Description string
	Status      string
	// DueAt is when the party the ticket waits for must have acted (zero
	// once decided or withdrawn); Overdue is set when the operators let it
	// pass; MerchantOverdue when the merchant did (the ticket escalated).
	DueAt           time.Time
	Overdue         bool
	MerchantOverdue bool
	Reminded        bool // the merchant was reminded of its deadline
	Decision        string
	DecisionNote    string
	// Paid is what the decision paid back (the refund or the claim).
	Paid          int64
	RefundAttempt int // the refund number's attempt (a refund the merchant balance refused burns one)
	ClaimID       string
	DecidedBy     string
	Attachments   int
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DecidedAt     time.Time
	// Version counts the ticket's writes: a write names the version it
	// read, so that two at once do not overwrite each other.
	Version int
}

// IsOpen reports whether the ticket waits for someone.
func (d Dispute) IsOpen() bool {
	return d.Status == DisputeAwaitingMerchant || d.Status == DisputeAwaitingOperator
}

// DisputeEntry is one entry of a ticket's timeline.
type DisputeEntry struct {
	ID          string
	DisputeID   string
	Author      string // user, merchant, operator, system
	AuthorID    string
	Kind        string // opened, message, reminded, escalated, overdue, decided, withdrawn
	Body        string
	Attachments []DisputeAttachment
	CreatedAt   time.Time
}

// DisputeAttachment is an image on a timeline entry; Data is loaded only
// when the image itself is asked for.
type DisputeAttachment struct {
	ID          string
	DisputeID   string
	EntryID     string
	ContentType string
	Size        int
	Data        []byte
	CreatedAt   time.Time
}

// DisputeFilter selects tickets: by user, merchant, status ("" any,
// "open" either awaiting state); Queue orders them as the operators'
// queue (overdue first, then by deadline) instead of newest first.
type DisputeFilter struct {
	UserID, MerchantID, Status string
	Queue                      bool
	Limit                      int
}

// DisputeStore keeps tickets.
type DisputeStore interface {
	// CreateDispute stores a ticket with its first entry (and its
	// attachments) in one write; ErrDuplicate if the bill has an open one.
	CreateDispute(ctx context.Context, d Dispute, first DisputeEntry) error
	Dispute(ctx context.Context, id string) (Dispute, error)
	Disputes(ctx context.Context, f DisputeFilter) ([]Dispute, error)
	// DisputeEntries returns a ticket's timeline, oldest first, with the
	// attachments' metadata (no data).
	DisputeEntries(ctx context.Context, disputeID string) ([]DisputeEntry, error)
	DisputeAttachment(ctx context.Context, disputeID, id string) (DisputeAttachment, error)
	// UpdateDispute writes d's state, if the stored ticket is still at
	// d.Version (ErrNotFound otherwise), with an entry and its attachments
	// (e may be nil), in one write.
	UpdateDispute(ctx context.Context, d Dispute, e *DisputeEntry) error
	// DueDisputes returns up to limit open tickets whose deadline passed
	// (and that are not marked overdue yet), or that wait for a merchant
	// not yet reminded whose deadline is before remindBy; earliest first.
	DueDisputes(ctx context.Context, now, remindBy time.Time, limit int) ([]Dispute, error)
}

// DisputeRequest opens a ticket.
type DisputeRequest struct {
	TransferID  string
	Reason      string
	Description string
	Images      [][]byte
}

// DisputeCase is a ticket with its timeline.
type DisputeCase struct {
	Dispute Dispute
	Entries []DisputeEntry
	// Refundable is what of the order is not refunded yet (payments).
	Refundable int64
	// Merchant is the merchant's display name (payments).
	Merchant string
}

// disputeSettings are the configuration's dispute bounds with defaults.
type disputeSettings struct {
	merchantSLA, operatorSLA, remindBefore time.Duration
	maxAttachments, maxBytes               int
}

func (s *Service) disputeSettings() disputeSettings {
	d := disputeSettings{s.cfg.DisputeMerchantSLA, s.cfg.DisputeOperatorSLA, s.cfg.DisputeReminderBefore, s.cfg.DisputeMaxAttachments, s.cfg.DisputeAttachmentMaxBytes}
	if d.merchantSLA <= 0 {
		d.merchantSLA = DefaultDisputeMerchantSLA
	}
	if d.operatorSLA <= 0 {
		d.operatorSLA = DefaultDisputeOperatorSLA
	}
	if d.remindBefore <= 0 {
		d.remindBefore = min(DefaultDisputeReminderBefore, d.merchantSLA/2)
	}
	if d.maxAttachments <= 0 {
		d.maxAttachments = DefaultDisputeMaxAttachments
	}
	if d.maxBytes <= 0 {
		d.maxBytes = DefaultDisputeAttachmentMaxBytes
	}
	return d
}

// DisputeLimits returns the attachment bounds (for forms to say).
func (s *Service) DisputeLimits() (maxAttachments, maxBytes int) {
	d := s.disputeSettings()
	return d.maxAttachments, d.maxBytes
}

// attachments checks images and makes them the attachments of an entry;
// a bad one refuses them all (nothing is stored).
func (s *Service) attachments(d Dispute, e *DisputeEntry, images [][]byte) error {
	cfg := s.disputeSettings()
	if d.Attachments+len(images) > cfg.maxAttachments {
		return newError(KindInvalid, CodeTooManyAttachments, "a ticket holds at most %d images", cfg.maxAttachments).with("max_attachments", cfg.maxAttachments)
	}
	for i, img := range images {
		if len(img) > cfg.maxBytes {
			return newError(KindInvalid, CodeAttachmentTooLarge, "image %d is larger than %d KiB", i+1, cfg.maxBytes>>10).with("max_bytes", cfg.maxBytes)
		}
		ct, ok := SniffImage(img)
		if !ok {
			return newError(KindInvalid, CodeInvalidAttachment, "image %d is not a PNG, JPEG or WebP image", i+1)
		}
		e.Attachments = append(e.Attachments, DisputeAttachment{ID: ledger.NewID().String(), DisputeID: d.ID, EntryID: e.ID,
			ContentType: ct, Size: len(img), Data: img, CreatedAt: e.CreatedAt})
	}
	return nil
}

func (s *Service) newEntry(d Dispute, author, authorID, kind, body string) DisputeEntry {
	return DisputeEntry{ID: ledger.NewID().String(), DisputeID: d.ID, Author: author, AuthorID: authorID, Kind: kind,
		Body: clipString(strings.TrimSpace(body), 2000), CreatedAt: s.now().UTC()}
}

// OpenDispute opens a ticket on one of the user's bills: money that left
// their wallet as a transfer or a merchant payment.
func (s *Service) OpenDispute(ctx context.Context, u User, r DisputeRequest) (Dispute, error) {
	if !contains(DisputeReasons, r.Reason) {
		return Dispute{}, newError(KindInvalid, CodeInvalidDisputeReason, "reason must be one of %s", strings.Join(DisputeReasons, ", "))
	}
	d, err := s.disputedBill(ctx, u, r.TransferID)
	if err != nil {
		return Dispute{}, err
	}
	now := s.now().UTC()
	cfg := s.disputeSettings()
	d.ID, d.UserID, d.Reason, d.Description = ledger.NewID().String(), u.ID, r.Reason, clipString(strings.TrimSpace(r.Description), 2000)
	d.CreatedAt, d.UpdatedAt, d.Version = now, now, 1
	if d.Kind == "payment" {
		d.Status, d.DueAt = DisputeAwaitingMerchant, now.Add(cfg.merchantSLA)
	} else {
		d.Status, d.DueAt = DisputeAwaitingOperator, now.Add(cfg.operatorSLA)
	}
	e := s.newEntry(d, AuthorUser, u.ID, EntryOpened, d.Description)
	if err := s.attachments(d, &e, r.Images); err != nil {
		return Dispute{}, err
	}
	d.Attachments = len(e.Attachments)
	if err := s.store.CreateDispute(ctx, d, e); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Dispute{}, newError(KindConflict, CodeDisputeOpen, "this bill has an open ticket already")
		}
		return Dispute{}, fmt.Errorf("open dispute: %w", err)
	}
	s.audit(ctx, u.ID, "dispute_opened", u.ID, fmt.Sprintf("dispute %s on %s (%s)", d.ID, d.TransferID, d.Reason))
	s.notify(u.ID, "dispute_opened", "Ticket opened", fmt.Sprintf("We received your ticket about %s.", formatMoney(d.Amount, d.Currency)))
	if d.MerchantID != "" {
		s.notifyMerchant(ctx, d, "dispute_new", "New customer ticket",
			fmt.Sprintf("A customer opened a ticket about a payment of %s; please answer by %s.", formatMoney(d.Amount, d.Currency), s.dueText(d.DueAt)))
	}
	return d, nil
}

// disputedBill checks that a bill may be disputed by the user and
// returns the ticket's facts about it.
func (s *Service) disputedBill(ctx context.Context, u User, transferID string) (Dispute, error) {
	notYours := newError(KindNotFound, CodeNotFound, "you have no such bill")
	tid, err := ledger.ParseID(strings.TrimSpace(transferID))
	if err != nil {
		return Dispute{}, notYours
	}
	t, err := s.ledger.LookupTransfer(ctx, tid)
	if errors.Is(err, ledger.ErrNotFound) {
		return Dispute{}, notYours
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("open dispute: %w", err)
	}
	w, err := s.store.WalletByAccount(ctx, t.DebitAccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && w.UserID != u.ID) {
		// Money the user received, or someone else's: not a bill they paid.
		if _, berr := s.Bill(ctx, u.ID, tid.String()); berr == nil {
			return Dispute{}, newError(KindInvalid, CodeNotDisputable, "only money you paid can be disputed")
		}
		return Dispute{}, notYours
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("open dispute: %w", err)
	}
	d := Dispute{TransferID: tid.String(), Amount: t.Amount, Currency: t.Currency}
	switch t.Code {
	case TransferP2P:
		d.Kind = "transfer"
		if pw, err := s.store.WalletByAccount(ctx, t.CreditAccountID); err == nil {
			d.PayeeID = pw.UserID
		}
	case TransferPayment:
		orderID, ok := strings.CutPrefix(t.Reference, "order:")
		if !ok {
			return Dispute{}, newError(KindInvalid, CodeNotDisputable, "only transfers and merchant payments can be disputed")
		}
		o, err := s.store.MerchantOrderByID(ctx, orderID)
		if err != nil {
			return Dispute{}, fmt.Errorf("open dispute: order of %s: %w", tid, err)
		}
		if t.CreditAccountID != merchantAccount(o.MerchantID) || o.PayerID != u.ID {
			return Dispute{}, newError(KindInvalid, CodeNotDisputable, "this payment can not be disputed")
		}
		d.Kind, d.MerchantID, d.OrderID = "payment", o.MerchantID, o.ID
	default:
		return Dispute{}, newError(KindInvalid, CodeNotDisputable, "only transfers and merchant payments can be disputed")
	}
	return d, nil
}

// dueText is a deadline as notifications say it.
func (s *Service) dueText(t time.Time) string {
	return t.In(s.cfg.Day).Format("2006-01-02 15:04")
}

// notifyMerchant tells a ticket's merchant (its owner's inbox).
func (s *Service) notifyMerchant(ctx context.Context, d Dispute, kind, title, body string) {
	m, err := s.merchant(ctx, d.MerchantID)
	if err != nil {
		s.log.Warn("wallet: dispute merchant", "dispute", d.ID, "err", err)
		return
	}
	s.notify(m.OwnerID, kind, title, body)
}

// MyDisputes lists the user's tickets, newest first.
func (s *Service) MyDisputes(ctx context.Context, u User, status string) ([]Dispute, error) {
	if status != "" && !contains(DisputeStatuses, status) {
		return nil, newError(KindInvalid, CodeInvalidRequest, "status must be one of %s", strings.Join(DisputeStatuses, ", "))
	}
	return s.store.Disputes(ctx, DisputeFilter{UserID: u.ID, Status: status, Limit: 100})
}

// dispute loads a ticket; a ticket the caller may not see is not found.
func (s *Service) dispute(ctx context.Context, id string, visible func(Dispute) bool) (Dispute, error) {
	notFound := newError(KindNotFound, CodeNotFound, "no such ticket")
	if _, err := ledger.ParseID(id); err != nil {
		return Dispute{}, notFound
	}
	d, err := s.store.Dispute(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !visible(d)) {
		return Dispute{}, notFound
	}
	return d, err
}

func (s *Service) disputeCase(ctx context.Context, d Dispute) (DisputeCase, error) {
	es, err := s.store.DisputeEntries(ctx, d.ID)
	if err != nil {
		return DisputeCase{}, err
	}
	c := DisputeCase{Dispute: d, Entries: es}
	if d.OrderID != "" {
		o, err := s.store.MerchantOrderByID(ctx, d.OrderID)
		if err != nil {
			return DisputeCase{}, err
		}
		c.Refundable = o.Amount - o.Refunded
		if m, err := s.merchant(ctx, d.MerchantID); err == nil {
			c.Merchant = m.DisplayName
		}
	}
	return c, nil
}

func ownedBy(u User) func(Dispute) bool { return func(d Dispute) bool { return d.UserID == u.ID } }

func ofMerchant(m Merchant) func(Dispute) bool {
	return func(d Dispute) bool { return d.MerchantID != "" && d.MerchantID == m.ID }
}

func anyDispute(Dispute) bool { return true }

// MyDispute returns one of the user's tickets with its timeline.
func (s *Service) MyDispute(ctx context.Context, u User, id string) (DisputeCase, error) {
	d, err := s.dispute(ctx, id, ownedBy(u))
	if err != nil {
		return DisputeCase{}, err
	}
	return s.disputeCase(ctx, d)
}

// DisputeMessage is a message on a ticket's timeline.
type DisputeMessage struct {
	Text   string
	Images [][]byte
}

// UserDisputeMessage adds the user's message to their open ticket.
func (s *Service) UserDisputeMessage(ctx context.Context, u User, id string, msg DisputeMessage) (DisputeCase, error) {
	return s.addMessage(ctx, id, ownedBy(u), AuthorUser, u.ID, msg, nil, func(d Dispute) {
		if d.MerchantID != "" && d.Status == DisputeAwaitingMerchant {
			s.notifyMerchant(ctx, d, "dispute_message", "Customer replied", "A customer added to their ticket: "+clipString(msg.Text, 200))
		}
	})
}

// MerchantDisputeMessage adds the merchant's answer to a ticket on one of
// its payments; the first answer passes the ticket to the operators.
func (s *Service) MerchantDisputeMessage(ctx context.Context, m Merchant, id string, msg DisputeMessage) (DisputeCase, error) {
	actor := ActorFrom(ctx).ID
	if actor == "" {
		actor = "merchant:" + m.ID
	}
	return s.addMessage(ctx, id, ofMerchant(m), AuthorMerchant, actor, msg, func(d *Dispute) {
		if d.Status == DisputeAwaitingMerchant {
			d.Status, d.DueAt, d.Overdue = DisputeAwaitingOperator, s.now().UTC().Add(s.disputeSettings().operatorSLA), false
		}
	}, func(d Dispute) {
		s.notify(d.UserID, "dispute_answered", "The merchant answered", m.DisplayName+" answered your ticket: "+clipString(msg.Text, 200))
	})
}

// OperatorDisputeMessage adds an operator's note to a ticket (asking
// either party for more, or telling them what happens next).
func (s *Service) OperatorDisputeMessage(ctx context.Context, id string, msg DisputeMessage) (DisputeCase, error) {
	return s.addMessage(ctx, id, anyDispute, AuthorOperator, ActorFrom(ctx).ID, msg, nil, func(d Dispute) {
		s.notify(d.UserID, "dispute_message", "Customer service wrote", clipString(msg.Text, 200))
	})
}

// maxDisputeRetries bounds the retries of a write that lost a race with
// another write of the same ticket.
const maxDisputeRetries = 5

// addMessage appends a message to an open ticket; change adjusts the
// ticket in the same write, after tells of it once it is stored.
func (s *Service) addMessage(ctx context.Context, id string, visible func(Dispute) bool, author, authorID string, msg DisputeMessage,
	change func(*Dispute), after func(Dispute)) (DisputeCase, error) {
	if strings.TrimSpace(msg.Text) == "" && len(msg.Images) == 0 {
		return DisputeCase{}, newError(KindInvalid, CodeEmptyMessage, "write a message or add an image")
	}
	for range maxDisputeRetries {
		d, err := s.dispute(ctx, id, visible)
		if err != nil {
			return DisputeCase{}, err
		}
		if !d.IsOpen() {
			return DisputeCase{}, newError(KindConflict, CodeDisputeClosed, "this ticket is %s", d.Status)
		}
		e := s.newEntry(d, author, authorID, EntryMessage, msg.Text)
		if err := s.attachments(d, &e, msg.Images); err != nil {
			return DisputeCase{}, err
		}
		next := d
		next.Attachments += len(e.Attachments)
		next.UpdatedAt = e.CreatedAt
		if change != nil {
			change(&next)
		}
		err = s.store.UpdateDispute(ctx, next, &e)
		if errors.Is(err, ErrNotFound) {
			continue // written meanwhile: read again
		}
		if err != nil {
			return DisputeCase{}, fmt.Errorf("dispute message: %w", err)
		}
		if next.Status != d.Status {
			s.audit(ctx, authorID, "dispute_answered", d.UserID, fmt.Sprintf("dispute %s: %s -> %s", d.ID, d.Status, next.Status))
		}
		if after != nil {
			after(d)
		}
		next.Version++
		return s.disputeCase(ctx, next)
	}
	return DisputeCase{}, newError(KindConflict, CodeDisputeBusy, "the ticket is changing; try again")
}
