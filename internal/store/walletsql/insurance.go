package walletsql

import (
	"context"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const policyColumns = "id, user_id, status, premium, cover, paid_out, starts_at, ends_at, created_at"

func scanPolicy(r scanner) (wallet.Policy, error) {
	var p wallet.Policy
	var starts, ends, created int64
	err := r.Scan(&p.ID, &p.UserID, &p.Status, &p.Premium, &p.Cover, &p.PaidOut, &starts, &ends, &created)
	p.StartsAt, p.EndsAt, p.Created = fromNanos(starts), fromNanos(ends), fromNanos(created)
	return p, err
}

// CreatePolicy stores a pending policy; ErrDuplicate if the user has one
// pending or active.
func (s *Store) CreatePolicy(ctx context.Context, p wallet.Policy) error {
	_, err := s.exec(ctx, "INSERT INTO insurance_policies ("+policyColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		p.ID, p.UserID, p.Status, p.Premium, p.Cover, p.PaidOut, nanos(p.StartsAt), nanos(p.EndsAt), nanos(p.Created))
	return s.mapErr("create policy", err)
}

// ExpirePolicies marks the user's active policies whose term ended expired.
func (s *Store) ExpirePolicies(ctx context.Context, userID string, now time.Time) error {
	_, err := s.exec(ctx, "UPDATE insurance_policies SET status = 'expired' WHERE user_id = $1 AND status = 'active' AND ends_at <= $2", userID, nanos(now))
	return s.mapErr("expire policies", err)
}

// DeletePendingPolicy forgets a policy whose premium was not paid.
func (s *Store) DeletePendingPolicy(ctx context.Context, id string) error {
	_, err := s.exec(ctx, "DELETE FROM insurance_policies WHERE id = $1 AND status = 'pending'", id)
	return s.mapErr("delete pending policy", err)
}

// SetPolicyStatus moves a policy from one status to another.
func (s *Store) SetPolicyStatus(ctx context.Context, id, from, to string) error {
	return s.exec1(ctx, "set policy status", "UPDATE insurance_policies SET status = $3 WHERE id = $1 AND status = $2", id, from, to)
}

// LivePolicy returns the user's pending or active policy.
func (s *Store) LivePolicy(ctx context.Context, userID string) (wallet.Policy, error) {
	p, err := scanPolicy(s.queryRow(ctx, "SELECT "+policyColumns+" FROM insurance_policies WHERE user_id = $1 AND status IN ('pending', 'active')", userID))
	return p, s.mapErr("live policy", err)
}

// Policy returns a policy.
func (s *Store) Policy(ctx context.Context, id string) (wallet.Policy, error) {
	p, err := scanPolicy(s.queryRow(ctx, "SELECT "+policyColumns+" FROM insurance_policies WHERE id = $1", id))
	return p, s.mapErr("policy", err)
}

// PolicyAt returns the user's paid policy whose term covers at.
func (s *Store) PolicyAt(ctx context.Context, userID string, at time.Time) (wallet.Policy, error) {
	p, err := scanPolicy(s.queryRow(ctx, "SELECT "+policyColumns+` FROM insurance_policies
		WHERE user_id = $1 AND status IN ('active', 'expired') AND starts_at <= $2 AND ends_at > $2 ORDER BY starts_at DESC LIMIT 1`, userID, nanos(at)))
	return p, s.mapErr("policy at", err)
}

// Policies returns the user's policies, newest first.
func (s *Store) Policies(ctx context.Context, userID string) ([]wallet.Policy, error) {
	rows, err := s.query(ctx, "SELECT "+policyColumns+" FROM insurance_policies WHERE user_id = $1 AND status <> 'pending' ORDER BY starts_at DESC LIMIT 50", userID)
	if err != nil {
		return nil, s.mapErr("policies", err)
	}
	defer rows.Close()
	var out []wallet.Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, s.mapErr("policies", err)
		}
		out = append(out, p)
	}
	return out, s.mapErr("policies", rows.Err())
}

const claimColumns = "id, policy_id, user_id, transfer_id, amount, description, status, reason, decided_by, created_at, decided_at"

func scanClaim(r scanner) (wallet.Claim, error) {
	var c wallet.Claim
	var created, decided int64
	err := r.Scan(&c.ID, &c.PolicyID, &c.UserID, &c.TransferID, &c.Amount, &c.Description, &c.Status, &c.Reason, &c.DecidedBy, &created, &decided)
	c.CreatedAt, c.DecidedAt = fromNanos(created), fromNanos(decided)
	return c, err
}

// CreateClaim stores a claim; ErrDuplicate if its transaction was claimed.
func (s *Store) CreateClaim(ctx context.Context, c wallet.Claim) error {
	_, err := s.exec(ctx, "INSERT INTO insurance_claims ("+claimColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		c.ID, c.PolicyID, c.UserID, c.TransferID, c.Amount, c.Description, c.Status, c.Reason, c.DecidedBy, nanos(c.CreatedAt), nanos(c.DecidedAt))
	return s.mapErr("create claim", err)
}

// Claim returns a claim.
func (s *Store) Claim(ctx context.Context, id string) (wallet.Claim, error) {
	c, err := scanClaim(s.queryRow(ctx, "SELECT "+claimColumns+" FROM insurance_claims WHERE id = $1", id))
	return c, s.mapErr("claim", err)
}

// Claims lists claims, newest first.
func (s *Store) Claims(ctx context.Context, f wallet.ClaimFilter) ([]wallet.Claim, error) {
	rows, err := s.query(ctx, "SELECT "+claimColumns+` FROM insurance_claims
		WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR status = $2) ORDER BY created_at DESC LIMIT 200`, f.UserID, f.Status)
	if err != nil {
		return nil, s.mapErr("claims", err)
	}
	defer rows.Close()
	var out []wallet.Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, s.mapErr("claims", err)
		}
		out = append(out, c)
	}
	return out, s.mapErr("claims", rows.Err())
}

// DecideClaim moves a submitted claim to status; for a payout (use > 0)
// the policy's cover used grows by use in the same transaction, if the
// cover allows (ErrNotFound otherwise, or if the claim was decided).
func (s *Store) DecideClaim(ctx context.Context, id, status, reason, by string, at time.Time, use int64) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("decide claim", err)
	}
	defer end()
	res, err := tx.ExecContext(ctx, s.text("UPDATE insurance_claims SET status = $2, reason = $3, decided_by = $4, decided_at = $5 WHERE id = $1 AND status = 'submitted'"),
		id, status, reason, by, nanos(at))
	if err != nil {
		return s.mapErr("decide claim", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.mapErr("decide claim", errNoRow)
	}
	if use > 0 {
		res, err := tx.ExecContext(ctx, s.text(`UPDATE insurance_policies SET paid_out = paid_out + $2
			WHERE id = (SELECT policy_id FROM insurance_claims WHERE id = $1) AND paid_out + $2 <= cover`), id, use)
		if err != nil {
			return s.mapErr("decide claim", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.mapErr("decide claim", errNoRow)
		}
	}
	return s.mapErr("decide claim", tx.Commit())
}
