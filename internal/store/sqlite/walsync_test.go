package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The engine's connection commits without flushing (the flush follows,
// outside the write lock); every other connection keeps FULL.
func TestSynchronousSettings(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	var writer int64 = -1
	if err := s.w.query(ctx, "PRAGMA synchronous", nil, func(v []driver.Value) error { writer = v[0].(int64); return nil }); err != nil {
		t.Fatal(err)
	}
	var pool int64
	if err := s.db.QueryRow("PRAGMA synchronous").Scan(&pool); err != nil {
		t.Fatal(err)
	}
	if writer != 1 || pool != 2 { // NORMAL = 1, FULL = 2
		t.Fatalf("synchronous: writer %d (want 1, NORMAL), pool %d (want 2, FULL)", writer, pool)
	}
}

func TestWALSyncerSharesFlushes(t *testing.T) {
	dir := t.TempDir()
	y := newWALSyncer(filepath.Join(dir, "slt.db"))
	// No log file: nothing to flush, and no error.
	if err := y.sync(); err != nil {
		t.Fatalf("no log: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "slt.db-wal"), []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	const callers = 64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() { errs <- y.sync() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	y.mu.Lock()
	flushes := y.finished
	y.mu.Unlock()
	// Each caller's flush began after it called; callers that came while
	// one ran share the next.
	if flushes < 2 || flushes > callers+1 {
		t.Fatalf("%d flushes for %d callers", flushes, callers)
	}
}

func TestWALSyncerErrorSticks(t *testing.T) {
	dir := t.TempDir()
	y := newWALSyncer(filepath.Join(dir, "slt.db"))
	// A log that can not be opened for the flush (a directory is opened,
	// but fdatasync on it succeeds; a dangling symbolic link loops): use
	// a symlink loop.
	if err := os.Symlink(filepath.Join(dir, "slt.db-wal"), filepath.Join(dir, "slt.db-wal")); err != nil {
		t.Fatal(err)
	}
	if err := y.sync(); err == nil {
		t.Fatal("a flush that failed reported success")
	}
	_ = os.Remove(filepath.Join(dir, "slt.db-wal"))
	if err := y.sync(); err == nil {
		t.Fatal("after a failed flush, a later one reported success: nothing is known to be durable")
	}
}

func TestWriteLockTellsWhenWanted(t *testing.T) {
	l := newWriteLock()
	l.Lock()
	if l.Waiting() {
		t.Fatal("nobody waits yet")
	}
	got := make(chan struct{})
	go func() {
		l.Lock()
		close(got)
		l.Unlock()
	}()
	select {
	case <-l.Wanted():
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting writer was not announced")
	}
	for !l.Waiting() {
		time.Sleep(time.Millisecond)
	}
	l.Unlock()
	<-got
	if l.Waiting() {
		t.Fatal("the writer got the lock, yet one still waits")
	}
}

// Under a steady stream of writes and of readers, the write-ahead log is
// restarted: it stays a bounded size instead of growing with everything
// ever written.
func TestCheckpointKeepsTheLogShort(t *testing.T) {
	s := openTempOpts(t, Options{checkpointEvery: 200 * time.Millisecond}) // a few rounds while it writes
	path := s.path
	s.restartFrames = 64
	if _, err := s.db.Exec("CREATE TABLE blobs (k INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 { // readers, always one in a read transaction
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				_ = s.db.QueryRow("SELECT count(*) FROM blobs").Scan(&n)
			}
		})
	}
	row := make([]byte, 8192) // two pages a row
	const rows = 3000         // about 24 MiB written
	for k := range rows {
		s.writeMu.Lock()
		_, err := s.db.Exec("INSERT INTO blobs (k, v) VALUES (?, ?)", k, row)
		s.writeMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Restarted every round (200 ms) or so, the log stays well below what
	// was written (never restarted, it is about twice that: the pages and
	// the index's).
	if fi.Size() > int64(rows*len(row))/2 {
		t.Fatalf("the log is %d MiB after %d MiB written: it is not restarted", fi.Size()>>20, rows*len(row)>>20)
	}
}

// A reader of old frames keeps the log from being restarted: the restart
// gives up (no error) and the log stays; once the reader is gone, the next
// checkpoint restarts it.
func TestRestartWaitsForOldReaders(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	s.restartFrames = 16
	if _, err := s.db.Exec("CREATE TABLE blobs (k INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	write := func(from, n int) {
		t.Helper()
		for k := from; k < from+n; k++ {
			s.writeMu.Lock()
			_, err := s.db.Exec("INSERT INTO blobs (k, v) VALUES (?, ?)", k, make([]byte, 8192))
			s.writeMu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	frames := func() int64 {
		t.Helper()
		var busy, frames, copied int64
		if err := s.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		return frames
	}
	write(0, 20)
	reader, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM blobs").Scan(&n); err != nil || n != 20 {
		t.Fatalf("reader: %d rows, %v", n, err)
	}
	write(20, 20) // frames the reader does not see
	if err := s.checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint with a reader of old frames: %v", err)
	}
	write(40, 1)
	if f := frames(); f <= s.restartFrames {
		t.Fatalf("the log was restarted under a reader of its old frames (%d frames)", f)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := s.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	write(41, 1)
	if f := frames(); f > s.restartFrames {
		t.Fatalf("the log was not restarted once the reader was gone: %d frames", f)
	}
}

// openTemp opens a store in a temporary directory, closed when the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	return openTempOpts(t, Options{})
}

func openTempOpts(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "slt.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
