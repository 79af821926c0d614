package ledger

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"time"
)

type planKind uint8

const (
	planWrite  planKind = iota
	planResync          // bring account rows up to date and learn the head
)

// plan is a validated batch on its way to the store: everything the
// committer writes, and what the validator needs when the commit's result
// comes back.
type plan struct {
	kind  planKind
	epoch uint64
	reqs  []*request
	base  Head // the head the plan was built on; it commits only on it
	head  Head // the head after it

	accountRows []AccountRecord
	rows        []TransferRecord
	timeoutsAdd []Timeout
	timeoutsDel []int64
	flushRecs   []AccountRecord
	flushed     []*entry // whose rows flushRecs writes
	encoded     any      // rows as the store sends them (TransferEncoder)

	touched    []*entry     // accounts the plan changed,
	states     []ChainState // their states after it,
	snaps      []*snapshot  // and those states as readers see them
	newEntries []*entry
	resolved   []int64 // pending transfers it posts or voids

	stats BatchStats

	// Set by the committer.
	err      error
	unknown  bool // the commit failed with an unknown outcome
	written  time.Time
	held     Head     // errStale: the head the committer holds locked,
	resynced []*entry // and the accounts whose rows it brought up to date
}

// empty reports whether the plan changes nothing in the store.
func (p *plan) empty() bool {
	return len(p.accountRows) == 0 && len(p.rows) == 0 && len(p.timeoutsAdd) == 0 &&
		len(p.timeoutsDel) == 0 && len(p.flushRecs) == 0 && p.head == p.base
}

// batch builds a plan: validation runs in memory, in order, against the
// entries' states after every plan built before it.
type batch struct {
	e    *Engine
	p    *plan
	base Head
	gen  uint64
	now  int64

	nextTS  int64
	nextKey int64

	sweep     []Transfer // voids of expired pending transfers, run first
	swept     bool
	fullFlush bool

	touched   []*entry
	newByID   map[ID]*entry           // accounts created in this batch
	created   map[ID]int              // transfers created in this batch → index in rows
	stored    map[ID]*TransferRecord  // transfers found in the store
	storedRes map[int64]TransferFlags // resolutions found in the store, by pending ts
	resolved  map[int64]TransferFlags // resolutions made in this batch

	accountEvents, transferEvents int

	chain chainUndo
}

// chainUndo is what a linked chain changed, so that a failing chain can be
// undone.
type chainUndo struct {
	open      bool
	id        uint64
	rows      int
	nextTS    int64
	timeouts  int
	untimeout int
	entries   []undoEntry
	created   []ID
	resolved  []int64
}

type undoEntry struct {
	e       *entry
	touched bool // the entry had a work state in this batch before the chain
	saved   ChainState
}

func newBatch(e *Engine, base Head) *batch {
	now := e.opts.Now().UnixNano()
	return &batch{
		e:       e,
		p:       &plan{kind: planWrite},
		base:    base,
		gen:     e.gen,
		now:     now,
		nextTS:  max(now, base.LastTS+1),
		nextKey: base.LastAccountKey + 1,
		created: map[ID]int{},
		stored:  map[ID]*TransferRecord{},
	}
}

// prepare loads from the store what validation needs and memory lacks:
// accounts, pending transfers and their resolutions, expired pending
// transfers, and (after a duplicate id) every transfer id of the batch.
// Transfers created and resolved by plans still in flight are in memory.
func (b *batch) prepare(ctx context.Context, reqs []*request) error {
	e := b.e
	st := e.store
	var transferIDs []ID
	lookup := func(id ID) {
		if !id.IsZero() && e.inflightCreated[id] == nil {
			transferIDs = append(transferIDs, id)
		}
	}
	sweepDue := b.now-e.lastSweepNS >= int64(expirySweepInterval)
	for _, r := range reqs {
		switch r.kind {
		case kindTransfers:
			for i := range r.transfers {
				t := &r.transfers[i]
				if t.Flags&(PostPending|VoidPending) != 0 {
					lookup(t.PendingID)
				}
				if r.lookupAll {
					lookup(t.ID)
				}
			}
		case kindFlush:
			b.fullFlush = true
		case kindSweep:
			sweepDue = true
		}
	}
	if sweepDue {
		expired, err := st.ExpiredPending(ctx, b.now, expiryBatch)
		if err != nil {
			return fmt.Errorf("expired pending transfers: %w", err)
		}
		b.swept = len(expired) < expiryBatch // else more are waiting: sweep again next batch
		for i := range expired {
			p := &expired[i]
			b.stored[p.ID] = p
			b.sweep = append(b.sweep, Transfer{ID: ExpiryID(p.ID), PendingID: p.ID, Flags: VoidPending | Expired})
		}
	}
	if len(transferIDs) > 0 {
		found, err := st.TransfersByID(ctx, dedupIDs(transferIDs))
		if err != nil {
			return fmt.Errorf("look up transfers: %w", err)
		}
		for i := range found {
			b.stored[found[i].ID] = &found[i]
		}
	}
	var pendingTS []int64
	need := map[ID]struct{}{}
	want := func(id ID) {
		if !id.IsZero() && e.cache.byID[id] == nil {
			need[id] = struct{}{}
		}
	}
	for _, p := range b.stored {
		if p.Flags&Pending != 0 {
			pendingTS = append(pendingTS, p.TS)
			want(p.DebitID)
			want(p.CreditID)
		}
	}
	for _, r := range reqs {
		for i := range r.accounts {
			want(r.accounts[i].ID)
		}
		for i := range r.transfers {
			want(r.transfers[i].DebitAccountID)
			want(r.transfers[i].CreditAccountID)
		}
	}
	if len(pendingTS) > 0 {
		res, err := st.Resolutions(ctx, pendingTS)
		if err != nil {
			return fmt.Errorf("resolutions of pending transfers: %w", err)
		}
		b.storedRes = res
	}
	if len(need) > 0 {
		ids := make([]ID, 0, len(need))
		for id := range need {
			ids = append(ids, id)
		}
		recs, err := st.AccountsByID(ctx, ids)
		if err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		loaded := make([]*entry, len(recs))
		for i := range recs {
			loaded[i] = &entry{key: recs[i].Key, acct: recs[i].Account, st: recs[i].Chain}
		}
		// The row of an account outside the cache is current: the engine
		// never evicts an account with unwritten changes or one a plan in
		// flight touches, and resync brings every row up to date. Another
		// writer's changes would move the head, which the commit checks.
		e.cache.add(loaded...)
	}
	return nil
}

func dedupIDs(ids []ID) []ID {
	slices.SortFunc(ids, func(a, b ID) int { return compareIDs(a, b) })
	return slices.Compact(ids)
}

func compareIDs(a, b ID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// run validates every request of the batch in order.
func (b *batch) run(reqs []*request) {
	if len(b.sweep) > 0 {
		res := make([]TransferResult, len(b.sweep))
		b.transfers(b.sweep, res, true)
	}
	for _, r := range reqs {
		switch r.kind {
		case kindAccounts:
			b.accountEvents += len(r.accounts)
			for i := range r.accounts {
				r.aResults[i] = b.createAccount(&r.accounts[i])
			}
		case kindTransfers:
			b.transferEvents += len(r.transfers)
			b.transfers(r.transfers, r.tResults, false)
		}
	}
}

func (b *batch) takeTS() int64 {
	ts := b.nextTS
	b.nextTS++
	return ts
}

func (b *batch) createAccount(a *Account) AccountResult {
	switch {
	case a.ID.IsZero():
		return AccountIDMustNotBeZero
	case a.Flags&^accountFlagsKnown != 0:
		return AccountFlagsReserved
	case a.Flags&DebitsMustNotExceedCredits != 0 && a.Flags&CreditsMustNotExceedDebits != 0:
		return AccountFlagsAreMutuallyExclusive
	case a.Code == 0:
		return AccountCodeMustNotBeZero
	case !validCurrency(a.Currency):
		return AccountCurrencyInvalid
	case len(a.Owner) > MaxOwnerBytes:
		return AccountOwnerTooLong
	}
	if e := b.account(a.ID); e != nil {
		x := &e.acct
		if x.Currency == a.Currency && x.Code == a.Code && x.Flags == a.Flags && x.Owner == a.Owner {
			return AccountExists
		}
		return AccountExistsWithDifferentFields
	}
	e := &entry{key: b.nextKey, acct: *a}
	b.nextKey++
	e.acct.Timestamp = b.takeTS()
	e.acct.Balance = Balance{}
	b.p.newEntries = append(b.p.newEntries, e)
	if b.newByID == nil {
		b.newByID = map[ID]*entry{}
	}
	b.newByID[a.ID] = e // the cache gets it when the batch is built
	b.p.accountRows = append(b.p.accountRows, AccountRecord{Key: e.key, Account: e.acct})
	return AccountCreated
}

// account returns the account with id, from the cache or created earlier
// in this batch; nil if there is none.
func (b *batch) account(id ID) *entry {
	if e := b.e.cache.byID[id]; e != nil {
		return e
	}
	return b.newByID[id]
}

// accountByKey is account by internal key.
func (b *batch) accountByKey(key int64) *entry {
	if e := b.e.cache.byKey[key]; e != nil {
		return e
	}
	for _, e := range b.p.newEntries {
		if e.key == key {
			return e
		}
	}
	return nil
}

// transfers validates one request's transfers, with linked chains.
func (b *batch) transfers(ts []Transfer, res []TransferResult, internal bool) {
	chainStart := -1
	failed := false
	for i := range ts {
		t := &ts[i]
		if chainStart < 0 && t.Flags&Linked != 0 {
			chainStart, failed = i, false
			b.beginChain()
		}
		if chainStart >= 0 && failed {
			res[i] = TransferLinkedEventFailed
		} else {
			res[i] = b.transfer(t, internal)
			if chainStart >= 0 && !res[i].OK() {
				failed = true
				b.rollbackChain()
				for j := chainStart; j < i; j++ {
					if res[j] == TransferCreated {
						res[j] = TransferLinkedEventFailed
					}
				}
			}
		}
		if chainStart >= 0 && t.Flags&Linked == 0 {
			if !failed && mixedChain(res[chainStart:i+1]) {
				// Part of the chain exists and part does not: it is not the
				// chain that was committed before, so none of it is created.
				b.rollbackChain()
				for j := chainStart; j <= i; j++ {
					if res[j] == TransferCreated {
						res[j] = TransferLinkedEventFailed
					}
				}
			}
			b.endChain()
			chainStart = -1
		}
	}
	if chainStart >= 0 {
		if !failed {
			b.rollbackChain()
		}
		for j := chainStart; j < len(ts); j++ {
			res[j] = TransferLinkedEventFailed
		}
		res[len(ts)-1] = TransferLinkedEventChainOpen
		b.endChain()
	}
}

func mixedChain(res []TransferResult) bool {
	created, exists := false, false
	for _, r := range res {
		created = created || r == TransferCreated
		exists = exists || r == TransferExists
	}
	return created && exists
}

func (b *batch) beginChain() {
	b.e.gen++ // a fresh id for the chain, distinct from every batch's
	b.chain = chainUndo{
		open: true, id: b.e.gen, rows: len(b.p.rows), nextTS: b.nextTS,
		timeouts: len(b.p.timeoutsAdd), untimeout: len(b.p.timeoutsDel),
		entries: b.chain.entries[:0], created: b.chain.created[:0], resolved: b.chain.resolved[:0],
	}
}

func (b *batch) endChain() { b.chain.open = false }

func (b *batch) rollbackChain() {
	u := &b.chain
	for i := len(u.entries) - 1; i >= 0; i-- {
		x := u.entries[i]
		if x.touched {
			x.e.work = x.saved
		} else {
			x.e.workGen = 0
		}
	}
	for _, id := range u.created {
		delete(b.created, id)
	}
	for _, ts := range u.resolved {
		delete(b.resolved, ts)
	}
	b.p.rows = b.p.rows[:u.rows]
	b.nextTS = u.nextTS
	b.p.timeoutsAdd = b.p.timeoutsAdd[:u.timeouts]
	b.p.timeoutsDel = b.p.timeoutsDel[:u.untimeout]
	u.entries, u.created, u.resolved = u.entries[:0], u.created[:0], u.resolved[:0]
}

// state returns the entry's state inside this batch, ready to be changed.
func (b *batch) state(e *entry) *ChainState {
	if b.chain.open && e.chainGen != b.chain.id {
		e.chainGen = b.chain.id
		u := undoEntry{e: e, touched: e.workGen == b.gen}
		if u.touched {
			u.saved = e.work.clone()
		}
		b.chain.entries = append(b.chain.entries, u)
	}
	if e.workGen != b.gen {
		e.work = e.spec.clone()
		e.workGen = b.gen
		b.touched = append(b.touched, e)
	}
	return &e.work
}

// peek returns the entry's current state inside this batch, read-only.
func (b *batch) peek(e *entry) *ChainState {
	if e.workGen == b.gen {
		return &e.work
	}
	return &e.spec
}

func (b *batch) findTransfer(id ID) *TransferRecord {
	if i, ok := b.created[id]; ok {
		return &b.p.rows[i]
	}
	if r := b.e.inflightCreated[id]; r != nil {
		return r
	}
	return b.stored[id]
}

func (b *batch) resolution(pendingTS int64) (TransferFlags, bool) {
	if f, ok := b.resolved[pendingTS]; ok {
		return f, true
	}
	if f, ok := b.e.inflightResolved[pendingTS]; ok {
		return f, true
	}
	f, ok := b.storedRes[pendingTS]
	return f, ok
}

// transfer validates and applies one transfer.
func (b *batch) transfer(t *Transfer, internal bool) TransferResult {
	if r, ok := checkTransferShape(t, internal); !ok {
		return r
	}
	if x := b.findTransfer(t.ID); x != nil {
		if sameTransfer(t, x) {
			return TransferExists
		}
		return TransferExistsWithDifferentFields
	}
	if t.Flags&(PostPending|VoidPending) != 0 {
		return b.resolve(t, internal)
	}
	dr := b.account(t.DebitAccountID)
	if dr == nil {
		return TransferDebitAccountNotFound
	}
	cr := b.account(t.CreditAccountID)
	if cr == nil {
		return TransferCreditAccountNotFound
	}
	if dr.acct.Currency != cr.acct.Currency {
		return TransferAccountsMustHaveTheSameCurrency
	}
	if t.Currency != dr.acct.Currency {
		return TransferCurrencyMustMatchAccounts
	}
	d, c := *b.peek(dr), *b.peek(cr)
	a := t.Amount
	if t.Flags&Pending != 0 {
		if r, ok := addPending(&d.Balance, &c.Balance, a); !ok {
			return r
		}
	} else if r, ok := addPosted(&d.Balance, &c.Balance, a); !ok {
		return r
	}
	if dr.acct.Flags&DebitsMustNotExceedCredits != 0 && d.DebitsPending+d.DebitsPosted > d.CreditsPosted {
		return TransferExceedsCredits
	}
	if cr.acct.Flags&CreditsMustNotExceedDebits != 0 && c.CreditsPending+c.CreditsPosted > c.DebitsPosted {
		return TransferExceedsDebits
	}
	ts := b.takeTS()
	b.commitTransfer(TransferRecord{
		TS: ts, ID: t.ID, DebitKey: dr.key, CreditKey: cr.key, Amount: a,
		Currency: t.Currency, Code: t.Code, Flags: t.Flags, TimeoutSeconds: t.TimeoutSeconds,
		Reference: t.Reference, DebitID: dr.acct.ID, CreditID: cr.acct.ID,
	}, dr, cr, d.Balance, c.Balance)
	if t.Flags&Pending != 0 && t.TimeoutSeconds > 0 {
		b.p.timeoutsAdd = append(b.p.timeoutsAdd, Timeout{PendingTS: ts, ExpiresAt: ts + int64(t.TimeoutSeconds)*1e9})
	}
	return TransferCreated
}

// checkTransferShape applies the rules that depend on the transfer alone.
// They come before the check for an existing transfer with the same id, so
// that every result after it depends on the ledger's state.
func checkTransferShape(t *Transfer, internal bool) (TransferResult, bool) {
	phase := t.Flags & (Pending | PostPending | VoidPending)
	allowed := transferFlagsClient
	if internal {
		allowed |= Expired
	}
	switch {
	case t.ID.IsZero():
		return TransferIDMustNotBeZero, false
	case t.Flags&^allowed != 0:
		return TransferFlagsReserved, false
	case bits.OnesCount16(uint16(phase)) > 1:
		return TransferFlagsAreMutuallyExclusive, false
	}
	if phase&(PostPending|VoidPending) != 0 {
		switch {
		case t.PendingID.IsZero():
			return TransferPendingIDMustNotBeZero, false
		case t.PendingID == t.ID:
			return TransferPendingIDMustBeDifferent, false
		case t.Amount < 0:
			return TransferAmountMustNotBeNegative, false
		case t.Currency != "" && !validCurrency(t.Currency):
			return TransferCurrencyInvalid, false
		}
	} else if !t.PendingID.IsZero() {
		return TransferPendingIDMustBeZero, false
	}
	switch {
	case t.TimeoutSeconds != 0 && phase != Pending:
		return TransferTimeoutReservedForPendingTransfer, false
	case t.TimeoutSeconds > MaxTimeoutSeconds:
		return TransferTimeoutTooLong, false
	case len(t.Reference) > MaxReferenceBytes:
		return TransferReferenceTooLong, false
	case phase&(PostPending|VoidPending) != 0:
		return TransferCreated, true
	case t.DebitAccountID.IsZero():
		return TransferDebitAccountIDMustNotBeZero, false
	case t.CreditAccountID.IsZero():
		return TransferCreditAccountIDMustNotBeZero, false
	case t.DebitAccountID == t.CreditAccountID:
		return TransferAccountsMustBeDifferent, false
	case t.Amount <= 0:
		return TransferAmountMustBePositive, false
	case t.Code == 0:
		return TransferCodeMustNotBeZero, false
	case !validCurrency(t.Currency):
		return TransferCurrencyInvalid, false
	}
	return TransferCreated, true
}

// suspects returns the ids of transfers that failed on the ledger's state
// and may exist in the store: submitted again after they were created,
// they must be reported as existing, not judged on today's balances.
func (b *batch) suspects(reqs []*request) []ID {
	var ids []ID
	for _, r := range reqs {
		for i := range r.transfers {
			t := &r.transfers[i]
			switch r.tResults[i] {
			case TransferCreated, TransferExists, TransferExistsWithDifferentFields:
				continue
			}
			if _, ok := checkTransferShape(t, false); !ok || b.findTransfer(t.ID) != nil {
				continue
			}
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// addPending reserves a on both sides, checking for overflow.
func addPending(d, c *Balance, a int64) (TransferResult, bool) {
	var ok bool
	if d.DebitsPending, ok = addChecked(d.DebitsPending, a); !ok {
		return TransferOverflowsDebitsPending, false
	}
	if c.CreditsPending, ok = addChecked(c.CreditsPending, a); !ok {
		return TransferOverflowsCreditsPending, false
	}
	if _, ok = addChecked(d.DebitsPending, d.DebitsPosted); !ok {
		return TransferOverflowsDebits, false
	}
	if _, ok = addChecked(c.CreditsPending, c.CreditsPosted); !ok {
		return TransferOverflowsCredits, false
	}
	return TransferCreated, true
}

// addPosted posts a on both sides, checking for overflow.
func addPosted(d, c *Balance, a int64) (TransferResult, bool) {
	var ok bool
	if d.DebitsPosted, ok = addChecked(d.DebitsPosted, a); !ok {
		return TransferOverflowsDebitsPosted, false
	}
	if c.CreditsPosted, ok = addChecked(c.CreditsPosted, a); !ok {
		return TransferOverflowsCreditsPosted, false
	}
	if _, ok = addChecked(d.DebitsPending, d.DebitsPosted); !ok {
		return TransferOverflowsDebits, false
	}
	if _, ok = addChecked(c.CreditsPending, c.CreditsPosted); !ok {
		return TransferOverflowsCredits, false
	}
	return TransferCreated, true
}

func addChecked(a, b int64) (int64, bool) {
	s := a + b
	// Both operands are never negative here, so overflow shows as a sign flip.
	return s, s >= a
}

// resolve validates and applies a post or void of a pending transfer.
func (b *batch) resolve(t *Transfer, internal bool) TransferResult {
	p := b.findTransfer(t.PendingID)
	switch {
	case p == nil:
		return TransferPendingTransferNotFound
	case p.Flags&Pending == 0:
		return TransferPendingTransferNotPending
	case !t.DebitAccountID.IsZero() && t.DebitAccountID != p.DebitID:
		return TransferPendingTransferHasDifferentDebitAccountID
	case !t.CreditAccountID.IsZero() && t.CreditAccountID != p.CreditID:
		return TransferPendingTransferHasDifferentCreditAccountID
	case t.Currency != "" && t.Currency != p.Currency:
		return TransferPendingTransferHasDifferentCurrency
	case t.Code != 0 && t.Code != p.Code:
		return TransferPendingTransferHasDifferentCode
	}
	if f, ok := b.resolution(p.TS); ok {
		switch {
		case f&Expired != 0:
			return TransferPendingTransferExpired
		case f&PostPending != 0:
			return TransferPendingTransferAlreadyPosted
		default:
			return TransferPendingTransferAlreadyVoided
		}
	}
	post := t.Flags&PostPending != 0
	switch {
	case !post && t.Amount != 0 && t.Amount != p.Amount:
		return TransferPendingTransferHasDifferentAmount
	case post && t.Amount > p.Amount:
		return TransferExceedsPendingTransferAmount
	}
	if exp := p.ExpiresAt(); exp != 0 && b.nextTS >= exp && !internal {
		return TransferPendingTransferExpired
	}
	amount := p.Amount
	if post && t.Amount != 0 {
		amount = t.Amount
	}
	dr, cr := b.accountByKey(p.DebitKey), b.accountByKey(p.CreditKey)
	if dr == nil || cr == nil {
		panic(fmt.Sprintf("ledger: accounts of pending transfer %d not loaded", p.TS))
	}
	d, c := *b.peek(dr), *b.peek(cr)
	d.DebitsPending -= p.Amount
	c.CreditsPending -= p.Amount
	if d.DebitsPending < 0 || c.CreditsPending < 0 {
		// A pending amount is reserved until it is resolved, exactly once;
		// a negative pending balance means the ledger is corrupt. Stop
		// before anything is written.
		panic(fmt.Sprintf("ledger: pending balance below zero resolving transfer %d", p.TS))
	}
	if post {
		if r, ok := addPosted(&d.Balance, &c.Balance, amount); !ok {
			return r
		}
	}
	code := t.Code
	if code == 0 {
		code = p.Code
	}
	ts := b.takeTS()
	b.commitTransfer(TransferRecord{
		TS: ts, ID: t.ID, DebitKey: p.DebitKey, CreditKey: p.CreditKey, Amount: amount,
		Currency: p.Currency, Code: code, Flags: t.Flags, PendingTS: p.TS, Reference: t.Reference,
		DebitID: p.DebitID, CreditID: p.CreditID, PendingID: p.ID,
	}, dr, cr, d.Balance, c.Balance)
	if b.resolved == nil {
		b.resolved = map[int64]TransferFlags{}
	}
	b.resolved[p.TS] = t.Flags
	if b.chain.open {
		b.chain.resolved = append(b.chain.resolved, p.TS)
	}
	if p.TimeoutSeconds > 0 {
		b.p.timeoutsDel = append(b.p.timeoutsDel, p.TS)
	}
	return TransferCreated
}

// commitTransfer appends a validated transfer to the batch and moves both
// accounts to their new balances and chain positions.
func (b *batch) commitTransfer(r TransferRecord, dr, cr *entry, dBal, cBal Balance) {
	ds, cs := b.state(dr), b.state(cr)
	ds.Balance, cs.Balance = dBal, cBal
	r.Debit.PrevTS, r.Debit.SkipTS, r.Debit.Height = ds.advance(r.TS)
	r.Credit.PrevTS, r.Credit.SkipTS, r.Credit.Height = cs.advance(r.TS)
	r.Debit.Balance, r.Credit.Balance = dBal, cBal
	b.created[r.ID] = len(b.p.rows)
	if b.chain.open {
		b.chain.created = append(b.chain.created, r.ID)
	}
	b.p.rows = append(b.p.rows, r)
}

// sameTransfer reports whether t, submitted again, matches the stored x.
// Fields a post or void may leave out to inherit are compared only when
// given.
func sameTransfer(t *Transfer, x *TransferRecord) bool {
	if t.Flags != x.Flags || t.PendingID != x.PendingID || t.Reference != x.Reference ||
		t.TimeoutSeconds != x.TimeoutSeconds {
		return false
	}
	if t.Flags&(PostPending|VoidPending) != 0 {
		return (t.DebitAccountID.IsZero() || t.DebitAccountID == x.DebitID) &&
			(t.CreditAccountID.IsZero() || t.CreditAccountID == x.CreditID) &&
			(t.Currency == "" || t.Currency == x.Currency) &&
			(t.Code == 0 || t.Code == x.Code) &&
			(t.Amount == 0 || t.Amount == x.Amount)
	}
	return t.DebitAccountID == x.DebitID && t.CreditAccountID == x.CreditID &&
		t.Amount == x.Amount && t.Currency == x.Currency && t.Code == x.Code
}

// finish turns the validated batch into a plan: it picks the account rows
// the plan writes, moves the touched accounts' speculative state forward,
// and records what later batches must see before the plan commits.
func (b *batch) finish(reqs []*request) *plan {
	e, p := b.e, b.p
	p.reqs, p.epoch, p.base = reqs, e.epoch, b.base
	head := b.base
	head.LastTS = max(head.LastTS, b.nextTS-1)
	head.LastAccountKey = b.nextKey - 1
	recs, flushed, checkpoint := e.flush.chunk(b, head)
	p.flushRecs, p.flushed = recs, flushed
	head.CheckpointTS = max(head.CheckpointTS, checkpoint)
	writes := len(p.accountRows)+len(p.rows)+len(p.timeoutsAdd)+len(p.timeoutsDel)+len(p.flushRecs) > 0
	if writes && head.LastTS == b.base.LastTS {
		// Every commit moves the head to a newer timestamp: the chain of
		// commits is keyed by it.
		head.LastTS = b.takeTS()
	}
	p.head = head
	for _, en := range b.touched {
		if en.workGen != b.gen {
			continue // undone by a failed chain, or seen already
		}
		en.spec, en.work, en.workGen = en.work, ChainState{}, 0
		en.inflight++
		p.touched = append(p.touched, en)
		p.states = append(p.states, en.spec)
		p.snaps = append(p.snaps, snapshotOf(&en.spec))
		e.flush.markDirty(en, b.fullFlush)
	}
	for _, en := range p.newEntries {
		en.inflight++
		e.cache.insert(en)
	}
	for _, en := range p.flushed {
		en.inflight++ // not evicted before its row is written
	}
	for i := range p.rows {
		e.inflightCreated[p.rows[i].ID] = &p.rows[i]
	}
	if enc, ok := e.store.(TransferEncoder); ok && len(p.rows) > 0 {
		p.encoded = enc.EncodeTransfers(p.rows)
	}
	for ts, f := range b.resolved {
		e.inflightResolved[ts] = f
		p.resolved = append(p.resolved, ts)
	}
	e.spec = head
	if b.swept {
		e.lastSweepNS = b.now
	}
	p.stats = BatchStats{Requests: len(reqs), Accounts: b.accountEvents, Transfers: b.transferEvents,
		Created: len(p.rows), Retried: slices.ContainsFunc(reqs, func(r *request) bool { return r.attempts > 0 })}
	return p
}

// writeTo sends the plan to the store inside tx.
func (p *plan) writeTo(ctx context.Context, tx Tx) error {
	if len(p.accountRows) > 0 {
		if err := tx.InsertAccounts(ctx, p.accountRows); err != nil {
			return fmt.Errorf("insert accounts: %w", err)
		}
	}
	if len(p.rows) > 0 {
		if err := tx.InsertTransfers(ctx, p.rows, p.encoded); err != nil {
			return fmt.Errorf("insert transfers: %w", err)
		}
	}
	if len(p.timeoutsAdd) > 0 {
		if err := tx.InsertTimeouts(ctx, p.timeoutsAdd); err != nil {
			return fmt.Errorf("insert timeouts: %w", err)
		}
	}
	if len(p.timeoutsDel) > 0 {
		if err := tx.DeleteTimeouts(ctx, p.timeoutsDel); err != nil {
			return fmt.Errorf("delete timeouts: %w", err)
		}
	}
	if len(p.flushRecs) > 0 {
		if err := tx.WriteAccountChains(ctx, p.flushRecs); err != nil {
			return fmt.Errorf("write account rows: %w", err)
		}
	}
	if p.head != p.base {
		if err := tx.Advance(ctx, p.base, p.head); err != nil {
			return fmt.Errorf("record commit: %w", err)
		}
	}
	return nil
}
