package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// Risk decisions are kept beside the money-outs they were about: what
// decided (the rules or a model version), the score and the reasons. They
// are written behind the payment path, in batches (a crash may lose the
// last fraction of a second of them; the payments themselves are in the
// ledger). A hold opens a case of the review queue; the operators'
// decisions and the insurance claims label the decisions for the next
// training of the model.

// RiskDecision is one decision as kept.
type RiskDecision struct {
	ID           string
	At           time.Time
	Kind         string // p2p, payment, paycode, withdrawal
	UserID       string
	Counterparty string
	Ref          string // the money-out's ledger transfer, "" if unknown
	Device       string
	MCC          string
	Amount       int64
	Currency     string
	NewDevice    bool
	Action       string
	Score        float64
	Model        string
	Reasons      []string
}

// RiskStore keeps the decisions.
type RiskStore interface {
	InsertRiskDecisions(ctx context.Context, ds []RiskDecision) error
	// RiskDecisions returns the decisions made in [from, to), oldest first.
	RiskDecisions(ctx context.Context, from, to time.Time, limit int) ([]RiskDecision, error)
	RiskDecision(ctx context.Context, id string) (RiskDecision, error)
	// LinkedUsers returns other users who used one of the user's devices.
	LinkedUsers(ctx context.Context, userID string, limit int) ([]string, error)
}

// decisionLog writes decisions in batches, behind the payment path.
type decisionLog struct {
	ch      chan RiskDecision
	done    chan struct{}
	dropped atomic.Int64
	once    sync.Once
}

const (
	decisionQueue = 1 << 16
	decisionBatch = 512
	decisionEvery = 200 * time.Millisecond
)

func newDecisionLog(st RiskStore, log *slog.Logger) *decisionLog {
	d := &decisionLog{ch: make(chan RiskDecision, decisionQueue), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		t := time.NewTicker(decisionEvery)
		defer t.Stop()
		var batch []RiskDecision
		flush := func() {
			if len(batch) == 0 {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := st.InsertRiskDecisions(ctx, batch); err != nil {
				log.Warn("risk decisions: not recorded", "n", len(batch), "err", err)
			}
			cancel()
			batch = batch[:0]
		}
		for {
			select {
			case r, ok := <-d.ch:
				if !ok {
					flush()
					return
				}
				batch = append(batch, r)
				if len(batch) >= decisionBatch {
					flush()
				}
			case <-t.C:
				flush()
			}
		}
	}()
	return d
}

func (d *decisionLog) add(r RiskDecision) {
	select {
	case d.ch <- r:
	default:
		d.dropped.Add(1) // the database is far behind: the payment goes on
	}
}

func (d *decisionLog) close() {
	d.once.Do(func() {
		close(d.ch)
		<-d.done
	})
}

// record keeps a decision and returns its id.
func (s *Service) record(ev risk.Event, d risk.Decision) string {
	r := RiskDecision{ID: ledger.NewID().String(), At: ev.At.UTC(), Kind: ev.Kind, UserID: ev.UserID, Counterparty: ev.Counterparty,
		Ref: ev.Ref, Device: ev.Device, MCC: ev.MCC, Amount: ev.Amount, Currency: ev.Currency,
		NewDevice: !ev.SessionStarted.IsZero() && ev.At.Sub(ev.SessionStarted) < time.Hour,
		Action:    d.Action.String(), Score: d.Score, Model: d.Model, Reasons: d.Reasons}
	if r.At.IsZero() {
		r.At = s.now().UTC()
	}
	s.decisions.add(r)
	return r.ID
}

// Codes of risk holds.
const CodeHeldForReview = "held_for_review"

// CaseRisk is the kind of the cases risk holds open.
const CaseRisk = "risk"

// riskEvidence is what a risk hold's case records.
type riskEvidence struct {
	DecisionID   string   `json:"decision_id"`
	Kind         string   `json:"kind"`
	Counterparty string   `json:"counterparty"`
	Amount       int64    `json:"amount"`
	Currency     string   `json:"currency"`
	Device       string   `json:"device,omitempty"`
	Score        float64  `json:"score"`
	Model        string   `json:"model"`
	Reasons      []string `json:"reasons"`
	At           string   `json:"at"`
}

// hold handles a risk hold: the first hold of a payer and payee on a day
// opens a case and refuses; once an operator clears the case the same
// money-out goes through (the payer retries); a confirmed case refuses.
func (s *Service) hold(ctx context.Context, ev risk.Event, d risk.Decision, decisionID string) error {
	key := fmt.Sprintf("risk:%s:%s:%s", ev.UserID, ev.Counterparty, ev.At.In(s.cfg.Day).Format(time.DateOnly))
	c, err := s.store.CaseByDedupe(ctx, key)
	switch {
	case err == nil && c.Status == CaseCleared:
		return nil // released by an operator
	case err == nil:
		return newError(KindForbidden, CodeHeldForReview, "this payment is being reviewed by our risk team (case %s); you will be told when you can try again", c.ID).
			with("case", c.ID).with("reasons", d.Reasons)
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("risk hold: %w", err)
	}
	ev2, _ := json.Marshal(riskEvidence{DecisionID: decisionID, Kind: ev.Kind, Counterparty: ev.Counterparty, Amount: ev.Amount, Currency: ev.Currency,
		Device: ev.Device, Score: d.Score, Model: d.Model, Reasons: d.Reasons, At: ev.At.UTC().Format(time.RFC3339Nano)})
	c = Case{ID: newCaseID(), Kind: CaseRisk, Dedupe: key, SubjectKind: "user", SubjectID: ev.UserID, SubjectName: s.userName(ctx, ev.UserID),
		Score: int(d.Score * 1000), Summary: fmt.Sprintf("%s of %s to %s held (score %.2f)", ev.Kind, formatMoney(ev.Amount, ev.Currency), ev.Counterparty, d.Score),
		Evidence: string(ev2), Status: CaseOpen, CreatedAt: s.now().UTC()}
	if err := s.store.CreateCase(ctx, c); err != nil && !errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("risk hold: %w", err)
	}
	s.audit(ctx, ev.UserID, "risk_hold", "user:"+ev.UserID, c.Summary)
	s.notify(ev.UserID, "payment_held", "A payment is being reviewed",
		fmt.Sprintf("Your payment of %s is on hold while our risk team reviews it. If it was not you, report fraud in the security centre at once.", formatMoney(ev.Amount, ev.Currency)))
	return newError(KindForbidden, CodeHeldForReview, "this payment is being reviewed by our risk team; you will be told when you can try again").
		with("reasons", d.Reasons)
}

// RiskTransactions writes the money-outs decided in [from, to) as the
// fraud model's transactions file (docs/risk-evaluation.md: slt risk
// train and replay read it); txn_id is the decision's id.
func (s *Service) RiskTransactions(ctx context.Context, from, to time.Time, w io.Writer) error {
	ds, err := s.store.RiskDecisions(ctx, from, to, 1_000_000)
	if err != nil {
		return fmt.Errorf("risk transactions: %w", err)
	}
	fw, err := features.NewWriter(w)
	if err != nil {
		return err
	}
	for _, d := range ds {
		t := features.Txn{TS: d.At, ID: d.ID, Type: d.Kind, UserID: d.UserID, Counterparty: d.Counterparty, Amount: d.Amount,
			Currency: d.Currency, DeviceID: d.Device, MCC: d.MCC, NewDeviceLogin: d.NewDevice}
		if t.DeviceID == "" {
			t.DeviceID = "user:" + d.UserID
		}
		if (t.Type == features.TypePayment || t.Type == features.TypePaycode) && t.MCC == "" {
			t.MCC = "0000"
		}
		if err := fw.Write(&t); err != nil {
			return err
		}
	}
	return fw.Flush()
}

// RiskLabels writes the labels the operators' work gives the decisions of
// [from, to): a confirmed risk hold is fraud, a cleared one is not; a
// paid insurance claim on a transfer marks its decision fraud, a rejected
// one not; the transfers of a confirmed AML case are fraud, of a cleared
// one not. Columns: txn_id,is_fraud,typology.
func (s *Service) RiskLabels(ctx context.Context, from, to time.Time, w io.Writer) error {
	type label struct {
		fraud bool
		why   string
	}
	labels := map[string]label{}
	cs, err := s.store.Cases(ctx, CaseFilter{Kind: CaseRisk, Since: from, Until: to, Limit: 100_000})
	if err != nil {
		return fmt.Errorf("risk labels: %w", err)
	}
	for _, c := range cs {
		var ev riskEvidence
		if c.Status == CaseOpen || json.Unmarshal([]byte(c.Evidence), &ev) != nil || ev.DecisionID == "" {
			continue
		}
		labels[ev.DecisionID] = label{c.Status == CaseConfirmed, "review_" + c.Status}
	}
	claims, err := s.store.Claims(ctx, ClaimFilter{})
	if err != nil {
		return fmt.Errorf("risk labels: %w", err)
	}
	byTransfer := map[string]label{} // a transfer's label from a decided AML case or claim
	amls, err := s.store.Cases(ctx, CaseFilter{Kind: CaseAML, Since: from, Until: to, Limit: 100_000})
	if err != nil {
		return fmt.Errorf("risk labels: %w", err)
	}
	for _, c := range amls {
		var ev amlEvidence
		if c.Status == CaseOpen || json.Unmarshal([]byte(c.Evidence), &ev) != nil {
			continue
		}
		for _, tid := range ev.Txns {
			byTransfer[tid] = label{c.Status == CaseConfirmed, "aml_" + c.Status}
		}
	}
	for _, c := range claims { // a claim's word on its transfer outweighs an AML case's
		if c.Status != ClaimSubmitted {
			byTransfer[c.TransferID] = label{c.Status == ClaimPaid, "insurance_" + c.Status}
		}
	}
	if len(byTransfer) > 0 {
		ds, err := s.store.RiskDecisions(ctx, from, to, 1_000_000)
		if err != nil {
			return fmt.Errorf("risk labels: %w", err)
		}
		for _, d := range ds {
			if l, ok := byTransfer[d.Ref]; ok && d.Ref != "" {
				if _, reviewed := labels[d.ID]; !reviewed { // a risk hold's review is about this very decision
					labels[d.ID] = l
				}
			}
		}
	}
	ids := make([]string, 0, len(labels))
	for id := range labels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if _, err := io.WriteString(w, "txn_id,is_fraud,typology\n"); err != nil {
		return err
	}
	for _, id := range ids {
		l := labels[id]
		f := 0
		if l.fraud {
			f = 1
		}
		if _, err := io.WriteString(w, id+","+strconv.Itoa(f)+","+l.why+"\n"); err != nil {
			return err
		}
	}
	return nil
}
