package ledgerlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Source is the ledger as the log reads it. Both stores implement it.
type Source interface {
	ReadHead(ctx context.Context) (ledger.Head, error)
	// TransfersAfter returns up to limit transfers with a timestamp in
	// (after, upto], in timestamp order, with their ids filled in.
	TransfersAfter(ctx context.Context, after, upto int64, limit int) ([]ledger.TransferRecord, error)
	ReadTransfer(ctx context.Context, id ledger.ID) (ledger.TransferRecord, error)
}

// Options configure a Log.
type Options struct {
	DB        *sql.DB     // the store's pool; the log's tables are in it (migration 00010)
	Dialect   string      // SQLite or Postgres
	WriteLock sync.Locker // held around writes; nil for none
	Source    Source
	Keys      Keys
	// Origin is the checkpoints' first line; it must be the key's name.
	Origin string
	// CheckpointEvery is the least time between two signed checkpoints of
	// a growing tree; 0 means 1 s.
	CheckpointEvery time.Duration
	// Batch is how many transfers one append reads and writes; 0 means 4,096.
	Batch  int
	Logger *slog.Logger
}

// Log is the transparency log of one ledger.
type Log struct {
	opts Options
	db   *db
	rf   *compact.RangeFactory

	mu     sync.Mutex // one appender at a time
	loaded bool
	size   uint64
	lastTS int64
	rng    *compact.Range
	cpAt   time.Time

	appended atomic.Uint64 // the size as of the last append (for readers)
	latest   atomic.Pointer[StoredCheckpoint]
}

var hasher = rfc6962.DefaultHasher

// New returns the log; it reads nothing until the first Sync.
func New(opts Options) (*Log, error) {
	d, err := newDB(opts.DB, opts.Dialect, opts.WriteLock)
	if err != nil {
		return nil, err
	}
	if opts.Origin == "" {
		opts.Origin = DefaultOrigin
	}
	if opts.Keys.Signer == nil {
		return nil, errors.New("ledgerlog: no signing key")
	}
	if opts.Keys.Signer.Name() != opts.Origin {
		return nil, fmt.Errorf("ledgerlog: the key's name %q is not the origin %q", opts.Keys.Signer.Name(), opts.Origin)
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Log{opts: opts, db: d, rf: &compact.RangeFactory{Hash: hasher.HashChildren}}, nil
}

// VerifierKey returns the public key in the signed-note format.
func (l *Log) VerifierKey() string { return l.opts.Keys.VerifierKey }

// Origin returns the checkpoints' origin line.
func (l *Log) Origin() string { return l.opts.Origin }

// load reads the log's tip and the compact range of its tree.
func (l *Log) load(ctx context.Context) error {
	size, lastTS, err := l.db.tip(ctx)
	if err != nil {
		return err
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := l.db.nodeHashes(ctx, l.db.sql, ids)
	if err != nil {
		return err
	}
	rng, err := l.rf.NewRange(0, size, hashes)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	l.size, l.lastTS, l.rng, l.loaded = size, lastTS, rng, true
	l.appended.Store(size)
	if c, err := l.db.checkpoint(ctx, -1); err == nil {
		l.latest.Store(&c)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("ledgerlog: read checkpoint: %w", err)
	}
	return nil
}

// Load reads the log's tip and newest checkpoint, so that the log answers
// before its first append.
func (l *Log) Load(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded {
		return nil
	}
	return l.load(ctx)
}

// Sync appends every transfer committed since the last append, and signs a
// checkpoint if the tree grew and the last one is older than
// CheckpointEvery (or if there is none yet).
func (l *Log) Sync(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.sync(ctx); err != nil {
		l.loaded = false // read the tip again next time
		return err
	}
	return nil
}

func (l *Log) sync(ctx context.Context) error {
	if !l.loaded {
		if err := l.load(ctx); err != nil {
			return err
		}
	}
	head, err := l.opts.Source.ReadHead(ctx)
	if err != nil {
		return err
	}
	for l.lastTS < head.LastTS {
		recs, err := l.opts.Source.TransfersAfter(ctx, l.lastTS, head.LastTS, l.opts.Batch)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		if err := l.append(ctx, recs); err != nil {
			return err
		}
	}
	return l.maybeCheckpoint(ctx, false)
}

// append adds the transfers (in timestamp order, all after lastTS) as leaves.
func (l *Log) append(ctx context.Context, recs []ledger.TransferRecord) error {
	hashes := make([][]byte, len(recs))
	ts := make([]int64, len(recs))
	buf := make([]byte, 0, 256)
	for i := range recs {
		buf = AppendLeaf(buf[:0], recs[i].Transfer())
		hashes[i], ts[i] = HashLeaf(buf), recs[i].TS
	}
	return l.appendHashes(ctx, hashes, ts)
}

// appendHashes appends leaves by their hashes and commit timestamps.
func (l *Log) appendHashes(ctx context.Context, leafHashes [][]byte, ts []int64) error {
	rows := make([]leafRow, len(leafHashes))
	var cur *leafRow
	var visitErr error
	visit := func(id compact.NodeID, hash []byte) {
		if r, off := nodeRow(id); r != cur.idx || off != len(cur.hashes) {
			visitErr = fmt.Errorf("ledgerlog: node %d/%d out of order", id.Level, id.Index)
			return
		}
		cur.hashes = append(cur.hashes, hash...)
	}
	for i, h := range leafHashes {
		idx := l.size + uint64(i)
		cur = &rows[i]
		*cur = leafRow{idx: idx, ts: ts[i], hashes: make([]byte, 0, hashSize*(1+bits.TrailingZeros64(idx+1)))}
		if err := l.rng.Append(h, visit); err != nil {
			return err
		}
		if visitErr != nil {
			return visitErr
		}
	}
	if err := l.db.insertLeaves(ctx, rows); err != nil {
		return err
	}
	l.size += uint64(len(rows))
	l.lastTS = ts[len(ts)-1]
	l.appended.Store(l.size)
	return nil
}

func (l *Log) maybeCheckpoint(ctx context.Context, force bool) error {
	last := l.latest.Load()
	if last != nil && last.Size >= l.size {
		return nil
	}
	if !force && last != nil && time.Since(l.cpAt) < l.opts.CheckpointEvery {
		return nil
	}
	root, err := l.rng.GetRootHash(nil)
	if err != nil {
		return err
	}
	if root == nil {
		root = hasher.EmptyRoot()
	}
	now := time.Now()
	signed, err := Checkpoint{Origin: l.opts.Origin, Size: l.size, Root: root}.Sign(l.opts.Keys.Signer)
	if err != nil {
		return fmt.Errorf("ledgerlog: sign: %w", err)
	}
	c := StoredCheckpoint{Size: l.size, Root: root, Note: signed, CreatedAt: now.UnixNano()}
	if err := l.db.insertCheckpoint(ctx, c); err != nil {
		return err
	}
	l.cpAt = now
	l.latest.Store(&c)
	return nil
}

// Flush appends everything committed and signs a checkpoint of it now.
func (l *Log) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.sync(ctx)
	if err == nil {
		err = l.maybeCheckpoint(ctx, true)
	}
	if err != nil {
		l.loaded = false
	}
	return err
}

// Run appends and signs every interval until ctx ends, then flushes.
func (l *Log) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := l.Flush(fctx); err != nil {
				l.opts.Logger.Warn("transparency log: final append", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
		err := l.Sync(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			l.opts.Logger.Warn("transparency log: append failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			l.opts.Logger.Info("transparency log: appending again")
			failing = false
		}
	}
}

// Size returns the number of leaves this process has seen in the log.
func (l *Log) Size() uint64 { return l.appended.Load() }

// Errors of the log's queries.
var (
	ErrUnknownTransfer = errors.New("no such transfer")
	ErrNotLogged       = errors.New("the transfer is not in the log yet")
	ErrBeyondLog       = errors.New("the tree size is beyond the log")
	ErrBadRange        = errors.New("bad tree sizes")
	ErrNoCheckpoint    = errors.New("no checkpoint of that size")
)

// Latest returns the newest signed checkpoint.
func (l *Log) Latest(ctx context.Context) (StoredCheckpoint, error) {
	if c := l.latest.Load(); c != nil {
		return *c, nil
	}
	c, err := l.db.checkpoint(ctx, -1)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCheckpoint
	}
	return c, err
}

// CheckpointAt returns the signed checkpoint of a tree size.
func (l *Log) CheckpointAt(ctx context.Context, size uint64) (StoredCheckpoint, error) {
	c, err := l.db.checkpoint(ctx, int64(size))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCheckpoint
	}
	return c, err
}

// Leaf is a transfer's place in the log.
type Leaf struct {
	Index    uint64
	Hash     []byte
	Transfer ledger.Transfer
	Encoded  []byte // the canonical encoding (EncodeLeaf)
}

// LeafOf returns the leaf of a transfer: ErrUnknownTransfer if the ledger
// has no such transfer, ErrNotLogged if it is not appended yet.
func (l *Log) LeafOf(ctx context.Context, id ledger.ID) (Leaf, error) {
	rec, err := l.opts.Source.ReadTransfer(ctx, id)
	if errors.Is(err, ledger.ErrNotFound) {
		return Leaf{}, ErrUnknownTransfer
	}
	if err != nil {
		return Leaf{}, err
	}
	row, err := l.db.leafAt(ctx, rec.TS)
	if errors.Is(err, sql.ErrNoRows) {
		return Leaf{}, ErrNotLogged
	}
	if err != nil {
		return Leaf{}, fmt.Errorf("ledgerlog: read leaf: %w", err)
	}
	if len(row.hashes) < hashSize {
		return Leaf{}, fmt.Errorf("%w: leaf %d", ErrCorrupt, row.idx)
	}
	t := rec.Transfer()
	return Leaf{Index: row.idx, Hash: row.hashes[:hashSize], Transfer: t, Encoded: EncodeLeaf(t)}, nil
}

// Inclusion returns the inclusion proof of leaf index in the tree of size.
func (l *Log) Inclusion(ctx context.Context, index, size uint64) ([][]byte, error) {
	if size > l.Size() {
		return nil, ErrBeyondLog
	}
	if index >= size {
		return nil, fmt.Errorf("%w: leaf %d is not in a tree of size %d", ErrBadRange, index, size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRange, err)
	}
	return l.rehash(ctx, nodes)
}

// Consistency returns the consistency proof between two tree sizes.
func (l *Log) Consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	if to > l.Size() {
		return nil, ErrBeyondLog
	}
	if from == 0 || from > to {
		return nil, fmt.Errorf("%w: want 1 ≤ from ≤ to", ErrBadRange)
	}
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRange, err)
	}
	return l.rehash(ctx, nodes)
}

func (l *Log) rehash(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := l.db.nodeHashes(ctx, l.db.sql, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// Root computes the root hash of the tree of a size from the stored nodes.
func (l *Log) Root(ctx context.Context, size uint64) ([]byte, error) {
	if size > l.Size() {
		return nil, ErrBeyondLog
	}
	return rootOf(ctx, l.db, l.rf, size)
}

func rootOf(ctx context.Context, d *db, rf *compact.RangeFactory, size uint64) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	hashes, err := d.nodeHashes(ctx, d.sql, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	rng, err := rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return rng.GetRootHash(nil)
}
