package ledger

import "time"

// Every bound of the ledger, in one place, each with the reason for its value.
const (
	// MaxTransfersPerRequest bounds one call of CreateTransfers: large enough
	// for bulk clients (TigerBeetle takes 8,190 per request), small enough
	// that one request can not hold the writer for long.
	MaxTransfersPerRequest = 8000

	// MaxAccountsPerRequest bounds one call of CreateAccounts, for the same reason.
	MaxAccountsPerRequest = 8000

	// maxBatchEvents bounds how many accounts and transfers one database
	// transaction commits. Batches grow with load up to this size; beyond
	// it, commit time (and so latency) grows without raising throughput.
	maxBatchEvents = 16384

	// queueRequests bounds the requests waiting for the writer. A full queue
	// blocks callers (back-pressure) until their context ends.
	queueRequests = 4096

	// MaxReferenceBytes bounds a transfer's reference (an order number, a
	// URN of the business object); it is stored with every transfer.
	MaxReferenceBytes = 128

	// MaxOwnerBytes bounds an account's owner reference.
	MaxOwnerBytes = 128

	// MaxTimeoutSeconds bounds a pending transfer's timeout: 90 days covers
	// card-style holds; a longer hold is a different product.
	MaxTimeoutSeconds = 90 * 24 * 3600

	// MaxPageSize bounds one page of an account's transfers.
	MaxPageSize = 1000

	// flushRoundInterval is the least time between the starts of two flush
	// rounds (see flush.go): rows of busy accounts are written at most this
	// often, and the tail readers apply is at most about twice this long.
	flushRoundInterval = 2 * time.Second

	// flushRoundSpread is how long a round's writes are spread over;
	// flushSpreadSteps is how many batches the first chunk stands for.
	flushRoundSpread = time.Second
	flushSpreadSteps = 50

	// flushChunkMin is the least number of account rows a batch writes
	// while a round runs, so that rounds end even when batches are rare.
	flushChunkMin = 16

	// expirySweepInterval is how often an idle engine looks for pending
	// transfers whose timeout has passed; a busy engine looks every batch.
	expirySweepInterval = 250 * time.Millisecond

	// expiryBatch bounds the expired pending transfers voided per batch.
	expiryBatch = 1024

	// DefaultCacheAccounts bounds the accounts the writer keeps in memory
	// (about 450 bytes each with the maps that index them). Clean accounts
	// beyond it are evicted and reloaded from the store when next used.
	DefaultCacheAccounts = 100_000

	// maxInflight bounds the batches validated but not yet committed: one
	// committing and one waiting keep both the validator and the database
	// busy; more would only lengthen what a failed commit must undo.
	maxInflight = 2

	// maxAttempts bounds how often one request is built again after the
	// commit of its batch failed (a duplicate id, another writer, a commit
	// with an unknown outcome) before it is failed with ErrUnavailable.
	maxAttempts = 5

	// lockFirstFor is how long batches lock the head before writing after
	// the engine last met another writer (see committer.lockFirstUntil).
	lockFirstFor = 10 * time.Second
)
