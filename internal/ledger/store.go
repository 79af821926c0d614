package ledger

import (
	"context"
	"errors"
)

// Store is the database behind the engine. Implementations live in
// internal/store/sqlite and internal/store/postgres; one conformance suite
// runs the same tests against both.
type Store interface {
	Reader

	// Exclusive reports whether this process is the only one that can
	// write (an embedded database held under an exclusive lock).
	Exclusive() bool

	// Begin starts a write transaction and locks the head: until it ends no
	// other batch can commit, and every read inside it sees everything
	// committed before. Resync uses it.
	Begin(ctx context.Context) (Tx, Head, error)
	// BeginUnlocked starts a write transaction that takes no lock: its
	// writes may run beside another batch's, and Advance and Commit find out
	// whether the head it was built on is still the head.
	BeginUnlocked(ctx context.Context) (Tx, error)
}

// A TransferEncoder turns transfers into what its store sends to the
// database. The engine calls it while it builds a batch, beside the commit
// of the previous one, so that the committer only sends bytes.
type TransferEncoder interface {
	EncodeTransfers(transfers []TransferRecord) any
}

// Lookups are the reads the engine makes while it validates a batch. They
// run outside the write transaction, beside the commit of the previous
// batch; the head check at commit time catches anything they missed.
type Lookups interface {
	// AccountsByID returns the stored rows of the accounts that exist.
	AccountsByID(ctx context.Context, ids []ID) ([]AccountRecord, error)
	// TransfersByID returns the stored transfers with these ids, with their
	// account ids and pending id filled in.
	TransfersByID(ctx context.Context, ids []ID) ([]TransferRecord, error)
	// Resolutions returns, for each of the pending transfers' timestamps
	// that has been posted or voided, the flags of the transfer that did it.
	Resolutions(ctx context.Context, pendingTS []int64) (map[int64]TransferFlags, error)
	// ExpiredPending returns up to limit pending transfers whose timeout is
	// at or before now and that are still pending.
	ExpiredPending(ctx context.Context, now int64, limit int) ([]TransferRecord, error)
}

// Tx is one write transaction of the engine.
type Tx interface {
	// AccountsByKey returns the stored rows of the accounts with these keys.
	AccountsByKey(ctx context.Context, keys []int64) ([]AccountRecord, error)
	// TransfersAfter calls fn for every transfer with a timestamp after ts,
	// in timestamp order. The record passed to fn is reused between calls.
	TransfersAfter(ctx context.Context, ts int64, fn func(*TransferRecord) error) error
	// InsertAccounts inserts new accounts. An id that already exists is
	// reported as ErrDuplicate.
	InsertAccounts(ctx context.Context, accounts []AccountRecord) error
	// InsertTransfers appends transfers; encoded is what the store's
	// TransferEncoder made of them, or nil. An id that already exists is
	// reported as ErrDuplicate, here or by Commit (the store may send its
	// writes with the commit); either way nothing of the transaction stays.
	InsertTransfers(ctx context.Context, transfers []TransferRecord, encoded any) error
	// InsertTimeouts records when pending transfers expire.
	InsertTimeouts(ctx context.Context, timeouts []Timeout) error
	// DeleteTimeouts forgets the timeouts of resolved pending transfers.
	DeleteTimeouts(ctx context.Context, pendingTS []int64) error
	// WriteAccountChains writes the balances and chain state of accounts;
	// a row already newer than the state given is left alone.
	WriteAccountChains(ctx context.Context, accounts []AccountRecord) error
	// Advance records that this transaction moves the head from base to
	// head. If base is no longer the head, Commit (or Advance) fails with
	// ErrHeadMoved and nothing of the transaction stays.
	Advance(ctx context.Context, base, head Head) error

	// Commit makes the transaction durable. ErrDuplicate, ErrConflict or
	// ErrHeadMoved means it was rolled back; any other error leaves the
	// outcome unknown.
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Reader answers queries outside the write path; its reads may run in
// parallel with the engine's writes.
type Reader interface {
	Lookups
	// ReadHead returns the head: the newest commit.
	ReadHead(ctx context.Context) (Head, error)
	// ReadAccount returns an account's row and, read in the same snapshot,
	// the transfers touching it after its row's last write and after the
	// checkpoint, oldest first. ErrNotFound if there is no such account.
	ReadAccount(ctx context.Context, id ID) (AccountRecord, []TransferRecord, error)
	// ReadAccountIDs returns the ids of the accounts with these keys.
	ReadAccountIDs(ctx context.Context, keys []int64) (map[int64]ID, error)
	// ReadTransfer returns a transfer by id, ErrNotFound if none.
	ReadTransfer(ctx context.Context, id ID) (TransferRecord, error)
	// WalkAccount returns up to limit transfers of the account with key,
	// starting with the one at timestamp start (which must touch the
	// account) and following the account's previous-transfer pointers,
	// stopping before the first transfer older than minTS.
	WalkAccount(ctx context.Context, key, start, minTS int64, limit int) ([]TransferRecord, error)
	// ReadTransferAt returns the transfer with timestamp ts.
	ReadTransferAt(ctx context.Context, ts int64) (TransferRecord, error)
	// NextExpiry returns the earliest timeout of a pending transfer.
	NextExpiry(ctx context.Context) (ts int64, ok bool, err error)
	// Snapshot opens a consistent read-only view of the whole ledger.
	Snapshot(ctx context.Context) (Snapshot, error)
}

// Snapshot is a consistent read-only view of the ledger, for the checker
// and for exports. Close it when done.
type Snapshot interface {
	Head() Head
	// ScanAccounts calls fn for every account, in key order. The record
	// passed to fn is reused between calls.
	ScanAccounts(ctx context.Context, fn func(*AccountRecord) error) error
	// ScanTransfers calls fn for every transfer, in timestamp order. The
	// record passed to fn is reused between calls.
	ScanTransfers(ctx context.Context, fn func(*TransferRecord) error) error
	// ScanTimeouts calls fn for every recorded timeout.
	ScanTimeouts(ctx context.Context, fn func(Timeout) error) error
	Close() error
}

// Timeout is when a pending transfer expires.
type Timeout struct {
	PendingTS int64
	ExpiresAt int64
}

var (
	// ErrNotFound: no such account or transfer.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a unique id already exists in the store.
	ErrDuplicate = errors.New("duplicate id")
	// ErrConflict: the store aborted the transaction because of concurrent
	// transactions (serialisation failure); running it again may succeed.
	ErrConflict = errors.New("transaction conflict")
	// ErrHeadMoved: another batch committed on the head this one was built
	// on, or the head it was built on never committed.
	ErrHeadMoved = errors.New("the head moved")
)
