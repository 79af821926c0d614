package walletsql

import (
	"context"
	"database/sql"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const disputeColumns = `id, user_id, transfer_id, kind, merchant_id, order_id, payee_id, amount, currency, reason, description, status,
	due_at, overdue, merchant_overdue, reminded, decision, decision_note, paid, refund_attempt, claim_id, decided_by, attachments,
	created_at, updated_at, decided_at, version`

func scanDispute(r scanner) (wallet.Dispute, error) {
	var d wallet.Dispute
	var due, overdue, merchantOverdue, reminded, created, updated, decided int64
	err := r.Scan(&d.ID, &d.UserID, &d.TransferID, &d.Kind, &d.MerchantID, &d.OrderID, &d.PayeeID, &d.Amount, &d.Currency, &d.Reason,
		&d.Description, &d.Status, &due, &overdue, &merchantOverdue, &reminded, &d.Decision, &d.DecisionNote, &d.Paid, &d.RefundAttempt,
		&d.ClaimID, &d.DecidedBy, &d.Attachments, &created, &updated, &decided, &d.Version)
	d.DueAt, d.CreatedAt, d.UpdatedAt, d.DecidedAt = fromNanos(due), fromNanos(created), fromNanos(updated), fromNanos(decided)
	d.Overdue, d.MerchantOverdue, d.Reminded = overdue != 0, merchantOverdue != 0, reminded != 0
	return d, err
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateDispute stores a ticket with its first entry and images.
func (s *Store) CreateDispute(ctx context.Context, d wallet.Dispute, first wallet.DisputeEntry) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("create dispute", err)
	}
	defer end()
	if _, err := tx.ExecContext(ctx, s.text("INSERT INTO disputes ("+disputeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`),
		d.ID, d.UserID, d.TransferID, d.Kind, d.MerchantID, d.OrderID, d.PayeeID, d.Amount, d.Currency, d.Reason, d.Description, d.Status,
		nanos(d.DueAt), flag(d.Overdue), flag(d.MerchantOverdue), flag(d.Reminded), d.Decision, d.DecisionNote, d.Paid, d.RefundAttempt,
		d.ClaimID, d.DecidedBy, d.Attachments, nanos(d.CreatedAt), nanos(d.UpdatedAt), nanos(d.DecidedAt), d.Version); err != nil {
		return s.mapErr("create dispute", err)
	}
	if err := s.insertEntry(ctx, tx, first); err != nil {
		return s.mapErr("create dispute", err)
	}
	return s.mapErr("create dispute", tx.Commit())
}

func (s *Store) insertEntry(ctx context.Context, tx *sql.Tx, e wallet.DisputeEntry) error {
	if _, err := tx.ExecContext(ctx, s.text(`INSERT INTO dispute_entries (id, dispute_id, author, author_id, kind, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`), e.ID, e.DisputeID, e.Author, e.AuthorID, e.Kind, e.Body, nanos(e.CreatedAt)); err != nil {
		return err
	}
	for _, a := range e.Attachments {
		if _, err := tx.ExecContext(ctx, s.text(`INSERT INTO dispute_attachments (id, dispute_id, entry_id, content_type, size, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`), a.ID, e.DisputeID, e.ID, a.ContentType, a.Size, a.Data, nanos(a.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// Dispute returns a ticket.
func (s *Store) Dispute(ctx context.Context, id string) (wallet.Dispute, error) {
	d, err := scanDispute(s.queryRow(ctx, "SELECT "+disputeColumns+" FROM disputes WHERE id = $1", id))
	return d, s.mapErr("dispute", err)
}

// Disputes lists tickets: newest first, or as the operators' queue
// (open tickets overdue first, then by deadline).
func (s *Store) Disputes(ctx context.Context, f wallet.DisputeFilter) ([]wallet.Dispute, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	order := "created_at DESC"
	if f.Queue {
		order = "CASE WHEN status IN ('awaiting_merchant', 'awaiting_operator') THEN 0 ELSE 1 END, overdue DESC, merchant_overdue DESC, due_at, created_at"
	}
	return s.disputes(ctx, "disputes", "SELECT "+disputeColumns+` FROM disputes
		WHERE ($1 = '' OR user_id = $1) AND ($2 = '' OR merchant_id = $2)
		AND ($3 = '' OR status = $3 OR ($3 = 'open' AND status IN ('awaiting_merchant', 'awaiting_operator')))
		ORDER BY `+order+" LIMIT $4", f.UserID, f.MerchantID, f.Status, f.Limit)
}

func (s *Store) disputes(ctx context.Context, op, q string, args ...any) ([]wallet.Dispute, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.mapErr(op, err)
	}
	defer rows.Close()
	var out []wallet.Dispute
	for rows.Next() {
		d, err := scanDispute(rows)
		if err != nil {
			return nil, s.mapErr(op, err)
		}
		out = append(out, d)
	}
	return out, s.mapErr(op, rows.Err())
}

// DisputeEntries returns a ticket's timeline with its images' metadata.
func (s *Store) DisputeEntries(ctx context.Context, disputeID string) ([]wallet.DisputeEntry, error) {
	rows, err := s.query(ctx, `SELECT id, dispute_id, author, author_id, kind, body, created_at FROM dispute_entries
		WHERE dispute_id = $1 ORDER BY created_at, id`, disputeID)
	if err != nil {
		return nil, s.mapErr("dispute entries", err)
	}
	var out []wallet.DisputeEntry
	index := map[string]int{}
	for rows.Next() {
		var e wallet.DisputeEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.DisputeID, &e.Author, &e.AuthorID, &e.Kind, &e.Body, &at); err != nil {
			rows.Close()
			return nil, s.mapErr("dispute entries", err)
		}
		e.CreatedAt = fromNanos(at)
		index[e.ID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.mapErr("dispute entries", err)
	}
	arows, err := s.query(ctx, `SELECT id, entry_id, content_type, size, created_at FROM dispute_attachments
		WHERE dispute_id = $1 ORDER BY created_at, id`, disputeID)
	if err != nil {
		return nil, s.mapErr("dispute attachments", err)
	}
	defer arows.Close()
	for arows.Next() {
		a := wallet.DisputeAttachment{DisputeID: disputeID}
		var at int64
		if err := arows.Scan(&a.ID, &a.EntryID, &a.ContentType, &a.Size, &at); err != nil {
			return nil, s.mapErr("dispute attachments", err)
		}
		a.CreatedAt = fromNanos(at)
		if i, ok := index[a.EntryID]; ok {
			out[i].Attachments = append(out[i].Attachments, a)
		}
	}
	return out, s.mapErr("dispute attachments", arows.Err())
}

// DisputeAttachment returns an image of a ticket, with its data.
func (s *Store) DisputeAttachment(ctx context.Context, disputeID, id string) (wallet.DisputeAttachment, error) {
	a := wallet.DisputeAttachment{ID: id, DisputeID: disputeID}
	var at int64
	err := s.queryRow(ctx, "SELECT entry_id, content_type, size, data, created_at FROM dispute_attachments WHERE id = $1 AND dispute_id = $2",
		id, disputeID).Scan(&a.EntryID, &a.ContentType, &a.Size, &a.Data, &at)
	a.CreatedAt = fromNanos(at)
	return a, s.mapErr("dispute attachment", err)
}

// UpdateDispute writes a ticket's state if it is still at d.Version, with
// an entry (and its images), in one transaction.
func (s *Store) UpdateDispute(ctx context.Context, d wallet.Dispute, e *wallet.DisputeEntry) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("update dispute", err)
	}
	defer end()
	res, err := tx.ExecContext(ctx, s.text(`UPDATE disputes SET status = $3, due_at = $4, overdue = $5, merchant_overdue = $6, reminded = $7,
		decision = $8, decision_note = $9, paid = $10, refund_attempt = $11, claim_id = $12, decided_by = $13, attachments = $14,
		updated_at = $15, decided_at = $16, version = version + 1
		WHERE id = $1 AND version = $2`),
		d.ID, d.Version, d.Status, nanos(d.DueAt), flag(d.Overdue), flag(d.MerchantOverdue), flag(d.Reminded), d.Decision, d.DecisionNote,
		d.Paid, d.RefundAttempt, d.ClaimID, d.DecidedBy, d.Attachments, nanos(d.UpdatedAt), nanos(d.DecidedAt))
	if err != nil {
		return s.mapErr("update dispute", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.mapErr("update dispute", errNoRow)
	}
	if e != nil {
		if err := s.insertEntry(ctx, tx, *e); err != nil {
			return s.mapErr("update dispute", err)
		}
	}
	return s.mapErr("update dispute", tx.Commit())
}

// DueDisputes returns open tickets past their deadline (not yet marked),
// and tickets waiting for a merchant not yet reminded whose deadline is
// before remindBy.
func (s *Store) DueDisputes(ctx context.Context, now, remindBy time.Time, limit int) ([]wallet.Dispute, error) {
	return s.disputes(ctx, "due disputes", "SELECT "+disputeColumns+` FROM disputes
		WHERE status IN ('awaiting_merchant', 'awaiting_operator') AND due_at > 0
		AND ((due_at <= $1 AND overdue = 0) OR (status = 'awaiting_merchant' AND reminded = 0 AND due_at <= $2))
		ORDER BY due_at LIMIT $3`, nanos(now), nanos(remindBy), limit)
}
