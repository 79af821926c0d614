package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Account-security insurance (账户安全险): a user buys a policy — the
// premium is a ledger transfer from their CNY wallet into the insurance
// pool — that covers, up to its cover, money taken out of their wallets
// without their consent during its term. They file a claim on such a
// transaction; an operator reviews it with the evidence (the transaction,
// the user's logins and security actions from the audit trail) and
// approves — the pool pays the claim into the wallet, through the ledger —
// or rejects it with a reason. The pool's balance is premiums less payouts:
// the insurer's result, which may go below zero.

// Insurance terms (CNY minor units).
const (
	InsurancePremium = 300       // ¥3.00 a term
	InsuranceCover   = 1_000_000 // ¥10,000 a term
	InsuranceTerm    = 30 * 24 * time.Hour
)

// Ledger codes of insurance.
const (
	AccountInsurancePool     uint16 = 30
	TransferInsurancePremium uint16 = 30
	TransferInsurancePayout  uint16 = 31
)

// Statuses of policies and claims.
const (
	PolicyPending  = "pending"
	PolicyActive   = "active"
	PolicyExpired  = "expired"
	ClaimSubmitted = "submitted"
	ClaimPaid      = "paid"
	ClaimRejected  = "rejected"
)

// Codes of insurance errors.
const (
	CodeAlreadyInsured = "already_insured"
	CodeNotInsured     = "not_insured"
	CodeNotClaimable   = "not_claimable"
	CodeClaimed        = "already_claimed"
	CodeClaimDecided   = "claim_decided"
)

// Policy is one term of cover.
type Policy struct {
	ID, UserID, Status        string
	Premium, Cover, PaidOut   int64
	StartsAt, EndsAt, Created time.Time
}

// Claim is a claim on one transaction.
type Claim struct {
	ID, PolicyID, UserID, TransferID string
	Amount                           int64
	Description, Status, Reason      string
	DecidedBy                        string
	CreatedAt, DecidedAt             time.Time
}

func insurancePool() ledger.ID { return systemAccount("insurance-pool", "CNY") }

func (s *Service) createInsurancePool(ctx context.Context) error {
	res, err := s.ledger.CreateAccounts(ctx, []ledger.Account{{ID: insurancePool(), Currency: "CNY", Code: AccountInsurancePool, Owner: "system:insurance"}})
	if err != nil {
		return fmt.Errorf("wallet: insurance pool: %w", err)
	}
	if !res[0].OK() {
		return fmt.Errorf("wallet: insurance pool: %s", res[0])
	}
	return nil
}

// BuyInsurance buys a term of cover, starting now; the PIN confirms the
// premium. A user has one policy in force at a time.
func (s *Service) BuyInsurance(ctx context.Context, u User, pin string) (Policy, error) {
	if err := s.verifyPIN(ctx, u, pin); err != nil {
		return Policy{}, err
	}
	if err := s.createInsurancePool(ctx); err != nil {
		return Policy{}, err
	}
	now := s.now().UTC()
	if err := s.store.ExpirePolicies(ctx, u.ID, now); err != nil {
		return Policy{}, fmt.Errorf("buy insurance: %w", err)
	}
	p := Policy{ID: ledger.NewID().String(), UserID: u.ID, Status: PolicyPending, Premium: InsurancePremium, Cover: InsuranceCover,
		StartsAt: now, EndsAt: now.Add(InsuranceTerm), Created: now}
	if err := s.store.CreatePolicy(ctx, p); err != nil {
		if errors.Is(err, ErrDuplicate) {
			cur, cerr := s.store.LivePolicy(ctx, u.ID)
			if cerr == nil && cur.Status == PolicyPending {
				// An earlier purchase whose outcome was not known: the
				// ledger says whether its premium was paid.
				return s.settlePendingPolicy(ctx, cur)
			}
			if cerr == nil {
				return Policy{}, newError(KindConflict, CodeAlreadyInsured, "you are insured until %s", cur.EndsAt.In(s.cfg.Day).Format("2006-01-02"))
			}
			return Policy{}, newError(KindConflict, CodeAlreadyInsured, "you have a policy being bought")
		}
		return Policy{}, fmt.Errorf("buy insurance: %w", err)
	}
	from, ok, err := s.walletIn(ctx, u.ID, "CNY")
	if err == nil && !ok {
		err = newError(KindInvalid, CodeWalletNotOpen, "you have no CNY wallet")
	}
	if err == nil {
		pid, _ := ledger.ParseID(p.ID)
		_, err = s.moneyOut(ctx, u, ledger.Transfer{ID: premiumID(pid), DebitAccountID: from.AccountID,
			CreditAccountID: insurancePool(), Amount: p.Premium, Currency: "CNY", Code: TransferInsurancePremium, Reference: "insurance:" + p.ID}, false)
	}
	if err != nil {
		if _, refused := AsError(err); refused {
			// Refused (no money moved): the purchase is undone.
			if derr := s.store.DeletePendingPolicy(ctx, p.ID); derr != nil {
				s.log.Warn("wallet: forget an unpaid policy", "policy", p.ID, "err", derr)
			}
		}
		// Otherwise the outcome is unknown: the policy stays pending, and
		// buying again settles it from the ledger.
		return Policy{}, err
	}
	if err := s.store.SetPolicyStatus(ctx, p.ID, PolicyPending, PolicyActive); err != nil {
		return Policy{}, fmt.Errorf("buy insurance: %w", err)
	}
	p.Status = PolicyActive
	s.audit(ctx, u.ID, "insurance_bought", u.ID, "policy "+p.ID)
	return p, nil
}

func premiumID(policy ledger.ID) ledger.ID {
	return linkedID("wallet/insurance-premium", policy, "premium")
}

// settlePendingPolicy activates a pending policy whose premium is in the
// ledger, or forgets it if it is not (the user buys again).
func (s *Service) settlePendingPolicy(ctx context.Context, p Policy) (Policy, error) {
	pid, err := ledger.ParseID(p.ID)
	if err != nil {
		return Policy{}, fmt.Errorf("pending policy %s: %w", p.ID, err)
	}
	if _, err := s.ledger.LookupTransfer(ctx, premiumID(pid)); err == nil {
		if err := s.store.SetPolicyStatus(ctx, p.ID, PolicyPending, PolicyActive); err != nil && !errors.Is(err, ErrNotFound) {
			return Policy{}, err
		}
		p.Status = PolicyActive
		return p, nil
	}
	if err := s.store.DeletePendingPolicy(ctx, p.ID); err != nil {
		return Policy{}, err
	}
	return Policy{}, newError(KindConflict, CodeAlreadyInsured, "an earlier purchase did not go through; buy again")
}

// Insurance returns the user's policies (newest first) and claims.
func (s *Service) Insurance(ctx context.Context, u User) ([]Policy, []Claim, error) {
	ps, err := s.store.Policies(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	for i := range ps {
		if ps[i].Status == PolicyActive && !now.Before(ps[i].EndsAt) {
			ps[i].Status = PolicyExpired
		}
	}
	cs, err := s.store.Claims(ctx, ClaimFilter{UserID: u.ID})
	return ps, cs, err
}

// FileClaim claims for a transaction that took money out of the user's
// wallet without their consent, during a policy's term: at most what it
// took and what the policy still covers.
func (s *Service) FileClaim(ctx context.Context, u User, transferID, description string) (Claim, error) {
	notClaimable := func(why string) error { return newError(KindInvalid, CodeNotClaimable, "%s", why) }
	tid, err := ledger.ParseID(strings.TrimSpace(transferID))
	if err != nil {
		return Claim{}, notClaimable("no such transaction of yours")
	}
	t, err := s.ledger.LookupTransfer(ctx, tid)
	if errors.Is(err, ledger.ErrNotFound) {
		return Claim{}, notClaimable("no such transaction of yours")
	}
	if err != nil {
		return Claim{}, fmt.Errorf("file claim: %w", err)
	}
	w, ok, err := s.walletIn(ctx, u.ID, "CNY")
	if err != nil || !ok || t.DebitAccountID != w.AccountID {
		return Claim{}, notClaimable("only money taken out of your CNY wallet can be claimed")
	}
	switch t.Code {
	case TransferP2P, TransferPayment, TransferWithdrawal:
	default:
		return Claim{}, notClaimable("only transfers, payments and withdrawals can be claimed")
	}
	at := time.Unix(0, t.Timestamp).UTC()
	p, err := s.store.PolicyAt(ctx, u.ID, at)
	if errors.Is(err, ErrNotFound) {
		return Claim{}, newError(KindInvalid, CodeNotInsured, "you were not insured when this transaction happened")
	}
	if err != nil {
		return Claim{}, fmt.Errorf("file claim: %w", err)
	}
	amount := min(t.Amount, p.Cover-p.PaidOut)
	if amount <= 0 {
		return Claim{}, newError(KindInvalid, CodeNotClaimable, "this policy's cover is used up")
	}
	c := Claim{ID: ledger.NewID().String(), PolicyID: p.ID, UserID: u.ID, TransferID: tid.String(), Amount: amount,
		Description: clipString(strings.TrimSpace(description), 1000), Status: ClaimSubmitted, CreatedAt: s.now().UTC()}
	if err := s.store.CreateClaim(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Claim{}, newError(KindConflict, CodeClaimed, "this transaction has been claimed already")
		}
		return Claim{}, fmt.Errorf("file claim: %w", err)
	}
	s.audit(ctx, u.ID, "insurance_claim_filed", u.ID, fmt.Sprintf("claim %s on %s for %d", c.ID, c.TransferID, c.Amount))
	s.notify(u.ID, "claim_filed", "Claim received", fmt.Sprintf("We received your claim for %s and will review it.", formatCNY(c.Amount)))
	return c, nil
}

// ClaimFilter selects claims.
type ClaimFilter struct {
	UserID, Status string
}

// Claims (an operator) lists claims, newest first.
func (s *Service) Claims(ctx context.Context, f ClaimFilter) ([]Claim, error) {
	return s.store.Claims(ctx, f)
}

// ClaimEvidence is what an operator reviews a claim with.
type ClaimEvidence struct {
	Claim    Claim
	Policy   Policy
	Transfer ledger.Transfer
	// Security is the user's security actions around the transaction
	// (logins, failed logins, PIN and device changes), newest first.
	Security []AuditEntry
}

// Evidence (an operator) gathers a claim's evidence.
func (s *Service) Evidence(ctx context.Context, claimID string) (ClaimEvidence, error) {
	c, err := s.store.Claim(ctx, claimID)
	if errors.Is(err, ErrNotFound) {
		return ClaimEvidence{}, newError(KindNotFound, CodeNotFound, "no such claim")
	}
	if err != nil {
		return ClaimEvidence{}, err
	}
	p, err := s.store.Policy(ctx, c.PolicyID)
	if err != nil {
		return ClaimEvidence{}, err
	}
	tid, _ := ledger.ParseID(c.TransferID)
	t, err := s.ledger.LookupTransfer(ctx, tid)
	if err != nil {
		return ClaimEvidence{}, fmt.Errorf("claim evidence: %w", err)
	}
	sec, err := s.store.AuditLog(ctx, AuditFilter{Actor: c.UserID, Limit: 50})
	if err != nil {
		return ClaimEvidence{}, err
	}
	return ClaimEvidence{Claim: c, Policy: p, Transfer: t, Security: sec}, nil
}

// DecideClaim (an operator) approves a claim — the pool pays it into the
// user's wallet, once — or rejects it with a reason.
func (s *Service) DecideClaim(ctx context.Context, claimID string, approve bool, reason string) (Claim, error) {
	c, err := s.store.Claim(ctx, claimID)
	if errors.Is(err, ErrNotFound) {
		return Claim{}, newError(KindNotFound, CodeNotFound, "no such claim")
	}
	if err != nil {
		return Claim{}, err
	}
	reason = clipString(strings.TrimSpace(reason), 500)
	operator := ActorFrom(ctx).ID
	if c.Status != ClaimSubmitted {
		if c.Status == ClaimPaid {
			// Deciding again books a payout an earlier decision left
			// unbooked (a crash between the two); it moves money once.
			if err := s.PayOutClaim(ctx, c); err != nil {
				return c, err
			}
		}
		return c, newError(KindConflict, CodeClaimDecided, "this claim is %s already", c.Status)
	}
	if !approve {
		if reason == "" {
			return Claim{}, newError(KindInvalid, CodeInvalidRequest, "say why the claim is rejected")
		}
		if err := s.store.DecideClaim(ctx, c.ID, ClaimRejected, reason, operator, s.now().UTC(), 0); err != nil {
			return Claim{}, s.claimMoved(err)
		}
		s.audit(ctx, "", "insurance_claim_rejected", c.UserID, "claim "+c.ID+": "+reason)
		s.notify(c.UserID, "claim_rejected", "Claim rejected", "Your claim was not accepted: "+reason)
		c.Status, c.Reason, c.DecidedBy = ClaimRejected, reason, operator
		return c, nil
	}
	// The claim is marked paid, with the policy's cover used, in one write;
	// then the payout (its id derived from the claim's) commits. A crash
	// between the two leaves a paid claim without its payout: deciding it
	// again books it (PayOutClaim is idempotent).
	if err := s.store.DecideClaim(ctx, c.ID, ClaimPaid, reason, operator, s.now().UTC(), c.Amount); err != nil {
		return Claim{}, s.claimMoved(err)
	}
	c.Status, c.Reason, c.DecidedBy = ClaimPaid, reason, operator
	if err := s.PayOutClaim(ctx, c); err != nil {
		return c, err
	}
	s.audit(ctx, "", "insurance_claim_paid", c.UserID, fmt.Sprintf("claim %s: %d", c.ID, c.Amount))
	s.notify(c.UserID, "claim_paid", "Claim paid", fmt.Sprintf("Your claim was accepted: %s is back in your wallet.", formatCNY(c.Amount)))
	return c, nil
}

func (s *Service) claimMoved(err error) error {
	if errors.Is(err, ErrNotFound) {
		return newError(KindConflict, CodeClaimDecided, "this claim was decided meanwhile, or its policy's cover is used up")
	}
	return err
}

// PayOutClaim books a paid claim's payout from the pool (idempotent).
func (s *Service) PayOutClaim(ctx context.Context, c Claim) error {
	w, ok, err := s.walletIn(ctx, c.UserID, "CNY")
	if err != nil || !ok {
		return fmt.Errorf("claim payout: no CNY wallet (%v)", err)
	}
	cid, _ := ledger.ParseID(c.ID)
	res, err := s.ledger.CreateTransfers(ctx, []ledger.Transfer{{ID: linkedID("wallet/insurance-payout", cid, "payout"),
		DebitAccountID: insurancePool(), CreditAccountID: w.AccountID, Amount: c.Amount, Currency: "CNY",
		Code: TransferInsurancePayout, Reference: "claim:" + c.ID}})
	if err != nil {
		return fmt.Errorf("claim payout: %w", err)
	}
	if r := res[0]; !r.OK() {
		return fmt.Errorf("claim payout: %s", r)
	}
	return nil
}
