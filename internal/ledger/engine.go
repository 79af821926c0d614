package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Engine is the ledger's single writer. Callers submit accounts and
// transfers; one goroutine drains the queue in batches, validates each batch
// in order in memory, commits it in one database transaction (group
// commit), and only then answers every caller in the batch. Under load the
// queue fills while a batch commits, so batches grow with load: this is
// what makes a hot account, credited by every transfer, as fast as many
// cold ones.
//
// Several engines (processes) may share one PostgreSQL database: each write
// transaction locks the head row first, and an engine trusts its cache only
// when the head shows that nobody else has written since its own last
// commit; otherwise it rebuilds its view from the store (see resync).
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

	// Owned by the writer goroutine.
	lastSeenTS int64 // head.LastTS after our last commit; 0 before the first
	gen        uint64
	flush      flushState
	carry       *request // a request that did not fit into the last batch
	lastBatch   time.Time
	lastSweepNS int64    // when the last sweep found every expired pending transfer
}

// Options configure an engine. The zero value is usable.
type Options struct {
	// Now returns the current time; tests set it to control timeouts.
	Now func() time.Time
	// Logger receives the engine's messages; slog.Default() if nil.
	Logger *slog.Logger
	// CacheAccounts bounds the accounts kept in memory.
	CacheAccounts int
	// OnBatch is called by the writer after each committed batch.
	OnBatch func(BatchStats)
}

// BatchStats describe one committed batch.
type BatchStats struct {
	Requests  int
	Accounts  int // account events (created or not)
	Transfers int // transfer events (created or not)
	Created   int // transfers created
	Validate  time.Duration // from the start of the transaction to the end of validation
	Write     time.Duration // sending the batch to the store
	Commit    time.Duration // the commit itself (durable on return)
	Retried   bool          // rebuilt after a duplicate id
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
)

type requestKind uint8

const (
	kindAccounts requestKind = iota
	kindTransfers
	kindSweep // internal: voids of expired pending transfers
	kindFlush // internal: write every dirty account row
)

type request struct {
	kind      requestKind
	accounts  []Account
	transfers []Transfer
	aResults  []AccountResult
	tResults  []TransferResult
	done      chan error
}

func (r *request) events() int { return len(r.accounts) + len(r.transfers) }

// New starts an engine on store.
func New(store Store, opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CacheAccounts <= 0 {
		opts.CacheAccounts = defaultCacheAccounts
	}
	e := &Engine{
		store: store,
		opts:  opts,
		log:   opts.Logger,
		queue: make(chan *request, queueRequests),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		cache: newCache(opts.CacheAccounts),
	}
	e.flush.reset()
	go e.run()
	return e
}

// QueueDepth returns the number of requests waiting for the writer.
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
	// Once queued, the request will be committed or failed by the writer;
	// the caller waits for that even if its context ends, because giving up
	// here would not stop the commit.
	return <-r.done
}

// Close stops taking new work, commits everything already queued, writes
// every account row, and returns when the writer has stopped.
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

func (e *Engine) run() {
	defer close(e.done)
	tick := time.NewTicker(expirySweepInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-e.queue:
			e.process(e.collect(r))
		case <-tick.C:
			e.idle()
		case <-e.quit:
			e.drain()
			return
		}
	}
}

// collect builds a batch: first, then whatever else is queued, up to the
// batch bound.
func (e *Engine) collect(first *request) []*request {
	batch := make([]*request, 0, 64)
	n := 0
	if e.carry != nil {
		batch = append(batch, e.carry)
		n += e.carry.events()
		e.carry = nil
	}
	add := func(r *request) bool {
		if n > 0 && n+r.events() > maxBatchEvents {
			e.carry = r
			return false
		}
		batch = append(batch, r)
		n += r.events()
		return true
	}
	if !add(first) {
		return batch
	}
	for n < maxBatchEvents {
		select {
		case r := <-e.queue:
			if !add(r) {
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
	for {
		var first *request
		if e.carry != nil {
			first, e.carry = e.carry, nil
		} else {
			select {
			case first = <-e.queue:
			default:
			}
		}
		if first == nil {
			break
		}
		e.process(e.collect(first))
	}
	e.process([]*request{{kind: kindFlush, done: make(chan error, 1)}})
}

// idle runs when no request came for a while: void expired pending
// transfers and write dirty account rows, so the store's tail stays short.
func (e *Engine) idle() {
	if time.Since(e.lastBatch) < expirySweepInterval {
		return // busy: batches sweep and flush as they go
	}
	var batch []*request
	if e.flush.pending() {
		batch = append(batch, &request{kind: kindFlush, done: make(chan error, 1)})
	}
	if e.opts.Now().UnixNano()-e.lastSweepNS >= int64(expirySweepInterval) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ts, ok, err := e.store.NextExpiry(ctx)
		cancel()
		if err != nil {
			e.log.Warn("ledger: looking for expired pending transfers", "err", err)
		} else if ok && ts <= e.opts.Now().UnixNano() {
			batch = append(batch, &request{kind: kindSweep, done: make(chan error, 1)})
		}
	}
	if len(batch) > 0 {
		e.process(batch)
	}
}

// process commits one batch and answers its requests.
func (e *Engine) process(batch []*request) {
	err := e.commitBatch(batch)
	e.lastBatch = time.Now()
	for _, r := range batch {
		r.done <- err
	}
	e.cache.evictClean()
}

func (e *Engine) commitBatch(batch []*request) error {
	ctx := context.Background()
	lookupAll := false
	for attempt := 0; ; attempt++ {
		stats, err := e.tryBatch(ctx, batch, lookupAll)
		if err == nil {
			stats.Retried = lookupAll
			if e.opts.OnBatch != nil {
				e.opts.OnBatch(stats)
			}
			return nil
		}
		if errors.Is(err, ErrDuplicate) && attempt < maxDuplicateRetries {
			lookupAll = true
			continue
		}
		if errors.Is(err, ErrConflict) && attempt < maxConflictRetries {
			e.forget()
			continue
		}
		e.log.Error("ledger: batch failed", "err", err, "requests", len(batch))
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
}

// tryBatch runs one write transaction for the batch. On any error nothing
// of the batch is in the engine's memory; the store rolled back, unless
// the error came from the commit itself, in which case the next batch's
// head check finds out what happened.
func (e *Engine) tryBatch(ctx context.Context, batch []*request, lookupAll bool) (BatchStats, error) {
	started := time.Now()
	tx, head, err := e.store.Begin(ctx)
	if err != nil {
		return BatchStats{}, fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			if rerr := tx.Rollback(ctx); rerr != nil {
				e.log.Warn("ledger: rollback", "err", rerr)
			}
		}
	}()

	recovered := false
	if head.LastTS != e.lastSeenTS {
		if err := e.resync(ctx, tx, &head); err != nil {
			return BatchStats{}, fmt.Errorf("resync: %w", err)
		}
		recovered = true
	}

	e.gen++
	b := newBatch(e, head)
	if err := b.prepare(ctx, tx, batch, lookupAll); err != nil {
		return BatchStats{}, err
	}
	b.run(batch)
	validated := time.Now()

	if err := b.write(ctx, tx); err != nil {
		if recovered {
			// The head row was rewritten by resync inside this transaction,
			// which is rolled back: forget what resync learnt.
			e.forget()
		}
		return BatchStats{}, err
	}
	written := time.Now()
	err = tx.Commit(ctx)
	committed = true
	if err != nil {
		// The outcome is unknown: forget the cache; the next batch compares
		// the head with lastSeenTS and resynchronises.
		e.forget()
		return BatchStats{}, fmt.Errorf("commit: %w", err)
	}
	b.apply()
	return BatchStats{
		Requests:  len(batch),
		Accounts:  b.accountEvents,
		Transfers: b.transferEvents,
		Created:   len(b.rows),
		Validate:  validated.Sub(started),
		Write:     written.Sub(validated),
		Commit:    time.Since(written),
	}, nil
}

// forget drops everything the writer holds in memory.
func (e *Engine) forget() {
	e.cache.clear()
	e.flush.reset()
	e.lastSeenTS = -1 // never equal to a head: the next batch resynchronises
	e.syncedTS.Store(-1)
}

// resync runs when the head shows writes this engine did not make (another
// process, a commit whose outcome was unknown, or a fresh start). It drops
// the cache, then brings every account row up to date with the transfers
// after the checkpoint and moves the checkpoint to the head, all inside
// the caller's transaction.
func (e *Engine) resync(ctx context.Context, tx Tx, head *Head) error {
	e.forget()
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
		return err
	}
	if len(keys) > 0 {
		recs, err := tx.AccountsByKey(ctx, keys)
		if err != nil {
			return err
		}
		if err := replayTail(ctx, tx, head.CheckpointTS, recs); err != nil {
			return err
		}
		if err := tx.WriteAccountChains(ctx, recs); err != nil {
			return err
		}
	}
	head.CheckpointTS = head.LastTS
	if err := tx.SetHead(ctx, *head); err != nil {
		return err
	}
	e.log.Debug("ledger: resynchronised with the store", "accounts", len(keys), "head", head.LastTS)
	return nil
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
// touches it, unless the state already includes it.
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
