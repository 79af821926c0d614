package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/screening"
)

// The compliance review queue: a case is something an operator must look
// at and decide — a sanctions screening hit now; AML alerts and risk holds
// are cases too. A case names its subject (a user or a merchant), carries
// its evidence, and is decided once: cleared (a false positive: whatever
// it held is released) or confirmed (the hold stays).

// Case kinds and states.
const (
	CaseScreening = "screening"
	CaseAML       = "aml"
	CaseOpen      = "open"
	CaseCleared   = "cleared"
	CaseConfirmed = "confirmed"
)

// Codes of the review queue's problems.
const (
	CodeCaseDecided      = "case_decided"
	CodeScreeningHold    = "screening_hold"
	CodePayeeUnderReview = "payee_under_review"
)

// Case is an item of the review queue.
type Case struct {
	ID          string
	Kind        string // screening, aml, risk
	Dedupe      string // one case per subject and reason
	SubjectKind string // user, merchant
	SubjectID   string
	SubjectName string
	Score       int    // 0..1000
	Summary     string // one line
	Evidence    string // JSON
	Status      string // open, cleared, confirmed
	CreatedAt   time.Time
	DecidedAt   time.Time
	DecidedBy   string
	Note        string
}

// CaseFilter selects cases; empty fields select all.
type CaseFilter struct {
	Status, Kind, SubjectKind, SubjectID string
	Since, Until                         time.Time // opened in [Since, Until); zero: unbounded
	Limit                                int       // 0: 200; at most 100,000
}

// ScreeningList is a loaded sanctions list.
type ScreeningList struct {
	Source   string
	Entries  int
	SHA256   string
	LoadedAt time.Time
}

// CaseStore keeps the review queue and the screening lists.
type CaseStore interface {
	CreateCase(ctx context.Context, c Case) error
	Case(ctx context.Context, id string) (Case, error)
	CaseByDedupe(ctx context.Context, key string) (Case, error)
	Cases(ctx context.Context, f CaseFilter) ([]Case, error)
	// DecideCase closes an open case (ErrNotFound if it is not open).
	DecideCase(ctx context.Context, id, status, by, note string, at time.Time) error
	ReplaceScreeningList(ctx context.Context, source, sha256 string, entries []screening.Entry, at time.Time) error
	ScreeningLists(ctx context.Context) ([]ScreeningList, error)
	ScreeningEntries(ctx context.Context) ([]screening.Entry, error)
	// MonitorCursor and SetMonitorCursor keep how far a background monitor
	// read the ledger (a commit timestamp); the cursor never moves back.
	MonitorCursor(ctx context.Context, name string) (int64, error)
	SetMonitorCursor(ctx context.Context, name string, ts int64) error
}

// Cases lists the review queue, open cases first.
func (s *Service) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	cs, err := s.store.Cases(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	return cs, nil
}

// CaseByID returns a case.
func (s *Service) CaseByID(ctx context.Context, id string) (Case, error) {
	c, err := s.store.Case(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Case{}, newError(KindNotFound, CodeNotFound, "no such case")
	}
	return c, err
}

// DecideCase is an operator's decision on an open case: clear (a false
// positive — the user's screening freeze is lifted when no other
// screening case holds them) or confirm (the hold stays). The note is
// required: it is the record a regulator reads.
func (s *Service) DecideCase(ctx context.Context, id string, confirm bool, note string) (Case, error) {
	return s.decideCase(ctx, id, confirm, note, nil)
}

// decideCase decides a case; then, if not nil, runs after the decision
// is recorded (a refund's transfers).
func (s *Service) decideCase(ctx context.Context, id string, confirm bool, note string, before func(Case) error) (Case, error) {
	c, err := s.CaseByID(ctx, id)
	if err != nil {
		return Case{}, err
	}
	note = clipString(strings.TrimSpace(note), 1000)
	if note == "" {
		return Case{}, newError(KindInvalid, CodeInvalidRequest, "write down why: the note is the case's record")
	}
	if c.Status != CaseOpen {
		return c, newError(KindConflict, CodeCaseDecided, "this case is %s already", c.Status)
	}
	status := CaseCleared
	if confirm {
		status = CaseConfirmed
	}
	if before != nil {
		if err := before(c); err != nil {
			return Case{}, err
		}
	}
	by := ActorFrom(ctx).ID
	if by == "" {
		by = "operator"
	}
	if err := s.store.DecideCase(ctx, c.ID, status, by, note, s.now().UTC()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return s.CaseByID(ctx, id) // decided meanwhile
		}
		return Case{}, fmt.Errorf("decide case: %w", err)
	}
	s.audit(ctx, "", "case_"+status, c.SubjectKind+":"+c.SubjectID, c.Kind+" "+c.ID+": "+note)
	switch {
	case c.Kind == CaseRisk && confirm:
		// Fraud confirmed on a held payment: the account is taken over or
		// abused; its outflows stop until customer service clears it.
		if _, err := s.FreezeUser(ctx, c.SubjectID, true); err != nil {
			return Case{}, err
		}
	case c.Kind == CaseRisk:
		s.notify(c.SubjectID, "payment_released", "Your payment was reviewed",
			"The payment we held is cleared: you can make it again now.")
	case !confirm && c.SubjectKind == "user":
		if err := s.releaseUser(ctx, c.SubjectID); err != nil {
			return Case{}, err
		}
	}
	return s.CaseByID(ctx, id)
}

// releaseUser lifts a screening freeze once no screening case holds the
// user any more (an operator's own freeze is theirs to lift).
func (s *Service) releaseUser(ctx context.Context, userID string) error {
	holds, err := s.screeningHolds(ctx, "user", userID)
	if err != nil || len(holds) > 0 {
		return err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil || !u.Frozen() || !s.frozenByScreening(ctx, userID) {
		return err
	}
	_, err = s.FreezeUser(ctx, userID, false)
	return err
}

// frozenByScreening reports whether a screening case froze the user.
func (s *Service) frozenByScreening(ctx context.Context, userID string) bool {
	cs, err := s.store.Cases(ctx, CaseFilter{Kind: CaseScreening, SubjectKind: "user", SubjectID: userID, Limit: 500})
	if err != nil {
		return false
	}
	for _, c := range cs {
		if strings.Contains(c.Evidence, `"froze":true`) {
			return true
		}
	}
	return false
}

// screeningHolds returns the subject's screening cases that hold it:
// open (not decided yet) or confirmed.
func (s *Service) screeningHolds(ctx context.Context, kind, id string) ([]Case, error) {
	cs, err := s.store.Cases(ctx, CaseFilter{Kind: CaseScreening, SubjectKind: kind, SubjectID: id, Limit: 500})
	if err != nil {
		return nil, fmt.Errorf("screening holds: %w", err)
	}
	var holds []Case
	for _, c := range cs {
		if c.Status != CaseCleared {
			holds = append(holds, c)
		}
	}
	return holds, nil
}

func newCaseID() string { return ledger.NewID().String() }

// CaseContext is what a reviewer looks at beside a case about a user: the
// account, its devices and recent logins, and the accounts that share a
// device with it (one phone, many accounts: promotion abuse, mules).
type CaseContext struct {
	User    User
	Devices []Device
	Logins  []LoginEvent
	Linked  []User
}

// CaseEvidence gathers a user case's context (empty for merchants).
func (s *Service) CaseEvidence(ctx context.Context, c Case) (CaseContext, error) {
	if c.SubjectKind != "user" {
		return CaseContext{}, nil
	}
	u, err := s.store.UserByID(ctx, c.SubjectID)
	if errors.Is(err, ErrNotFound) {
		return CaseContext{}, nil
	}
	if err != nil {
		return CaseContext{}, fmt.Errorf("case evidence: %w", err)
	}
	out := CaseContext{User: u}
	if out.Devices, err = s.store.Devices(ctx, u.ID); err != nil {
		return CaseContext{}, fmt.Errorf("case evidence: %w", err)
	}
	if out.Logins, err = s.store.LoginEvents(ctx, u.ID, 10); err != nil {
		return CaseContext{}, fmt.Errorf("case evidence: %w", err)
	}
	ids, err := s.store.LinkedUsers(ctx, u.ID, 20)
	if err != nil {
		return CaseContext{}, fmt.Errorf("case evidence: %w", err)
	}
	for _, id := range ids {
		if l, err := s.store.UserByID(ctx, id); err == nil {
			out.Linked = append(out.Linked, l)
		}
	}
	return out, nil
}
