package wallet

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/aml"
	"github.com/shiliantong/shiliantong/internal/ledger"
)

// AML monitoring: the server feeds the ledger's committed transfers, in
// commit order, to an aml.Monitor (internal/server/aml.go); every alert
// becomes a case of the review queue (kind aml). An AML case holds
// nothing: an operator confirms it (reported as suspicious) or clears it.

// TransferKind names a ledger transfer code as bills do: transfer,
// payment, refund, top_up, withdrawal, fee; "other" for the rest.
func TransferKind(code uint16) string {
	if k, ok := billType[code]; ok {
		return k
	}
	return "other"
}

// WalletOwner returns the user whose wallet a ledger account is, or "".
func WalletOwner(a ledger.Account) string {
	if a.Code != AccountWallet {
		return ""
	}
	id, _ := strings.CutPrefix(a.Owner, "user:")
	return id
}

// amlEvidence is what an AML case records.
type amlEvidence struct {
	Rule     string   `json:"rule"`
	Amount   int64    `json:"amount"`
	Currency string   `json:"currency"`
	At       string   `json:"at"`
	Txns     []string `json:"transfers"`
	Summary  string   `json:"summary"`
}

// OpenAMLCase records an alert as a case, once per alert key.
func (s *Service) OpenAMLCase(ctx context.Context, a aml.Alert) error {
	ev, err := json.Marshal(amlEvidence{Rule: a.Rule, Amount: a.Amount, Currency: a.Currency, At: a.At.UTC().Format(time.RFC3339Nano),
		Txns: a.Txns, Summary: a.Summary})
	if err != nil {
		return err
	}
	c := Case{ID: newCaseID(), Kind: CaseAML, Dedupe: "aml:" + a.Key, SubjectKind: "user", SubjectID: a.Subject,
		SubjectName: s.userName(ctx, a.Subject), Score: a.Score, Summary: a.Rule + ": " + a.Summary, Evidence: string(ev),
		Status: CaseOpen, CreatedAt: s.now().UTC()}
	switch err := s.store.CreateCase(ctx, c); {
	case errors.Is(err, ErrDuplicate):
		return nil // raised before (a restart reads the last days again)
	case err != nil:
		return fmt.Errorf("aml case: %w", err)
	}
	s.audit(ctx, "system", "aml_alert", "user:"+a.Subject, c.Summary)
	return nil
}

// MonitorCursor and SetMonitorCursor keep a monitor's place in the
// ledger.
func (s *Service) MonitorCursor(ctx context.Context, name string) (int64, error) {
	return s.store.MonitorCursor(ctx, name)
}

// SetMonitorCursor moves a monitor's place forward.
func (s *Service) SetMonitorCursor(ctx context.Context, name string, ts int64) error {
	return s.store.SetMonitorCursor(ctx, name, ts)
}

// AML reports for the regulator, as CSV.
const (
	ReportLargeValue = "large-value" // every large-value alert (大额交易报告)
	ReportSuspicious = "suspicious"  // AML cases an operator confirmed (可疑交易报告)
)

// AMLReport writes the report of the cases opened in [from, to) as CSV:
// one row per case, with the subject's identity as verified, the amount,
// the transfers behind it and, for suspicious-activity reports, the
// operator's decision.
func (s *Service) AMLReport(ctx context.Context, kind string, from, to time.Time, w io.Writer) error {
	if kind != ReportLargeValue && kind != ReportSuspicious {
		return newError(KindInvalid, CodeInvalidRequest, "the report is large-value or suspicious")
	}
	if !from.Before(to) || to.Sub(from) > 366*24*time.Hour {
		return newError(KindInvalid, CodeInvalidRequest, "the period must be from before to, at most a year")
	}
	f := CaseFilter{Kind: CaseAML, Since: from, Until: to, Limit: 100_000}
	if kind == ReportSuspicious {
		f.Status = CaseConfirmed
	}
	cs, err := s.store.Cases(ctx, f)
	if err != nil {
		return fmt.Errorf("aml report: %w", err)
	}
	slices.SortFunc(cs, func(a, b Case) int { return a.CreatedAt.Compare(b.CreatedAt) })
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"report_id", "rule", "detected_at", "user_id", "name", "real_name", "id_type", "id_number_masked", "phone_masked",
		"amount", "currency", "transfers", "summary", "status", "decided_at", "decided_by", "note"})
	for _, c := range cs {
		var ev amlEvidence
		_ = json.Unmarshal([]byte(c.Evidence), &ev)
		if kind == ReportLargeValue && ev.Rule != aml.RuleLargeValue {
			continue
		}
		u, err := s.store.UserByID(ctx, c.SubjectID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("aml report: %w", err)
		}
		decided := ""
		if !c.DecidedAt.IsZero() {
			decided = c.DecidedAt.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{c.ID, ev.Rule, c.CreatedAt.UTC().Format(time.RFC3339), c.SubjectID, u.Name, u.RealName, u.IDType, u.IDMasked,
			MaskPhone(u.Phone), formatAmount(ev.Amount, ev.Currency), ev.Currency, strings.Join(ev.Txns, " "), ev.Summary, c.Status,
			decided, c.DecidedBy, c.Note})
	}
	cw.Flush()
	return cw.Error()
}
