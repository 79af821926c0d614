package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiliantong/shiliantong/internal/screening"
)

// Sanctions and PEP screening: names are screened against the lists an
// operator loads (slt screening load: OFAC's SDN list, the UN's
// consolidated list) when a user registers and verifies their real name,
// when a merchant applies, and before a transfer to a payee. A hit opens
// a case in the review queue (cases.go) and holds the subject until an
// operator decides: a user's outflows are frozen, a merchant can not be
// approved, a transfer to the payee is refused. A cleared case (a false
// positive) is remembered, so the same name and list entry do not hold
// the subject again.

// screeningRecheck is how often the loaded lists' versions are compared
// with the database (another process may have loaded new lists).
const screeningRecheck = time.Minute

type screeningState struct {
	mu      sync.Mutex // one reload at a time
	idx     *screening.Index
	version string
	checked time.Time
	// current is idx while it is fresh: the path every screening takes,
	// without the mutex.
	current   atomic.Pointer[screening.Index]
	checkedNS atomic.Int64
}

// screeningIndex returns the index of the loaded lists, rebuilt when a
// list changed.
func (s *Service) screeningIndex(ctx context.Context) (*screening.Index, error) {
	st := &s.screening
	if idx := st.current.Load(); idx != nil && time.Now().UnixNano()-st.checkedNS.Load() < int64(screeningRecheck) {
		return idx, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idx != nil && time.Since(st.checked) < screeningRecheck {
		return st.idx, nil
	}
	lists, err := s.store.ScreeningLists(ctx)
	if err != nil {
		return nil, fmt.Errorf("screening lists: %w", err)
	}
	var v strings.Builder
	for _, l := range lists {
		fmt.Fprintf(&v, "%s:%s:%d;", l.Source, l.SHA256, l.LoadedAt.UnixNano())
	}
	if st.idx == nil || v.String() != st.version {
		entries, err := s.store.ScreeningEntries(ctx)
		if err != nil {
			return nil, fmt.Errorf("screening entries: %w", err)
		}
		st.idx, st.version = screening.Build(entries), v.String()
	}
	st.checked = time.Now()
	st.current.Store(st.idx)
	st.checkedNS.Store(st.checked.UnixNano())
	return st.idx, nil
}

// ReloadScreening makes the next screening read the lists again.
func (s *Service) ReloadScreening() {
	s.screening.mu.Lock()
	s.screening.checked = time.Time{}
	s.screening.checkedNS.Store(0)
	s.screening.mu.Unlock()
}

// LoadScreeningList replaces a list's entries (source is
// screening.SourceOFAC or screening.SourceUN); raw is the files' bytes,
// for the list's fingerprint.
func LoadScreeningList(ctx context.Context, st CaseStore, source string, entries []screening.Entry, raw []byte, at time.Time) error {
	sum := sha256.Sum256(raw)
	return st.ReplaceScreeningList(ctx, source, hex.EncodeToString(sum[:]), entries, at)
}

// ScreeningLists describes the loaded lists.
func (s *Service) ScreeningLists(ctx context.Context) ([]ScreeningList, error) {
	return s.store.ScreeningLists(ctx)
}

// ScreenName screens a name against the loaded lists (an operator's
// look-up; nothing is recorded).
func (s *Service) ScreenName(ctx context.Context, name string) ([]screening.Hit, error) {
	idx, err := s.screeningIndex(ctx)
	if err != nil || idx == nil {
		return nil, err
	}
	return idx.Screen(name, s.cfg.screeningThreshold()), nil
}

// screeningEvidence is what a screening case records.
type screeningEvidence struct {
	Query      string           `json:"query"`
	ListedName string           `json:"listed_name"`
	Entry      screening.Entry  `json:"entry"`
	Score      float64          `json:"score"`
	Pairs      []screening.Pair `json:"pairs"`
	Reason     string           `json:"reason"`
	Context    string           `json:"context"` // registration, identity, merchant application, transfer
	Froze      bool             `json:"froze"`
}

// screen screens a subject's names, opens a case for each new hit, and
// returns the cases that hold the subject (open or confirmed; cleared
// ones are false positives already looked at).
func (s *Service) screen(ctx context.Context, kind, id, subjectName, why string, names ...string) ([]Case, error) {
	idx, err := s.screeningIndex(ctx)
	if err != nil || idx == nil {
		return nil, err
	}
	var holds []Case
	seen := map[string]bool{}
	for _, name := range names {
		for _, h := range idx.Screen(name, s.cfg.screeningThreshold()) {
			key := fmt.Sprintf("screening:%s:%s:%s:%s", kind, id, h.Entry.Source, h.Entry.Ref)
			if seen[key] {
				continue
			}
			seen[key] = true
			c, err := s.store.CaseByDedupe(ctx, key)
			if err == nil {
				if c.Status != CaseCleared {
					holds = append(holds, c)
				}
				continue
			}
			if !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("screening: %w", err)
			}
			ev, _ := json.Marshal(screeningEvidence{Query: name, ListedName: h.Name, Entry: h.Entry, Score: h.Score, Pairs: h.Pairs,
				Reason: h.Reason, Context: why, Froze: kind == "user"})
			c = Case{ID: newCaseID(), Kind: CaseScreening, Dedupe: key, SubjectKind: kind, SubjectID: id, SubjectName: subjectName,
				Score: int(h.Score * 1000), Summary: fmt.Sprintf("%s matches %s (%s %s)", name, h.Name, h.Entry.Source, h.Entry.Ref),
				Evidence: string(ev), Status: CaseOpen, CreatedAt: s.now().UTC()}
			if err := s.store.CreateCase(ctx, c); err != nil {
				if errors.Is(err, ErrDuplicate) { // opened meanwhile
					if c, err = s.store.CaseByDedupe(ctx, key); err == nil && c.Status != CaseCleared {
						holds = append(holds, c)
					}
					continue
				}
				return nil, fmt.Errorf("screening: %w", err)
			}
			s.audit(ctx, "", "screening_hit", kind+":"+id, h.Reason)
			holds = append(holds, c)
		}
	}
	return holds, nil
}

// screenUser screens a user's names and freezes their outflows while a
// case holds them. A failure to screen is logged, not the user's problem:
// the next screening (a transfer to them, a verified name) tries again.
func (s *Service) screenUser(ctx context.Context, u User, why string, names ...string) bool {
	holds, err := s.screen(ctx, "user", u.ID, u.Name, why, names...)
	if err != nil {
		s.log.Warn("screening failed", "user", u.ID, "err", err)
		return false
	}
	if len(holds) == 0 {
		return false
	}
	if !u.Frozen() {
		if err := s.store.SetFrozen(ctx, u.ID, s.now().UTC()); err != nil {
			s.log.Error("screening: freeze", "user", u.ID, "err", err)
		}
		s.cache.forgetSessions()
		s.notify(u.ID, "account_review", "Your account is under review",
			"Payments out of your wallet are paused while we complete a routine compliance check. We will let you know when it is done.")
	}
	return true
}

// checkPayeeScreening refuses a transfer to a payee a screening case
// holds (and opens the case if the lists name them now).
func (s *Service) checkPayeeScreening(ctx context.Context, payee User) error {
	names := []string{payee.Name}
	if payee.RealName != "" && payee.RealName != payee.Name {
		names = append(names, payee.RealName)
	}
	if s.screenUser(ctx, payee, "transfer", names...) {
		return newError(KindForbidden, CodePayeeUnderReview, "this payee is under a compliance review; the payment was not made")
	}
	return nil
}

// checkMerchantScreening refuses to approve a merchant a case holds.
func (s *Service) checkMerchantScreening(ctx context.Context, m Merchant) error {
	holds, err := s.screen(ctx, "merchant", m.ID, m.Name, "merchant application", m.Name, m.DisplayName)
	if err != nil {
		return err
	}
	if len(holds) > 0 {
		return newError(KindConflict, CodeScreeningHold, "a compliance review of this merchant is open (case %s); decide it first", holds[0].ID)
	}
	return nil
}
