package walletsql

import (
	"context"
	"time"
)

// ReportPayee records (or renews) a user's report of a payee.
func (s *Store) ReportPayee(ctx context.Context, payeeID, reporterID, reason string, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO payee_reports (payee_id, reporter_id, reason, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (payee_id, reporter_id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at`,
		payeeID, reporterID, reason, nanos(at))
	return s.mapErr("report payee", err)
}

// PayeeReports counts the reports of a payee by others than asker.
func (s *Store) PayeeReports(ctx context.Context, payeeID, asker string) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM payee_reports WHERE payee_id = $1 AND reporter_id <> $2", payeeID, asker).Scan(&n)
	return n, s.mapErr("payee reports", err)
}
