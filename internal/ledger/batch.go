package ledger

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
)

// batch is one write transaction being built. Validation runs in memory,
// in order, against the entries' work states; nothing reaches the cache
// before the transaction commits (apply).
type batch struct {
	e    *Engine
	head Head
	gen  uint64
	now  int64

	nextTS  int64
	nextKey int64

	sweep     []Transfer // voids of expired pending transfers, run first
	fullFlush bool

	startHead Head // the head as the transaction found it
	swept     bool

	touched     []*entry
	newEntries  []*entry
	newByID     map[ID]*entry // accounts created in this batch
	accountRows []AccountRecord
	rows        []TransferRecord
	created     map[ID]int                // transfers created in this batch → index in rows
	stored      map[ID]*TransferRecord    // transfers found in the store
	storedRes   map[int64]TransferFlags   // resolutions found in the store, by pending ts
	resolved    map[int64]TransferFlags   // resolutions made in this batch
	timeoutsAdd []Timeout
	timeoutsDel []int64
	flushed     int // entries of the flush queue written by this batch

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

func newBatch(e *Engine, head Head) *batch {
	now := e.opts.Now().UnixNano()
	return &batch{
		e:         e,
		head:      head,
		startHead: head,
		gen:     e.gen,
		now:     now,
		nextTS:  max(now, head.LastTS+1),
		nextKey: head.LastAccountKey + 1,
		created: map[ID]int{},
		stored:  map[ID]*TransferRecord{},
	}
}

// prepare loads from the store what validation needs and the cache lacks:
// accounts, pending transfers and their resolutions, expired pending
// transfers, and (after a duplicate id) every transfer id of the batch.
func (b *batch) prepare(ctx context.Context, tx Tx, reqs []*request, lookupAll bool) error {
	c := b.e.cache
	var transferIDs []ID
	for _, r := range reqs {
		switch r.kind {
		case kindTransfers:
			for i := range r.transfers {
				t := &r.transfers[i]
				if t.Flags&(PostPending|VoidPending) != 0 && !t.PendingID.IsZero() {
					transferIDs = append(transferIDs, t.PendingID)
				}
				if lookupAll && !t.ID.IsZero() {
					transferIDs = append(transferIDs, t.ID)
				}
			}
		case kindFlush:
			b.fullFlush = true
		}
	}
	sweepDue := b.now-b.e.lastSweepNS >= int64(expirySweepInterval)
	for _, r := range reqs {
		if r.kind == kindSweep {
			sweepDue = true
		}
	}
	if sweepDue {
		expired, err := tx.ExpiredPending(ctx, b.now, expiryBatch)
		if err != nil {
			return fmt.Errorf("expired pending transfers: %w", err)
		}
		b.swept = len(expired) < expiryBatch // else more are waiting: sweep again next batch
		for i := range expired {
			p := &expired[i]
			b.stored[p.ID] = p
			b.sweep = append(b.sweep, Transfer{ID: expiryID(p.ID), PendingID: p.ID, Flags: VoidPending | Expired})
		}
	}
	if len(transferIDs) > 0 {
		found, err := tx.TransfersByID(ctx, dedupIDs(transferIDs))
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
		if !id.IsZero() && c.byID[id] == nil {
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
		res, err := tx.Resolutions(ctx, pendingTS)
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
		recs, err := tx.AccountsByID(ctx, ids)
		if err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		loaded := make([]*entry, len(recs))
		for i := range recs {
			loaded[i] = &entry{key: recs[i].Key, acct: recs[i].Account, st: recs[i].Chain}
		}
		// Rows of accounts outside the cache are current: the engine never
		// evicts an account with unwritten changes, and resync brings every
		// row up to date. So the loaded state is committed state.
		c.add(loaded...)
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
	b.newEntries = append(b.newEntries, e)
	if b.newByID == nil {
		b.newByID = map[ID]*entry{}
	}
	b.newByID[a.ID] = e // the cache gets it when the batch commits
	b.accountRows = append(b.accountRows, AccountRecord{Key: e.key, Account: e.acct})
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
	for _, e := range b.newEntries {
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
		open: true, id: b.e.gen, rows: len(b.rows), nextTS: b.nextTS,
		timeouts: len(b.timeoutsAdd), untimeout: len(b.timeoutsDel),
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
	b.rows = b.rows[:u.rows]
	b.nextTS = u.nextTS
	b.timeoutsAdd = b.timeoutsAdd[:u.timeouts]
	b.timeoutsDel = b.timeoutsDel[:u.untimeout]
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
		e.work = e.st.clone()
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
	return &e.st
}

func (b *batch) findTransfer(id ID) *TransferRecord {
	if i, ok := b.created[id]; ok {
		return &b.rows[i]
	}
	return b.stored[id]
}

func (b *batch) resolution(pendingTS int64) (TransferFlags, bool) {
	if f, ok := b.resolved[pendingTS]; ok {
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
	switch {
	case t.DebitAccountID.IsZero():
		return TransferDebitAccountIDMustNotBeZero
	case t.CreditAccountID.IsZero():
		return TransferCreditAccountIDMustNotBeZero
	case t.DebitAccountID == t.CreditAccountID:
		return TransferAccountsMustBeDifferent
	case t.Amount <= 0:
		return TransferAmountMustBePositive
	case t.Code == 0:
		return TransferCodeMustNotBeZero
	case !validCurrency(t.Currency):
		return TransferCurrencyInvalid
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
		b.timeoutsAdd = append(b.timeoutsAdd, Timeout{PendingTS: ts, ExpiresAt: ts + int64(t.TimeoutSeconds)*1e9})
	}
	return TransferCreated
}

// checkTransferShape applies the rules that need no state.
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
	}
	return TransferCreated, true
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
		b.timeoutsDel = append(b.timeoutsDel, p.TS)
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
	b.created[r.ID] = len(b.rows)
	if b.chain.open {
		b.chain.created = append(b.chain.created, r.ID)
	}
	b.rows = append(b.rows, r)
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

// write sends the batch to the store.
func (b *batch) write(ctx context.Context, tx Tx) error {
	if len(b.accountRows) > 0 {
		if err := tx.InsertAccounts(ctx, b.accountRows); err != nil {
			return fmt.Errorf("insert accounts: %w", err)
		}
	}
	if len(b.rows) > 0 {
		if err := tx.InsertTransfers(ctx, b.rows); err != nil {
			return fmt.Errorf("insert transfers: %w", err)
		}
	}
	if len(b.timeoutsAdd) > 0 {
		if err := tx.InsertTimeouts(ctx, b.timeoutsAdd); err != nil {
			return fmt.Errorf("insert timeouts: %w", err)
		}
	}
	if len(b.timeoutsDel) > 0 {
		if err := tx.DeleteTimeouts(ctx, b.timeoutsDel); err != nil {
			return fmt.Errorf("delete timeouts: %w", err)
		}
	}
	head := b.head
	head.LastTS = b.nextTS - 1
	if head.LastTS < b.head.LastTS {
		head.LastTS = b.head.LastTS
	}
	head.LastAccountKey = b.nextKey - 1
	recs, checkpoint := b.e.flush.chunk(b, head)
	if len(recs) > 0 {
		if err := tx.WriteAccountChains(ctx, recs); err != nil {
			return fmt.Errorf("write account rows: %w", err)
		}
	}
	if checkpoint > head.CheckpointTS {
		head.CheckpointTS = checkpoint
	}
	if head != b.head {
		if err := tx.SetHead(ctx, head); err != nil {
			return fmt.Errorf("set head: %w", err)
		}
	}
	b.head = head
	return nil
}

// apply makes the committed batch the writer's state and publishes it.
func (b *batch) apply() {
	for _, e := range b.touched {
		if e.workGen != b.gen {
			continue // undone by a failed chain
		}
		e.st, e.work = e.work, ChainState{}
		e.workGen = 0
		e.publish()
		b.e.flush.markDirty(e, b.fullFlush)
	}
	b.e.cache.add(b.newEntries...)
	b.e.flush.committed(b)
	b.e.lastSeenTS = b.head.LastTS
	b.e.syncedTS.Store(b.head.LastTS)
	if b.swept {
		b.e.lastSweepNS = b.now
	}
}
