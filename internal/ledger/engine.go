package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Engine is the ledger's single writer. Callers submit accounts and
// transfers; the engine drains its queue in batches, validates each batch
// in order in memory, commits it in one database transaction (group
// commit), and only then answers every caller in the batch. Under load the
// queue fills while a batch commits, so batches grow with load: this is
// what makes a hot account, credited by every transfer, as fast as many
// cold ones.
//
// Two goroutines form a pipeline. The validator builds batch N+1 on the
// state that batch N will leave, while the committer writes batch N; so
// the database and the validation work at the same time. If a batch fails
// to commit, every batch built on it is undone and built again.
//
// Several engines (processes) may share one PostgreSQL database: each write
// transaction locks the head row first, and a batch commits only if the
// head is the one it was built on. Otherwise the engine drops its cache,
// brings the store's account rows up to date (resync), and builds the
// batch again.
type Engine struct {
	store     Store
	opts      Options
	log       *slog.Logger
	queue     chan *request
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closing   atomic.Bool
	submitMu  sync.RWMutex // held for reading while enqueueing; Close takes it to stop new work

	cache *cache
	// syncedTS is the head timestamp that the published cache reflects.
	syncedTS atomic.Int64

	// Owned by the validator goroutine.
	gen              uint64
	flush            flushState
	pending          []*request // requests to build before taking more from the queue
	lastSweepNS      int64      // when the last sweep found every expired pending transfer
	lastBatch        time.Time
	headKnown        bool
	spec             Head // the head after every plan built so far
	committed        Head // the head after the last committed plan
	inflight         []*plan
	outstanding      int // plans sent to the committer whose result has not come back
	epoch            uint64
	inflightCreated  map[ID]*TransferRecord
	inflightResolved map[int64]TransferFlags

	plans   chan *plan // validator → committer
	results chan *plan // committer → validator
	cDone   chan struct{}
}

// Options configure an engine. The zero value is usable.
type Options struct {
	// Now returns the current time; tests set it to control timeouts.
	Now func() time.Time
	// Logger receives the engine's messages; slog.Default() if nil.
	Logger *slog.Logger
	// CacheAccounts bounds the accounts kept in memory.
	CacheAccounts int
	// OnBatch is called by the committer after each committed batch.
	OnBatch func(BatchStats)
}

// BatchStats describe one committed batch.
type BatchStats struct {
	Requests  int
	Accounts  int           // account events (created or not)
	Transfers int           // transfer events (created or not)
	Created   int           // transfers created
	Validate  time.Duration // building the batch: lookups and validation
	Write     time.Duration // from the start of the transaction to the commit
	Commit    time.Duration // the commit itself (durable on return)
	Retried   bool          // built again after a failed commit
}

// Errors returned by the engine's methods. Results of individual accounts
// and transfers are not errors: see AccountResult and TransferResult.
var (
	// ErrClosed: the engine is shutting down and takes no new work.
	ErrClosed = errors.New("ledger engine closed")
	// ErrUnavailable: the store failed; the outcome of the request is
	// unknown. Retrying with the same ids is safe.
	ErrUnavailable = errors.New("ledger store unavailable")
	// ErrTooMany: a request holds more events than the limit.
	ErrTooMany = errors.New("too many events in one request")

	errStale   = errors.New("the head moved: another writer committed")
	errAborted = errors.New("an earlier batch failed")
)

type requestKind uint8

const (
	kindAccounts requestKind = iota
	kindTransfers
	kindSweep // void pending transfers whose timeout has passed
	kindFlush // write every account row that is behind
)

type request struct {
	kind      requestKind
	accounts  []Account
	transfers []Transfer
	aResults  []AccountResult
	tResults  []TransferResult
	done      chan error
	lookupAll bool // look up every transfer id: the store reported a duplicate
	attempts  int
}

func (r *request) events() int { return len(r.accounts) + len(r.transfers) }

func (r *request) reply(err error) {
	if r.done != nil {
		r.done <- err
	}
}

// New starts an engine on store.
func New(store Store, opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CacheAccounts <= 0 {
		opts.CacheAccounts = DefaultCacheAccounts
	}
	e := &Engine{
		store:            store,
		opts:             opts,
		log:              opts.Logger,
		queue:            make(chan *request, queueRequests),
		quit:             make(chan struct{}),
		done:             make(chan struct{}),
		cache:            newCache(opts.CacheAccounts),
		inflightCreated:  map[ID]*TransferRecord{},
		inflightResolved: map[int64]TransferFlags{},
		plans:            make(chan *plan, maxInflight+1),
		results:          make(chan *plan, maxInflight+1),
		cDone:            make(chan struct{}),
	}
	e.syncedTS.Store(-1)
	go e.commitLoop()
	go e.run()
	return e
}

// QueueDepth returns the number of requests waiting for the engine.
func (e *Engine) QueueDepth() int { return len(e.queue) }

// CreateAccounts creates accounts, returning one result per account in
// order. Accounts that fail validation are not created; the others are.
func (e *Engine) CreateAccounts(ctx context.Context, accounts []Account) ([]AccountResult, error) {
	if len(accounts) > MaxAccountsPerRequest {
		return nil, fmt.Errorf("%w: %d accounts, at most %d", ErrTooMany, len(accounts), MaxAccountsPerRequest)
	}
	r := &request{kind: kindAccounts, accounts: accounts, aResults: make([]AccountResult, len(accounts))}
	if err := e.submit(ctx, r); err != nil {
		return nil, err
	}
	return r.aResults, nil
}

// CreateTransfers creates transfers, returning one result per transfer in
// order. Linked chains commit all-or-nothing; other transfers succeed or
// fail one by one. Transfers are applied in the order given.
func (e *Engine) CreateTransfers(ctx context.Context, transfers []Transfer) ([]TransferResult, error) {
	if len(transfers) > MaxTransfersPerRequest {
		return nil, fmt.Errorf("%w: %d transfers, at most %d", ErrTooMany, len(transfers), MaxTransfersPerRequest)
	}
	r := &request{kind: kindTransfers, transfers: transfers, tResults: make([]TransferResult, len(transfers))}
	if err := e.submit(ctx, r); err != nil {
		return nil, err
	}
	return r.tResults, nil
}

// SweepExpired voids the pending transfers whose timeout has passed now.
// The engine does this by itself a few times a second; tests that move
// the clock call it to do it at once.
func (e *Engine) SweepExpired(ctx context.Context) error {
	return e.submit(ctx, &request{kind: kindSweep})
}

// Flush writes every account row that is behind the transfers, so that the
// store alone shows every balance without replaying its tail.
func (e *Engine) Flush(ctx context.Context) error {
	return e.submit(ctx, &request{kind: kindFlush})
}

func (e *Engine) submit(ctx context.Context, r *request) error {
	r.done = make(chan error, 1)
	e.submitMu.RLock()
	if e.closing.Load() {
		e.submitMu.RUnlock()
		return ErrClosed
	}
	select {
	case e.queue <- r:
		e.submitMu.RUnlock()
	case <-ctx.Done():
		e.submitMu.RUnlock()
		return ctx.Err()
	}
	// Once queued, the request will be committed or failed by the engine;
	// the caller waits for that even if its context ends, because giving up
	// here would not stop the commit.
	return <-r.done
}

// Close stops taking new work, commits everything already queued, writes
// every account row, and returns when the engine has stopped.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.submitMu.Lock()
		e.closing.Store(true)
		e.submitMu.Unlock()
		close(e.quit)
	})
	<-e.done
	return nil
}

// run is the validator's loop.
func (e *Engine) run() {
	defer close(e.done)
	defer func() {
		close(e.plans)
		<-e.cDone
	}()
	tick := time.NewTicker(expirySweepInterval)
	defer tick.Stop()
	for {
		if !e.headKnown {
			if !e.resync() {
				select {
				case <-e.quit:
					e.failQueued(ErrClosed)
					return
				case <-time.After(time.Second):
				}
			}
			continue
		}
		if e.outstanding >= maxInflight {
			e.complete(<-e.results)
			continue
		}
		if len(e.pending) > 0 {
			e.build(e.collect(nil))
			continue
		}
		select {
		case r := <-e.queue:
			e.build(e.collect(r))
		case p := <-e.results:
			e.complete(p)
		case <-tick.C:
			e.idle()
		case <-e.quit:
			e.drain()
			return
		}
	}
}

// collect builds a batch: the requests waiting to be built again, then
// first, then whatever else is queued, up to the batch bound.
func (e *Engine) collect(first *request) []*request {
	batch := make([]*request, 0, 64)
	n := 0
	add := func(r *request) bool {
		if n > 0 && n+r.events() > maxBatchEvents {
			return false
		}
		batch = append(batch, r)
		n += r.events()
		return true
	}
	for len(e.pending) > 0 && add(e.pending[0]) {
		e.pending = e.pending[1:]
	}
	if first != nil && !add(first) {
		e.pending = append(e.pending, first)
		return batch
	}
	for n < maxBatchEvents && len(e.pending) == 0 {
		select {
		case r := <-e.queue:
			if !add(r) {
				e.pending = append(e.pending, r)
				return batch
			}
		default:
			return batch
		}
	}
	return batch
}

// drain commits what is queued at shutdown, then writes every account row.
func (e *Engine) drain() {
	for e.headKnown {
		if e.outstanding >= maxInflight {
			e.complete(<-e.results)
			continue
		}
		var first *request
		if len(e.pending) == 0 {
			select {
			case first = <-e.queue:
			default:
			}
		}
		if first == nil && len(e.pending) == 0 {
			break
		}
		e.build(e.collect(first))
	}
	if e.headKnown {
		e.build([]*request{{kind: kindFlush}})
	}
	for e.outstanding > 0 {
		e.complete(<-e.results)
	}
	e.failQueued(ErrClosed)
}

// failQueued answers every request not yet built with err.
func (e *Engine) failQueued(err error) {
	for _, r := range e.pending {
		r.reply(err)
	}
	e.pending = nil
	for {
		select {
		case r := <-e.queue:
			r.reply(err)
		default:
			return
		}
	}
}

// idle runs when no request came for a while: void expired pending
// transfers and write dirty account rows, so the store's tail stays short.
func (e *Engine) idle() {
	if time.Since(e.lastBatch) < expirySweepInterval || e.outstanding > 0 {
		return // busy: batches sweep and flush as they go
	}
	var batch []*request
	if e.flush.pending() {
		batch = append(batch, &request{kind: kindFlush})
	}
	if e.opts.Now().UnixNano()-e.lastSweepNS >= int64(expirySweepInterval) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ts, ok, err := e.store.NextExpiry(ctx)
		cancel()
		if err != nil {
			e.log.Warn("ledger: looking for expired pending transfers", "err", err)
		} else if ok && ts <= e.opts.Now().UnixNano() {
			batch = append(batch, &request{kind: kindSweep})
		}
	}
	if len(batch) > 0 {
		e.build(batch)
	}
}

// build validates a batch into a plan and sends it to the committer.
func (e *Engine) build(reqs []*request) {
	if reqs == nil {
		return
	}
	started := time.Now()
	e.lastBatch = started
	b, err := e.validate(context.Background(), reqs)
	if err != nil {
		e.log.Error("ledger: batch lookups failed", "err", err)
		for _, r := range reqs {
			r.reply(fmt.Errorf("%w: %v", ErrUnavailable, err))
		}
		// The committer may hold the head lock for this batch: an empty
		// plan lets it go.
		e.gen++
		b = newBatch(e, e.spec)
		reqs = nil
	}
	p := b.finish(reqs)
	p.stats.Validate = time.Since(started)
	e.inflight = append(e.inflight, p)
	e.outstanding++
	e.plans <- p
	e.cache.evictClean()
}

// validate builds the batch. The engine does not look every transfer id up
// in the store first: that would cost a lookup per transfer, and the unique
// index finds a duplicate when the batch commits. But a transfer submitted
// again after it was created may now fail on the ledger's state (the
// balance it used is spent): the ids of failed transfers are looked up,
// and if any exists the batch is validated again knowing it.
func (e *Engine) validate(ctx context.Context, reqs []*request) (*batch, error) {
	known := map[ID]*TransferRecord{}
	for attempt := 0; ; attempt++ {
		e.gen++
		b := newBatch(e, e.spec)
		maps.Copy(b.stored, known)
		if err := b.prepare(ctx, reqs); err != nil {
			return nil, err
		}
		b.run(reqs)
		if attempt > 0 {
			return b, nil
		}
		suspects := b.suspects(reqs)
		if len(suspects) == 0 {
			return b, nil
		}
		found, err := e.store.TransfersByID(ctx, suspects)
		if err != nil {
			return nil, fmt.Errorf("look up failed transfers: %w", err)
		}
		if len(found) == 0 {
			return b, nil
		}
		for i := range found {
			known[found[i].ID] = &found[i]
		}
	}
}

// complete takes a plan's result back from the committer.
func (e *Engine) complete(p *plan) {
	e.outstanding--
	if p.epoch != e.epoch {
		return // undone already, when an earlier plan failed
	}
	if p.kind == planResync {
		e.resynced(p)
		return
	}
	e.inflight = e.inflight[1:]
	if p.err != nil {
		e.abort(p)
		return
	}
	e.committed = p.head
	for i, en := range p.touched {
		en.st = p.states[i]
		en.inflight--
	}
	for _, en := range p.newEntries {
		en.inflight--
	}
	for _, en := range p.flushed {
		en.inflight--
	}
	for i := range p.rows {
		if e.inflightCreated[p.rows[i].ID] == &p.rows[i] {
			delete(e.inflightCreated, p.rows[i].ID)
		}
	}
	for _, ts := range p.resolved {
		delete(e.inflightResolved, ts)
	}
}

// abort undoes the failed plan p and every plan built after it, then
// queues their requests to be built again (or fails them).
func (e *Engine) abort(p *plan) {
	aborted := append([]*plan{p}, e.inflight...)
	e.inflight = nil
	e.epoch++
	for _, q := range aborted {
		for _, en := range q.touched {
			en.spec, en.inflight = en.st, 0
		}
		for _, en := range q.flushed {
			en.inflight = 0
		}
		for _, en := range q.newEntries {
			e.cache.remove(en)
		}
	}
	clear(e.inflightCreated)
	clear(e.inflightResolved)
	e.spec = e.committed
	e.flush.abort(aborted)

	failP, counts := false, true
	switch {
	case errors.Is(p.err, ErrDuplicate):
		for _, r := range p.reqs {
			r.lookupAll = true
		}
	case errors.Is(p.err, errStale):
		// Another writer committed. The committer holds the head lock now,
		// has brought the account rows up to date in its transaction, and
		// waits for the batch built again on that head: it will commit.
		e.cache.clear()
		e.flush.reset()
		// (Not e.committed: if the batch built again fails, the held
		// transaction rolls back with the rows it brought up to date, and
		// the next batch must find the head moved and resync again.)
		e.cache.add(p.resynced...)
		e.spec = p.held
		counts = false
	case errors.Is(p.err, ErrConflict), p.unknown:
		// A commit may or may not have happened, or another writer's
		// transaction collided with this one: trust nothing in memory.
		e.headKnown = false
		e.cache.clear()
		e.flush.reset()
		if p.unknown {
			e.log.Warn("ledger: batch will be built again", "err", p.err)
		}
	default:
		e.log.Error("ledger: batch failed", "err", p.err, "requests", len(p.reqs))
		failP = true
	}
	var again []*request
	for _, q := range aborted {
		for _, r := range q.reqs {
			if counts {
				r.attempts++
			}
			switch {
			case q == p && failP, r.attempts > maxAttempts:
				if !failP {
					e.log.Warn("ledger: request failed after retries", "attempts", r.attempts, "err", p.err)
				}
				r.reply(fmt.Errorf("%w: %v", ErrUnavailable, p.err))
			default:
				again = append(again, r)
			}
		}
	}
	e.pending = append(again, e.pending...)
	if errors.Is(p.err, errStale) && len(e.pending) == 0 {
		e.build([]*request{}) // nothing to build again: let the lock go
	}
}

// resync asks the committer to bring the store's account rows up to date
// and waits for the head it found. It reports whether that worked.
func (e *Engine) resync() bool {
	p := &plan{kind: planResync, epoch: e.epoch}
	e.outstanding++
	e.plans <- p
	for {
		r := <-e.results
		e.complete(r)
		if r == p {
			return e.headKnown
		}
	}
}

func (e *Engine) resynced(p *plan) {
	if p.err != nil {
		e.log.Error("ledger: cannot read the store; requests fail until it answers", "err", p.err)
		e.failQueued(fmt.Errorf("%w: %v", ErrUnavailable, p.err))
		return
	}
	e.cache.clear()
	e.flush.reset()
	e.spec, e.committed = p.head, p.head
	e.headKnown = true
}

// commitLoop is the committer: it writes plans in order. After a failure
// it discards the rest of that epoch's plans, which were built on it.
func (e *Engine) commitLoop() {
	defer close(e.cDone)
	var (
		failedEpoch uint64
		failed      bool
		c           committer
	)
	ctx := context.Background()
	defer c.release(ctx, e)
	for p := range e.plans {
		switch {
		case failed && p.epoch <= failedEpoch:
			p.err = errAborted
		case p.kind == planResync:
			c.release(ctx, e)
			p.head, p.err = e.resyncStore(ctx)
			if p.err == nil {
				e.syncedTS.Store(p.head.LastTS)
			}
		default:
			p.err = e.write(ctx, &c, p)
		}
		if p.err != nil && p.kind != planResync {
			failed, failedEpoch = true, p.epoch
		}
		e.results <- p
	}
}

// committer is the committer goroutine's own state: the write transaction
// it holds while the validator builds a batch again after another writer
// moved the head.
type committer struct {
	held     Tx
	heldHead Head
	// lockFirstUntil: after another writer was seen, batches take the head
	// lock before their writes, for a while. Writers that all lock first
	// queue on one row; writers that lock nothing before writing account
	// rows could deadlock on those rows.
	lockFirstUntil time.Time
}

func (c *committer) release(ctx context.Context, e *Engine) {
	if c.held != nil {
		if err := c.held.Rollback(ctx); err != nil {
			e.log.Warn("ledger: rollback", "err", err)
		}
		c.held = nil
	}
}

// write commits one plan, then publishes it and answers its requests.
func (e *Engine) write(ctx context.Context, c *committer, p *plan) error {
	started := time.Now()
	p.written = started
	if !p.empty() || c.held != nil {
		if err := e.writeTx(ctx, c, p); err != nil {
			return err
		}
	}
	committed := time.Now()
	for _, en := range p.newEntries {
		en.pub.Store(&snapshot{})
	}
	for i, en := range p.touched {
		en.pub.Store(p.snaps[i])
	}
	e.syncedTS.Store(p.head.LastTS)
	for _, r := range p.reqs {
		r.reply(nil)
	}
	if e.opts.OnBatch != nil {
		p.stats.Write = p.written.Sub(started)
		p.stats.Commit = committed.Sub(p.written)
		e.opts.OnBatch(p.stats)
	}
	return nil
}

// writeTx writes and commits one plan. Normally it takes no lock: the
// commit fails with ErrHeadMoved if another batch committed on the plan's
// base. Then it locks the head, brings the account rows up to date in that
// transaction, keeps it, and reports errStale: the validator builds the
// batch again on the held head, and that one commits.
func (e *Engine) writeTx(ctx context.Context, c *committer, p *plan) (err error) {
	tx := c.held
	switch {
	case tx != nil:
		c.held = nil
		if c.heldHead != p.base {
			return e.hold(ctx, c, p, tx, c.heldHead)
		}
	case time.Now().Before(c.lockFirstUntil):
		var head Head
		if tx, head, err = e.store.Begin(ctx); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if head != p.base {
			c.lockFirstUntil = time.Now().Add(lockFirstFor)
			return e.hold(ctx, c, p, tx, head)
		}
	default:
		if tx, err = e.store.BeginUnlocked(ctx); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
	}
	if err := p.writeTo(ctx, tx); err != nil {
		_ = tx.Rollback(ctx)
		if errors.Is(err, ErrHeadMoved) {
			c.lockFirstUntil = time.Now().Add(lockFirstFor)
			return e.lockAndHold(ctx, c, p)
		}
		return err
	}
	p.written = time.Now()
	if err := tx.Commit(ctx); err != nil {
		if errors.Is(err, ErrHeadMoved) || errors.Is(err, ErrConflict) {
			c.lockFirstUntil = time.Now().Add(lockFirstFor)
		}
		if errors.Is(err, ErrHeadMoved) {
			return e.lockAndHold(ctx, c, p)
		}
		// A duplicate id or a serialisation failure at commit time means the
		// store rolled back; any other error leaves the outcome unknown.
		p.unknown = !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrConflict)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// lockAndHold takes the head lock after a plan found the head moved.
func (e *Engine) lockAndHold(ctx context.Context, c *committer, p *plan) error {
	tx, head, err := e.store.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return e.hold(ctx, c, p, tx, head)
}

// hold brings the account rows up to date inside tx, which holds the head,
// and keeps tx for the plan the validator builds again.
func (e *Engine) hold(ctx context.Context, c *committer, p *plan, tx Tx, head Head) error {
	recs, err := resyncTx(ctx, tx, &head)
	if err != nil {
		_ = tx.Rollback(ctx)
		return fmt.Errorf("resync: %w", err)
	}
	c.held, c.heldHead, p.held, p.resynced = tx, head, head, recs
	return errStale
}

// resyncStore runs when the engine starts, or no longer trusts its memory
// (a commit whose outcome was unknown): in one transaction it brings every
// account row up to date and moves the checkpoint to the head.
func (e *Engine) resyncStore(ctx context.Context) (head Head, err error) {
	tx, head, err := e.store.Begin(ctx)
	if err != nil {
		return head, fmt.Errorf("begin: %w", err)
	}
	if _, err := resyncTx(ctx, tx, &head); err != nil {
		_ = tx.Rollback(ctx)
		return head, err
	}
	if err := tx.Commit(ctx); err != nil {
		return head, fmt.Errorf("commit: %w", err)
	}
	return head, nil
}

// resyncTx brings the rows of every account changed after the checkpoint
// up to date with the transfers, moves the checkpoint to the head, and
// returns those accounts.
func resyncTx(ctx context.Context, tx Tx, head *Head) ([]*entry, error) {
	changed := map[int64]struct{}{}
	var keys []int64
	err := tx.TransfersAfter(ctx, head.CheckpointTS, func(r *TransferRecord) error {
		for _, k := range [2]int64{r.DebitKey, r.CreditKey} {
			if _, ok := changed[k]; !ok {
				changed[k] = struct{}{}
				keys = append(keys, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []*entry
	if len(keys) > 0 {
		recs, err := tx.AccountsByKey(ctx, keys)
		if err != nil {
			return nil, err
		}
		if err := replayTail(ctx, tx, head.CheckpointTS, recs); err != nil {
			return nil, err
		}
		// In key order, as every writer locks rows: no deadlock between two.
		slices.SortFunc(recs, func(a, b AccountRecord) int { return cmp.Compare(a.Key, b.Key) })
		if err := tx.WriteAccountChains(ctx, recs); err != nil {
			return nil, err
		}
		out = make([]*entry, len(recs))
		for i := range recs {
			out[i] = &entry{key: recs[i].Key, acct: recs[i].Account, st: recs[i].Chain}
		}
	}
	if head.CheckpointTS != head.LastTS {
		// A commit of its own: every row is now current up to the head.
		base := *head
		head.LastTS++
		head.CheckpointTS = head.LastTS
		if err := tx.Advance(ctx, base, *head); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// replayTail brings account rows up to date with the transfers after ts.
func replayTail(ctx context.Context, tx Tx, ts int64, recs []AccountRecord) error {
	byKey := make(map[int64]*AccountRecord, len(recs))
	for i := range recs {
		byKey[recs[i].Key] = &recs[i]
	}
	return tx.TransfersAfter(ctx, ts, func(r *TransferRecord) error {
		for _, k := range [2]int64{r.DebitKey, r.CreditKey} {
			if a := byKey[k]; a != nil {
				if err := applyToChain(&a.Chain, k, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// applyToChain advances an account's chain state by a stored transfer that
// touches it, unless the state already includes it. c must own its Levels.
func applyToChain(c *ChainState, key int64, r *TransferRecord) error {
	if r.TS <= c.HeadTS {
		return nil
	}
	side, _ := r.SideOf(key)
	prev, _, height := c.advance(r.TS)
	if prev != side.PrevTS || height != side.Height {
		return fmt.Errorf("%w: transfer %d does not continue the chain of account %d (prev %d/%d, height %d/%d)",
			ErrCorruptRecord, r.TS, key, side.PrevTS, prev, side.Height, height)
	}
	c.Balance = side.Balance
	return nil
}
