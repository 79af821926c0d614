package store_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
)

// The crash test runs a child process (this test binary again, in
// TestCrashChild) that loads the ledger from several goroutines, kills it
// with SIGKILL at a random moment, and then proves in the parent that
// nothing acknowledged was lost, nothing was applied twice, and the ledger
// is consistent.
//
// The child's stdout is its journal, one line each:
//
//	READY                        accounts exist, load starts
//	SUBMIT <id> <batch> <json>   a transfer of batch <batch>, before it is submitted
//	SEND <batch> <n>             batch <batch> (n transfers) is complete; CreateTransfers follows
//	ACK <id> <result>            CreateTransfers returned: the transfer is created or exists
//	FAIL <id> <result>           CreateTransfers returned: the transfer failed
//	ERR <batch> <error>          CreateTransfers returned an error
//
// A batch's SUBMIT and SEND lines are flushed before CreateTransfers is
// called, and its ACK and FAIL lines when it returns, so every ACK printed
// is an acknowledged transfer, and every transfer that may have reached the
// ledger has a complete batch in the journal.

const (
	crashChildEnv = "SLT_CRASH_CHILD" // "1": TestCrashChild is the child
	crashDSNEnv   = "SLT_CRASH_DSN"
	crashSeedEnv  = "SLT_CRASH_SEED"
	crashRoundEnv = "SLT_CRASH_ROUND"
	// crashTestSeedEnv makes the parent reuse a seed that it logged.
	crashTestSeedEnv = "SLT_CRASH_TEST_SEED"

	crashRounds   = 8 // per store
	crashWallets  = 200
	crashWorkers  = 4 // the child's goroutines submitting batches
	crashCurrency = "CNY"
	// About this many acknowledged transfers per round are also read
	// through the engine's LookupTransfer (all are read in bulk).
	crashLookupSample = 50
	// crashRequestMax bounds a request of the parent's resubmission.
	crashRequestMax = 512
	// crashMaxErrors bounds the failures reported per round.
	crashMaxErrors = 25

	// Every fourth round is killed at a random moment from its start (up
	// to one and a half times the last child's startup), maybe while it
	// opens the store, migrates, resyncs or creates the accounts; the
	// others after they printed READY and ran for crashMinRun..crashMaxRun.
	crashEarlyEvery = 4
	crashEarlyMax   = time.Second
	crashMinRun     = 200 * time.Millisecond
	crashMaxRun     = 1500 * time.Millisecond

	// Guards against hangs only; nothing is asserted about time.
	crashReadyTimeout  = 2 * time.Minute
	crashSettleTimeout = time.Minute
	crashChildLifetime = 5 * time.Minute
)

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: starts and kills processes; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashTestSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashTestSeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (%s=%d reuses it; kill moments still depend on timing)", seed, crashTestSeedEnv, seed)

	t.Run("sqlite", func(t *testing.T) {
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "slt.db")
		runCrashRounds(t, seed, dsn, dsn, nil)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.NewSchema(t)
		// The child's connections carry a name of their own, so that the
		// parent can wait until the server has ended every one of them.
		var b [6]byte
		_, _ = rand.Read(b[:])
		app := "slt_crash_" + hex.EncodeToString(b[:])
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		runCrashRounds(t, seed+1, dsn, u.String(), func(t *testing.T) { waitBackendsGone(t, dsn, app) })
	})
}

// TestCrashChild is the child process of TestCrashRecovery; it does
// nothing unless SLT_CRASH_CHILD=1. As the child it never returns: it runs
// until it is killed.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		return
	}
	os.Exit(crashChild())
}

// ---------------------------------------------------------------------
// Accounts and transfers, shared by the child and the parent.

// crashAccountID derives account i's id from the seed, so that every round
// (and the parent) names the same accounts.
func crashAccountID(seed uint64, i int) ledger.ID {
	h := sha256.Sum256(fmt.Appendf(nil, "shiliantong/crash-test/account/%d/%d", seed, i))
	var id ledger.ID
	copy(id[:], h[:])
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// crashAccounts returns the bank (index 0, no limits) and the wallets; four
// wallets in five can not go below zero.
func crashAccounts(seed uint64) []ledger.Account {
	as := make([]ledger.Account, crashWallets+1)
	as[0] = ledger.Account{ID: crashAccountID(seed, 0), Currency: crashCurrency, Code: 2, Owner: "crash:bank"}
	for i := 1; i <= crashWallets; i++ {
		var flags ledger.AccountFlags
		if i%5 != 0 {
			flags = ledger.DebitsMustNotExceedCredits
		}
		as[i] = ledger.Account{ID: crashAccountID(seed, i), Currency: crashCurrency, Code: 1, Flags: flags, Owner: fmt.Sprintf("crash:wallet:%d", i)}
	}
	return as
}

var crashResults = func() map[string]ledger.TransferResult {
	m := map[string]ledger.TransferResult{}
	for i, name := range ledger.TransferResultNames() {
		m[name] = ledger.TransferResult(i)
	}
	return m
}()

// ---------------------------------------------------------------------
// The child.

func crashChild() int {
	dsn := os.Getenv(crashDSNEnv)
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", crashSeedEnv, err)
		return 2
	}
	round, err := strconv.Atoi(os.Getenv(crashRoundEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", crashRoundEnv, err)
		return 2
	}
	// Never outlive the parent: it holds our stdin open while it lives.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	time.AfterFunc(crashChildLifetime, func() { os.Exit(4) })

	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, dsn, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash child: open store: %v\n", err)
		return 2
	}
	eng := ledger.New(st, ledger.Options{Logger: log})
	accounts := crashAccounts(seed)
	res, err := eng.CreateAccounts(ctx, accounts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash child: create accounts: %v\n", err)
		return 2
	}
	for i, r := range res {
		if !r.OK() {
			fmt.Fprintf(os.Stderr, "crash child: create account %s: %s\n", accounts[i].ID, r)
			return 2
		}
	}
	out := &crashJournal{w: bufio.NewWriterSize(os.Stdout, 1<<16)}
	out.emit([]byte("READY\n"))
	for w := range crashWorkers {
		cw := &crashWorker{
			id: w, round: round, accounts: accounts, eng: eng, out: out,
			rng: mrand.New(mrand.NewPCG(seed, uint64(round)<<8|uint64(w))),
		}
		go cw.run(ctx)
	}
	select {} // until killed
}

// crashJournal is the child's stdout: each emit is written and flushed
// whole under the lock.
type crashJournal struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (j *crashJournal) emit(b []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err := j.w.Write(b)
	if err == nil {
		err = j.w.Flush()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "crash child: write journal: %v\n", err)
		os.Exit(5)
	}
}

type crashWorker struct {
	id, round int
	rng       *mrand.Rand
	accounts  []ledger.Account // [0] is the bank
	eng       *ledger.Engine
	out       *crashJournal
	seq       int

	open    []ledger.Transfer   // acknowledged pending transfers not yet posted or voided
	history [][]ledger.Transfer // acknowledged units, to submit again unchanged
}

// crashUnit is a single transfer or a linked chain within a batch.
type crashUnit struct {
	start, n int
	again    bool // an acknowledged unit submitted again
}

func (w *crashWorker) run(ctx context.Context) {
	for {
		w.seq++
		key := fmt.Sprintf("w%d.%d", w.id, w.seq)
		batch, units := w.batch()
		var b []byte
		for i := range batch {
			j, err := json.Marshal(&batch[i])
			if err != nil {
				panic(err)
			}
			b = fmt.Appendf(b, "SUBMIT %s %s %s\n", batch[i].ID, key, j)
		}
		b = fmt.Appendf(b, "SEND %s %d\n", key, len(batch))
		w.out.emit(b)

		res, err := w.eng.CreateTransfers(ctx, batch)
		if err != nil {
			w.out.emit(fmt.Appendf(nil, "ERR %s %s\n", key, strings.ReplaceAll(err.Error(), "\n", " ")))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		b = b[:0]
		for i, r := range res {
			word := "ACK"
			if !r.OK() {
				word = "FAIL"
			}
			b = fmt.Appendf(b, "%s %s %s\n", word, batch[i].ID, r)
		}
		w.out.emit(b)
		w.learn(batch, units, res)
	}
}

func (w *crashWorker) batch() ([]ledger.Transfer, []crashUnit) {
	var batch []ledger.Transfer
	var units []crashUnit
	for range 1 + w.rng.IntN(12) {
		u := w.unit()
		units = append(units, crashUnit{start: len(batch), n: len(u)})
		batch = append(batch, u...)
	}
	if len(w.history) > 0 && w.rng.IntN(10) == 0 {
		u := w.history[w.rng.IntN(len(w.history))]
		units = append(units, crashUnit{start: len(batch), n: len(u), again: true})
		batch = append(batch, u...)
	}
	return batch, units
}

func (w *crashWorker) wallet() ledger.ID { return w.accounts[1+w.rng.IntN(len(w.accounts)-1)].ID }

func (w *crashWorker) otherWallet(not ledger.ID) ledger.ID {
	for {
		if id := w.wallet(); id != not {
			return id
		}
	}
}

func (w *crashWorker) transfer(from, to ledger.ID, amount int64, code uint16, flags ledger.TransferFlags) ledger.Transfer {
	return ledger.Transfer{
		ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: to, Amount: amount,
		Currency: crashCurrency, Code: code, Flags: flags,
		Reference: fmt.Sprintf("crash:r%d:w%d:%d", w.round, w.id, w.seq),
	}
}

// unit returns the next single transfer or linked chain.
func (w *crashWorker) unit() []ledger.Transfer {
	bank := w.accounts[0].ID
	r := w.rng
	switch x := r.IntN(100); {
	case x < 15: // fund a wallet
		return []ledger.Transfer{w.transfer(bank, w.wallet(), 5_000+r.Int64N(45_000), 1, 0)}
	case x < 20: // withdraw
		return []ledger.Transfer{w.transfer(w.wallet(), bank, 1+r.Int64N(3_000), 1, 0)}
	case x < 55:
		return w.betweenWallets()
	case x < 70: // a linked chain of 2 or 3 through wallets
		n := 2 + r.IntN(2)
		chain := make([]ledger.Transfer, n)
		from := w.wallet()
		for i := range chain {
			to := w.otherWallet(from)
			flags := ledger.Linked
			if i == n-1 {
				flags = 0
			}
			chain[i] = w.transfer(from, to, 1+r.Int64N(2_000), 3, flags)
			from = to
		}
		return chain
	case x < 85: // a pending transfer, from a wallet or the bank
		from := w.wallet()
		if r.IntN(4) == 0 {
			from = bank
		}
		t := w.transfer(from, w.otherWallet(from), 1+r.Int64N(3_000), 2, ledger.Pending)
		if r.IntN(2) == 0 {
			t.TimeoutSeconds = 3600 // recorded, never reached
		}
		return []ledger.Transfer{t}
	case len(w.open) == 0:
		return w.betweenWallets()
	default: // post or void an acknowledged pending transfer, once
		i := r.IntN(len(w.open))
		p := w.open[i]
		w.open = slices.Delete(w.open, i, i+1)
		t := ledger.Transfer{ID: ledger.NewID(), PendingID: p.ID, Reference: fmt.Sprintf("crash:r%d:w%d:%d:resolve", w.round, w.id, w.seq)}
		// Half give the pending transfer's fields, half leave them zero.
		explicit := r.IntN(2) == 0
		switch y := r.IntN(10); {
		case y < 4: // post in full
			t.Flags = ledger.PostPending
		case y < 6: // post in part
			t.Flags = ledger.PostPending
			t.Amount = 1 + r.Int64N(p.Amount)
		default:
			t.Flags = ledger.VoidPending
			if explicit {
				t.Amount = p.Amount
			}
		}
		if explicit {
			t.DebitAccountID, t.CreditAccountID, t.Currency, t.Code = p.DebitAccountID, p.CreditAccountID, p.Currency, p.Code
		}
		return []ledger.Transfer{t}
	}
}

func (w *crashWorker) betweenWallets() []ledger.Transfer {
	from := w.wallet()
	return []ledger.Transfer{w.transfer(from, w.otherWallet(from), 1+w.rng.Int64N(3_000), 1, 0)}
}

// learn remembers the acknowledged units to submit them again, and the
// acknowledged pending transfers to post or void them.
func (w *crashWorker) learn(batch []ledger.Transfer, units []crashUnit, res []ledger.TransferResult) {
	for _, u := range units {
		ok := true
		for _, r := range res[u.start : u.start+u.n] {
			ok = ok && r.OK()
		}
		if !ok || u.again {
			continue
		}
		ts := slices.Clone(batch[u.start : u.start+u.n])
		if len(w.history) < 32 {
			w.history = append(w.history, ts)
		} else {
			w.history[w.rng.IntN(len(w.history))] = ts
		}
		if u.n == 1 && ts[0].Flags&ledger.Pending != 0 && len(w.open) < 256 {
			w.open = append(w.open, ts[0])
		}
	}
}

// ---------------------------------------------------------------------
// The parent.

// crashStats count what the rounds exercised.
type crashStats struct {
	rounds, early                int // every round ends with a SIGKILL
	submitted, acked, childFails int
	exists, unackedExists        int // on resubmission: exists (of them never acknowledged)
	created, failed              int // on resubmission: created now, failed again
	errs                         int
}

func (s *crashStats) add(o crashStats) {
	s.rounds += o.rounds
	s.early += o.early
	s.submitted += o.submitted
	s.acked += o.acked
	s.childFails += o.childFails
	s.exists += o.exists
	s.unackedExists += o.unackedExists
	s.created += o.created
	s.failed += o.failed
	s.errs += o.errs
}

func (s crashStats) String() string {
	return fmt.Sprintf("%d transfers sent, %d acknowledged, %d failed in the child, %d ERR lines; "+
		"resubmitted: %d exist (%d of them committed but never acknowledged), %d created now, %d failed again",
		s.submitted, s.acked, s.childFails, s.errs, s.exists, s.unackedExists, s.created, s.failed)
}

func runCrashRounds(t *testing.T, seed uint64, dsn, childDSN string, settle func(*testing.T)) {
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewPCG(seed, 0x6b696c6c))
	m := newCrashModel(seed)
	var total crashStats
	startup := crashEarlyMax // how long the last child took to print READY
	for round := range crashRounds {
		early := round%crashEarlyEvery == crashEarlyEvery-1
		var delay time.Duration
		if early {
			// Up to one and a half times the startup: the kill lands in
			// the child's open, migration, resync or account creation as
			// often as in its first batches.
			delay = time.Duration(rng.Int64N(int64(min(startup*3/2, crashEarlyMax)) + 1))
		} else {
			delay = crashMinRun + time.Duration(rng.Int64N(int64(crashMaxRun-crashMinRun)+1))
		}
		out := runCrashChildProcess(t, childDSN, seed, round, early, delay)
		if !early {
			startup = out.startup
		}
		if settle != nil {
			settle(t)
		}
		run := parseCrashJournal(out.lines)
		for i, p := range run.problems {
			if i == crashMaxErrors {
				t.Errorf("seed %d, round %d: %d more problems not shown", seed, round, len(run.problems)-i)
				break
			}
			t.Errorf("seed %d, round %d: the child's own results: %s", seed, round, p)
		}
		stats := verifyCrashRound(t, dsn, seed, round, m, run)
		stats.rounds = 1
		if early {
			stats.early = 1
		}
		total.add(stats)
		when := fmt.Sprintf("%v after READY", delay)
		if early {
			when = fmt.Sprintf("%v after start (READY printed: %v)", delay, run.ready)
		}
		t.Logf("round %d: killed %s; %s; the ledger holds %d transfers, %d pending",
			round, when, stats, len(m.transfers), len(m.open))
		if t.Failed() {
			t.Fatalf("seed %d: stopping after round %d failed", seed, round)
		}
	}
	t.Logf("total: %d rounds, %d SIGKILLs (%d early); %s", total.rounds, total.rounds, total.early, total)
}

type crashChildOutput struct {
	lines   []string
	stderr  string
	startup time.Duration // from the start to READY
}

// runCrashChildProcess starts the child, kills it with SIGKILL after delay
// (counted from its start if early, else from READY), waits for it to die,
// and returns everything it printed.
func runCrashChildProcess(t *testing.T, dsn string, seed uint64, round int, early bool, delay time.Duration) crashChildOutput {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"=1",
		crashDSNEnv+"="+dsn,
		crashSeedEnv+"="+strconv.FormatUint(seed, 10),
		crashRoundEnv+"="+strconv.Itoa(round),
	)
	// The child exits when this pipe closes: after Wait, or if we die.
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("round %d: start the child: %v", round, err)
	}
	started := time.Now()
	var startup time.Duration

	type result struct {
		lines   []string
		readErr error
	}
	ready := make(chan struct{})
	done := make(chan result, 1)
	go func() {
		var res result
		r := bufio.NewReaderSize(stdout, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				// An unterminated last line was cut by the kill: its
				// batch was not sent (SEND follows it), so it is dropped.
				if err != io.EOF {
					res.readErr = err
				}
				break
			}
			line = strings.TrimSuffix(line, "\n")
			res.lines = append(res.lines, line)
			if line == "READY" {
				close(ready)
			}
		}
		done <- res
	}()

	var (
		res        result
		exited     bool // by itself, before it was killed
		notReady   bool
		readyTimer = time.NewTimer(crashReadyTimeout)
	)
	defer readyTimer.Stop()
	if !early {
		select {
		case <-ready:
			startup = time.Since(started)
		case res = <-done:
			exited = true
		case <-readyTimer.C:
			notReady = true
		}
	}
	if !exited && !notReady {
		select {
		case <-time.After(delay):
		case res = <-done:
			exited = true
		}
	}
	if !exited {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		res = <-done
	}
	waitErr := cmd.Wait()
	out := crashChildOutput{lines: res.lines, stderr: stderr.String(), startup: startup}
	tail := func() string {
		s := out.stderr
		if len(s) > 8000 {
			s = "…" + s[len(s)-8000:]
		}
		return s
	}
	switch {
	case notReady:
		t.Fatalf("round %d: the child printed no READY within %v (%d lines); its stderr:\n%s", round, crashReadyTimeout, len(out.lines), tail())
	case exited:
		t.Fatalf("round %d: the child exited by itself (%v) after printing %d lines; its stderr:\n%s", round, waitErr, len(out.lines), tail())
	case res.readErr != nil:
		t.Fatalf("round %d: reading the child's output: %v", round, res.readErr)
	case !killedBySIGKILL(waitErr):
		t.Fatalf("round %d: the child ended with %v, not by SIGKILL; its stderr:\n%s", round, waitErr, tail())
	case strings.Contains(out.stderr, "DATA RACE"), strings.Contains(out.stderr, "panic:"), strings.Contains(out.stderr, "fatal error:"):
		t.Fatalf("round %d: the child reported a failure on stderr:\n%s", round, tail())
	case !early && len(out.lines) == 0:
		t.Fatalf("round %d: the child printed nothing; its stderr:\n%s", round, tail())
	}
	return out
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// waitBackendsGone waits until PostgreSQL has ended every connection of the
// killed child, so that none of its transactions is still open when the
// parent looks.
func waitBackendsGone(t *testing.T, dsn, app string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(crashSettleTimeout)
	for {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatalf("pg_stat_activity: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections of the killed child are still open after %v", n, crashSettleTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type crashBatch struct {
	key       string // w<worker>.<seq>
	transfers []ledger.Transfer
}

// crashRun is what one child printed.
type crashRun struct {
	ready     bool
	batches   []crashBatch // every batch sent, in the order sent
	submitted map[ledger.ID]ledger.Transfer
	order     []ledger.ID // ids in the order first sent
	acked     map[ledger.ID]ledger.TransferResult
	failed    map[ledger.ID]ledger.TransferResult
	errs      []string
	problems  []string
}

func parseCrashJournal(lines []string) *crashRun {
	run := &crashRun{
		submitted: map[ledger.ID]ledger.Transfer{},
		acked:     map[ledger.ID]ledger.TransferResult{},
		failed:    map[ledger.ID]ledger.TransferResult{},
	}
	building := map[string][]ledger.Transfer{}
	problem := func(format string, args ...any) {
		run.problems = append(run.problems, fmt.Sprintf(format, args...))
	}
	for n, line := range lines {
		f := strings.SplitN(line, " ", 4)
		switch f[0] {
		case "READY":
			run.ready = true
		case "SUBMIT":
			var tr ledger.Transfer
			if len(f) != 4 || json.Unmarshal([]byte(f[3]), &tr) != nil || tr.ID.String() != f[1] {
				problem("line %d: bad SUBMIT line %q", n+1, line)
				continue
			}
			building[f[2]] = append(building[f[2]], tr)
		case "SEND":
			if len(f) != 3 {
				problem("line %d: bad SEND line %q", n+1, line)
				continue
			}
			batch := building[f[1]]
			delete(building, f[1])
			if strconv.Itoa(len(batch)) != f[2] {
				problem("line %d: batch %s has %d SUBMIT lines, SEND says %s", n+1, f[1], len(batch), f[2])
				continue
			}
			run.batches = append(run.batches, crashBatch{key: f[1], transfers: batch})
			for _, tr := range batch {
				if prev, ok := run.submitted[tr.ID]; ok {
					if prev != tr {
						problem("transfer %s submitted twice with different fields", tr.ID)
					}
					continue
				}
				run.submitted[tr.ID] = tr
				run.order = append(run.order, tr.ID)
			}
		case "ACK", "FAIL":
			if len(f) != 3 {
				problem("line %d: bad %s line %q", n+1, f[0], line)
				continue
			}
			id, err := ledger.ParseID(f[1])
			r, known := crashResults[f[2]]
			if err != nil || !known || r.OK() != (f[0] == "ACK") {
				problem("line %d: bad %s line %q", n+1, f[0], line)
				continue
			}
			if _, ok := run.submitted[id]; !ok {
				problem("line %d: %s of transfer %s, which was never sent", n+1, f[0], id)
				continue
			}
			prev, acked := run.acked[id]
			switch {
			case r == ledger.TransferCreated && acked && prev == ledger.TransferCreated:
				problem("transfer %s was created twice (the second time in the child, resubmitted after its acknowledgement)", id)
			case !r.OK() && acked:
				problem("transfer %s was acknowledged, then failed with %s when submitted again", id, r)
			case r.OK() && failedBefore(run, id):
				problem("transfer %s failed with %s, then was acknowledged %s", id, run.failed[id], r)
			}
			switch {
			case !r.OK():
				run.failed[id] = r
			case !acked || r == ledger.TransferCreated:
				run.acked[id] = r
			}
		case "ERR":
			run.errs = append(run.errs, line)
		}
	}
	return run
}

func failedBefore(run *crashRun, id ledger.ID) bool {
	_, ok := run.failed[id]
	return ok
}

// crashModel is the ledger as the test computes it, independently of the
// engine: every transfer in it, and every account's balance.
type crashModel struct {
	accounts  []ledger.Account
	transfers map[ledger.ID]ledger.Transfer // as stored
	balances  map[ledger.ID]ledger.Balance
	open      map[ledger.ID]bool // pending transfers neither posted nor voided
}

func newCrashModel(seed uint64) *crashModel {
	return &crashModel{
		accounts:  crashAccounts(seed),
		transfers: map[ledger.ID]ledger.Transfer{},
		balances:  map[ledger.ID]ledger.Balance{},
		open:      map[ledger.ID]bool{},
	}
}

// stored returns t as the ledger stores it: a post or void takes the
// accounts, currency, code and (if not given) amount of its pending
// transfer, which is found in the model or among the run's transfers.
func (m *crashModel) stored(t ledger.Transfer, run *crashRun) (ledger.Transfer, error) {
	t.Timestamp = 0
	if t.Flags&(ledger.PostPending|ledger.VoidPending) == 0 {
		return t, nil
	}
	p, ok := m.transfers[t.PendingID]
	if !ok {
		if p, ok = run.submitted[t.PendingID]; !ok {
			return t, fmt.Errorf("transfer %s resolves %s, which the test does not know", t.ID, t.PendingID)
		}
	}
	t.DebitAccountID, t.CreditAccountID, t.Currency = p.DebitAccountID, p.CreditAccountID, p.Currency
	if t.Code == 0 {
		t.Code = p.Code
	}
	if t.Flags&ledger.VoidPending != 0 || t.Amount == 0 {
		t.Amount = p.Amount
	}
	return t, nil
}

// apply adds a transfer, as stored, to the model.
func (m *crashModel) apply(t ledger.Transfer) error {
	if _, ok := m.transfers[t.ID]; ok {
		return fmt.Errorf("transfer %s applied twice", t.ID)
	}
	d, c := m.balances[t.DebitAccountID], m.balances[t.CreditAccountID]
	switch {
	case t.Flags&ledger.Pending != 0:
		d.DebitsPending += t.Amount
		c.CreditsPending += t.Amount
		m.open[t.ID] = true
	case t.Flags&(ledger.PostPending|ledger.VoidPending) != 0:
		p, ok := m.transfers[t.PendingID]
		if !ok || !m.open[t.PendingID] {
			return fmt.Errorf("transfer %s resolves %s, which is not an open pending transfer in the ledger", t.ID, t.PendingID)
		}
		delete(m.open, t.PendingID)
		d.DebitsPending -= p.Amount
		c.CreditsPending -= p.Amount
		if t.Flags&ledger.PostPending != 0 {
			d.DebitsPosted += t.Amount
			c.CreditsPosted += t.Amount
		}
	default:
		d.DebitsPosted += t.Amount
		c.CreditsPosted += t.Amount
	}
	m.balances[t.DebitAccountID], m.balances[t.CreditAccountID] = d, c
	m.transfers[t.ID] = t
	return nil
}

func sameCrashTransfer(got, want ledger.Transfer) bool {
	got.Timestamp, want.Timestamp = 0, 0
	return got == want
}

type crashLogWriter struct{ t *testing.T }

func (w crashLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// verifyCrashRound opens the store after the child died and proves that
// the round lost nothing acknowledged and applied nothing twice.
func verifyCrashRound(t *testing.T, dsn string, seed uint64, round int, m *crashModel, run *crashRun) crashStats {
	t.Helper()
	ctx := context.Background()
	failures := 0
	errorf := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= crashMaxErrors {
			t.Errorf("seed %d, round %d: "+format, append([]any{seed, round}, args...)...)
		}
	}
	defer func() {
		if failures > crashMaxErrors {
			t.Errorf("seed %d, round %d: %d more failures not shown", seed, round, failures-crashMaxErrors)
		}
	}()
	stats := crashStats{
		submitted: len(run.submitted), acked: len(run.acked), childFails: len(run.failed), errs: len(run.errs),
	}
	for _, e := range run.errs {
		t.Logf("round %d: the child got an error: %s", round, e)
	}
	log := slog.New(slog.NewTextHandler(crashLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	st, err := store.Open(ctx, dsn, log)
	if err != nil {
		t.Fatalf("seed %d, round %d: open the store after the crash: %v", seed, round, err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			errorf("close the store: %v", err)
		}
	}()
	check := func(when string) ledger.CheckReport {
		t.Helper()
		rep, err := ledger.Check(ctx, st)
		if err != nil {
			t.Fatalf("seed %d, round %d: check %s: %v", seed, round, when, err)
		}
		if !rep.OK() {
			errorf("check %s: %d violations: %v", when, rep.ViolationCount, rep.Violations)
		}
		return rep
	}
	// The store as the crash left it, before any engine touches it.
	check("after the crash")

	eng := ledger.New(st, ledger.Options{Logger: log})
	defer eng.Close()

	// The accounts: created by round 0's child, which printed READY.
	ares, err := eng.CreateAccounts(ctx, m.accounts)
	if err != nil {
		t.Fatalf("seed %d, round %d: create accounts: %v", seed, round, err)
	}
	for i, r := range ares {
		if r != ledger.AccountExists {
			errorf("account %s: %s, want exists", m.accounts[i].ID, r)
		}
	}

	// Every acknowledged transfer is there, as submitted, and no transfer
	// that failed in the child is. All are read in bulk from the store;
	// a sample of the acknowledged ones through LookupTransfer too.
	var known []ledger.ID
	for _, id := range run.order {
		_, acked := run.acked[id]
		_, failed := run.failed[id]
		if acked || failed {
			known = append(known, id)
		}
	}
	found, err := readCrashTransfers(ctx, st, known)
	if err != nil {
		t.Fatalf("seed %d, round %d: read transfers: %v", seed, round, err)
	}
	sample := max(1, len(run.acked)/crashLookupSample)
	for n, id := range known {
		got, ok := found[id]
		if fr, failed := run.failed[id]; failed {
			if ok {
				errorf("transfer %s failed in the child (%s) but is in the ledger: %+v", id, fr, got)
			}
			continue
		}
		if !ok {
			errorf("acknowledged transfer %s (%s) is missing after the crash: %+v", id, run.acked[id], run.submitted[id])
			continue
		}
		want, err := m.stored(run.submitted[id], run)
		if err != nil {
			errorf("%v", err)
			continue
		}
		if !sameCrashTransfer(got, want) {
			errorf("acknowledged transfer %s is stored as %+v, want %+v", id, got, want)
		}
		if n%sample == 0 {
			if got, err := eng.LookupTransfer(ctx, id); err != nil {
				errorf("LookupTransfer(%s) of an acknowledged transfer: %v", id, err)
			} else if !sameCrashTransfer(got, want) {
				errorf("LookupTransfer(%s) = %+v, want %+v", id, got, want)
			}
		}
	}

	// Submit everything again through this fresh engine: each worker's
	// batches in the order it sent them (consecutive ones joined into one
	// request), the workers concurrently as they ran.
	results, err := resubmitCrashBatches(ctx, eng, run.batches)
	if err != nil {
		t.Fatalf("seed %d, round %d: resubmit: %v", seed, round, err)
	}
	status := map[ledger.ID]ledger.TransferResult{}
	for bi, b := range run.batches {
		for i, r := range results[bi] {
			tr := b.transfers[i]
			id := tr.ID
			_, acked := run.acked[id]
			prev, seen := status[id]
			switch {
			case r == ledger.TransferExistsWithDifferentFields:
				errorf("transfer %s, submitted again unchanged: %s", id, r)
			case acked && r != ledger.TransferExists:
				errorf("acknowledged transfer %s, submitted again: %s, want exists (%+v)", id, r, tr)
			case seen && prev.OK() && r != ledger.TransferExists:
				errorf("transfer %s, submitted a second time after %s: %s, want exists", id, prev, r)
			case !r.OK() && r != ledger.TransferExceedsCredits && r != ledger.TransferLinkedEventFailed:
				errorf("unacknowledged transfer %s, submitted again: %s, which no state of the ledger explains (%+v)", id, r, tr)
			}
			if !seen || r.OK() {
				status[id] = r
			}
		}
	}
	for _, id := range run.order {
		_, acked := run.acked[id]
		switch r := status[id]; {
		case r == ledger.TransferExists:
			stats.exists++
			if !acked {
				stats.unackedExists++
			}
		case r == ledger.TransferCreated:
			stats.created++
		default:
			stats.failed++
		}
	}

	// The model takes every transfer that is now in the ledger.
	for _, id := range run.order {
		if !status[id].OK() {
			continue
		}
		want, err := m.stored(run.submitted[id], run)
		if err == nil {
			err = m.apply(want)
		}
		if err != nil {
			errorf("%v", err)
		}
	}
	// The transfers that were never acknowledged are there exactly when
	// their resubmission succeeded. Those the kill caught in flight (sent,
	// neither acknowledged nor failed) are looked up one by one as well.
	var unacked []ledger.ID
	for _, id := range run.order {
		if _, acked := run.acked[id]; !acked {
			unacked = append(unacked, id)
		}
	}
	found, err = readCrashTransfers(ctx, st, unacked)
	if err != nil {
		t.Fatalf("seed %d, round %d: read transfers: %v", seed, round, err)
	}
	for _, id := range unacked {
		got, ok := found[id]
		if _, failed := run.failed[id]; !failed {
			lt, err := eng.LookupTransfer(ctx, id)
			switch {
			case err == nil && (!ok || !sameCrashTransfer(lt, got)):
				errorf("LookupTransfer(%s) = %+v, the store has %+v (found: %v)", id, lt, got, ok)
			case errors.Is(err, ledger.ErrNotFound) && ok:
				errorf("LookupTransfer(%s): %v, the store has %+v", id, err, got)
			case err != nil && !errors.Is(err, ledger.ErrNotFound):
				errorf("LookupTransfer(%s): %v", id, err)
			}
		}
		switch {
		case status[id].OK() && !ok:
			errorf("transfer %s: resubmission %s, but it is not in the ledger", id, status[id])
		case status[id].OK() && !sameCrashTransfer(got, m.transfers[id]):
			errorf("transfer %s is stored as %+v, want %+v", id, got, m.transfers[id])
		case !status[id].OK() && ok:
			errorf("transfer %s: resubmission %s, but it is in the ledger: %+v", id, status[id], got)
		}
	}

	// Every balance is the sum of the transfers.
	for _, a := range m.accounts {
		got, err := eng.LookupAccount(ctx, a.ID)
		if err != nil {
			t.Fatalf("seed %d, round %d: look up account %s: %v", seed, round, a.ID, err)
		}
		if want := m.balances[a.ID]; got.Balance != want {
			errorf("account %s (%s): balance %+v, the transfers sum to %+v", a.ID, a.Owner, got.Balance, want)
		}
	}
	// The engine writes every account row as it closes; the checker
	// replays every transfer and counts them.
	eng.Close()
	rep := check("after the round")
	if rep.Accounts != len(m.accounts) || rep.Transfers != len(m.transfers) || rep.Pending != len(m.open) {
		errorf("check: %d accounts, %d transfers, %d pending; the test counts %d, %d, %d",
			rep.Accounts, rep.Transfers, rep.Pending, len(m.accounts), len(m.transfers), len(m.open))
	}
	return stats
}

// readCrashTransfers reads transfers from the store in bulk.
func readCrashTransfers(ctx context.Context, st store.Store, ids []ledger.ID) (map[ledger.ID]ledger.Transfer, error) {
	recs, err := st.TransfersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[ledger.ID]ledger.Transfer, len(recs))
	for i := range recs {
		out[recs[i].ID] = recs[i].Transfer()
	}
	return out, nil
}

// resubmitCrashBatches submits the batches again: each worker's batches in
// the order it sent them, consecutive ones joined into one request (which
// commits them in the same order), the workers' streams concurrently. It
// returns the results of each batch.
func resubmitCrashBatches(ctx context.Context, eng *ledger.Engine, batches []crashBatch) ([][]ledger.TransferResult, error) {
	results := make([][]ledger.TransferResult, len(batches))
	streams := map[string][]int{}
	var names []string
	for i, b := range batches {
		w, _, _ := strings.Cut(b.key, ".")
		if streams[w] == nil {
			names = append(names, w)
		}
		streams[w] = append(streams[w], i)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for si, name := range names {
		wg.Go(func() {
			idx := streams[name]
			for len(idx) > 0 {
				var req []ledger.Transfer
				n := 0
				for n < len(idx) && (n == 0 || len(req)+len(batches[idx[n]].transfers) <= crashRequestMax) {
					req = append(req, batches[idx[n]].transfers...)
					n++
				}
				res, err := eng.CreateTransfers(ctx, req)
				if err != nil {
					errs[si] = err
					return
				}
				for _, bi := range idx[:n] {
					k := len(batches[bi].transfers)
					results[bi], res = res[:k], res[k:]
				}
				idx = idx[n:]
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
