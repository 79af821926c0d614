package walletsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const riskColumns = "id, at, kind, user_id, counterparty, ref, device, mcc, amount, currency, new_device, action, score_ppm, model, reasons"

// InsertRiskDecisions stores decisions, a hundred rows a statement, each
// statement a lazy write of the group-commit writer: it joins the wallet's
// next batch instead of taking the write lock and flushing the log on its
// own (a crash of the machine may lose the last ones; the payments they
// were about are in the ledger).
func (s *Store) InsertRiskDecisions(ctx context.Context, ds []wallet.RiskDecision) error {
	const cols, chunk = 15, 100
	for len(ds) > 0 {
		n := min(chunk, len(ds))
		var q strings.Builder
		q.WriteString("INSERT INTO risk_decisions (" + riskColumns + ") VALUES ")
		args := make([]any, 0, n*cols)
		for i, d := range ds[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := range cols {
				if c > 0 {
					q.WriteByte(',')
				}
				if s.numbered {
					// SQLite: anonymous markers, bound in order. The driver
					// asks each marker's name, and finding a numbered one's
					// name scans every marker: quadratic in a long INSERT.
					q.WriteByte('?')
				} else {
					fmt.Fprintf(&q, "$%d", i*cols+c+1)
				}
			}
			q.WriteByte(')')
			reasons, _ := json.Marshal(d.Reasons)
			if d.Reasons == nil {
				reasons = []byte("[]")
			}
			nd := 0
			if d.NewDevice {
				nd = 1
			}
			args = append(args, d.ID, nanos(d.At), d.Kind, d.UserID, d.Counterparty, d.Ref, d.Device, d.MCC, d.Amount, d.Currency, nd,
				d.Action, int64(d.Score*1e6), d.Model, string(reasons))
		}
		query, full := q.String(), n == chunk
		err := s.batch.doOp(ctx, batchOp{single: true, lazy: true, fn: func(ctx context.Context, tx *sql.Tx) error {
			var err error
			if full {
				// The INSERT of a full chunk is prepared once (parsing it
				// at every flush showed in profiles); a shorter rest is not
				// kept.
				_, err = s.txExec(ctx, tx, query, args...)
			} else {
				_, err = tx.ExecContext(ctx, s.text(query), args...)
			}
			return err
		}})
		if err != nil {
			return s.mapErr("risk decisions", err)
		}
		ds = ds[n:]
	}
	return nil
}

func scanRiskDecision(r scanner) (wallet.RiskDecision, error) {
	var d wallet.RiskDecision
	var at, nd, ppm int64
	var reasons string
	err := r.Scan(&d.ID, &at, &d.Kind, &d.UserID, &d.Counterparty, &d.Ref, &d.Device, &d.MCC, &d.Amount, &d.Currency, &nd,
		&d.Action, &ppm, &d.Model, &reasons)
	if err != nil {
		return d, err
	}
	d.At, d.NewDevice, d.Score = fromNanos(at), nd == 1, float64(ppm)/1e6
	if err := json.Unmarshal([]byte(reasons), &d.Reasons); err != nil {
		return d, fmt.Errorf("risk decision %s: reasons: %w", d.ID, err)
	}
	return d, nil
}

// RiskDecisions returns the decisions made in [from, to), oldest first.
func (s *Store) RiskDecisions(ctx context.Context, from, to time.Time, limit int) ([]wallet.RiskDecision, error) {
	rows, err := s.query(ctx, "SELECT "+riskColumns+" FROM risk_decisions WHERE at >= $1 AND at < $2 ORDER BY at, id LIMIT $3",
		nanos(from), nanos(to), limit)
	if err != nil {
		return nil, s.mapErr("risk decisions", err)
	}
	defer rows.Close()
	var out []wallet.RiskDecision
	for rows.Next() {
		d, err := scanRiskDecision(rows)
		if err != nil {
			return nil, s.mapErr("risk decisions", err)
		}
		out = append(out, d)
	}
	return out, s.mapErr("risk decisions", rows.Err())
}

// RiskDecision returns a decision.
func (s *Store) RiskDecision(ctx context.Context, id string) (wallet.RiskDecision, error) {
	d, err := scanRiskDecision(s.queryRow(ctx, "SELECT "+riskColumns+" FROM risk_decisions WHERE id = $1", id))
	return d, s.mapErr("risk decision", err)
}

// LinkedUsers returns up to limit other users who used one of the user's
// devices (the same device token: the same browser or app install).
func (s *Store) LinkedUsers(ctx context.Context, userID string, limit int) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT o.user_id FROM devices d JOIN devices o ON o.token_hash = d.token_hash AND o.user_id <> d.user_id
		WHERE d.user_id = $1 ORDER BY o.user_id LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.mapErr("linked users", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.mapErr("linked users", err)
		}
		out = append(out, id)
	}
	return out, s.mapErr("linked users", rows.Err())
}
