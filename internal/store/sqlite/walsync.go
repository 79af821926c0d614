package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// Durable commits with the flush outside the write lock.
//
// With synchronous=FULL, SQLite flushes the write-ahead log to disk inside
// COMMIT, while the database's one write lock is held: every other writer
// waits for the disk. The hot writers (the ledger engine's connection and
// the services' group commit) instead commit with synchronous=NORMAL —
// the commit is written to the log but not flushed — release the lock,
// and then wait for a flush of the log file (fdatasync). Callers are
// answered only after it, so what they are told is on disk, as with FULL;
// meanwhile the next writer already has the lock. One flush covers every
// commit written before it starts: concurrent waiters share it (group
// flush).
//
// Why this is the durability of FULL: in WAL mode FULL differs from NORMAL
// only by the flush of the log at each commit (the log is flushed before
// each checkpoint, the database file after it, and the log's header when
// the log is reused — in both modes). A commit's frames are either still
// in the log file, which the flush writes out, or were copied into the
// database file by a checkpoint, which flushed them before the log could
// be reused.

type walSyncer struct {
	path string // the write-ahead log: the database's path + "-wal"

	mu       sync.Mutex
	cond     *sync.Cond
	running  bool
	started  uint64 // flushes begun
	finished uint64 // flushes ended
	err      error  // sticky: after a failed flush nothing is known to be durable
}

func newWALSyncer(dbPath string) *walSyncer {
	y := &walSyncer{path: dbPath + "-wal"}
	y.cond = sync.NewCond(&y.mu)
	return y
}

// sync returns once everything committed before the call is on disk.
func (y *walSyncer) sync() error {
	y.mu.Lock()
	defer y.mu.Unlock()
	// A flush already running may have begun before the caller's commit:
	// the next one to begin is the first that surely covers it.
	target := y.started + 1
	for y.finished < target && y.err == nil {
		if y.running {
			y.cond.Wait()
			continue
		}
		y.running = true
		y.started++
		n := y.started
		y.mu.Unlock()
		err := y.flush()
		y.mu.Lock()
		y.running = false
		y.finished = n
		if err != nil && y.err == nil {
			y.err = err
		}
		y.cond.Broadcast()
	}
	return y.err
}

// flush writes the log file's data to disk. The file is opened each time:
// SQLite may delete the log (after a full checkpoint, when its last
// connection closes) and create it again. A log that is not there has
// nothing to flush — its frames were checkpointed and flushed.
func (y *walSyncer) flush() error { return fdatasync(y.path, "the write-ahead log") }

// fdatasync writes a file's data to disk; a file that is not there has
// nothing to write.
func fdatasync(path, what string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: open %s to flush it: %w", what, err)
	}
	defer f.Close()
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("sqlite: flush %s: %w", what, err)
	}
	return nil
}
