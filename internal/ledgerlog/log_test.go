package ledgerlog

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledger/ledgertest"
	"github.com/shiliantong/shiliantong/internal/store/postgres"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

type testStore interface {
	ledgertest.Store
	SQL() *sql.DB
}

// logDBs opens a fresh database of each kind (the same one again on later
// calls of the returned opener).
func logDBs() map[string]func(t testing.TB) ledgertest.Opener {
	return map[string]func(t testing.TB) ledgertest.Opener{
		"sqlite": func(t testing.TB) ledgertest.Opener {
			path := filepath.Join(t.TempDir(), "slt.db")
			return func(t testing.TB) ledgertest.Store {
				s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		},
		"postgres": func(t testing.TB) ledgertest.Opener {
			dsn := pgtest.NewSchema(t)
			return func(t testing.TB) ledgertest.Store {
				s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		},
	}
}

func dialectOf(s ledgertest.Store) string {
	if _, ok := s.(*sqlite.Store); ok {
		return SQLite
	}
	return Postgres
}

var testSeed = bytes.Repeat([]byte{7}, 32)

// newTestLog opens a store with the opener and returns a log over it (the
// store is closed when the test ends, unless closed before).
func newTestLog(t testing.TB, open ledgertest.Opener, st ledgertest.Store) *Log {
	t.Helper()
	if st == nil {
		st = open(t)
		t.Cleanup(func() { st.Close() })
	}
	keys, err := NewKeys(DefaultOrigin, testSeed)
	if err != nil {
		t.Fatal(err)
	}
	var lock sync.Locker
	if l, ok := st.(interface{ WriteLock() sync.Locker }); ok {
		lock = l.WriteLock()
	}
	l, err := New(Options{DB: st.(testStore).SQL(), Dialect: dialectOf(st), WriteLock: lock, Source: st.(Source), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLeafEncoding(t *testing.T) {
	tr := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: ledger.NewID(), CreditAccountID: ledger.NewID(), Amount: 1250,
		Currency: "CNY", Code: 7, Reference: "order:7 订单", Flags: ledger.PostPending, PendingID: ledger.NewID(), TimeoutSeconds: 30,
		Timestamp: 1_700_000_000_123_456_789}
	b := EncodeLeaf(tr)
	got, err := DecodeLeaf(b)
	if err != nil || got != tr {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if len(b) != 1+16+8+16+16+8+1+3+2+2+16+4+2+len(tr.Reference) {
		t.Fatalf("layout: %d bytes", len(b))
	}
	// Every field is in the hash.
	base := TransferLeafHash(tr)
	for i, f := range []func(*ledger.Transfer){
		func(t *ledger.Transfer) { t.ID[15]++ },
		func(t *ledger.Transfer) { t.DebitAccountID[0]++ },
		func(t *ledger.Transfer) { t.CreditAccountID[3]++ },
		func(t *ledger.Transfer) { t.Amount++ },
		func(t *ledger.Transfer) { t.Currency = "USD" },
		func(t *ledger.Transfer) { t.Code++ },
		func(t *ledger.Transfer) { t.Flags = ledger.VoidPending },
		func(t *ledger.Transfer) { t.PendingID[1]++ },
		func(t *ledger.Transfer) { t.TimeoutSeconds++ },
		func(t *ledger.Transfer) { t.Reference += "x" },
		func(t *ledger.Transfer) { t.Timestamp++ },
	} {
		m := tr
		f(&m)
		if bytes.Equal(TransferLeafHash(m), base) {
			t.Errorf("field %d is not in the leaf hash", i)
		}
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if _, err := DecodeLeaf(bad); err == nil {
			t.Errorf("DecodeLeaf(%x) accepted", bad)
		}
	}
}

func TestCheckpointSignature(t *testing.T) {
	keys, err := NewKeys(DefaultOrigin, testSeed)
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Origin: DefaultOrigin, Size: 42, Root: bytes.Repeat([]byte{1}, 32)}
	signed, err := c.Sign(keys.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, DefaultOrigin+"\n42\nAQEB") || !strings.Contains(signed, "\n\n— "+DefaultOrigin+" ") {
		t.Fatalf("note:\n%s", signed)
	}
	got, err := OpenCheckpoint([]byte(signed), keys.VerifierKey)
	if err != nil || got.Size != 42 || !bytes.Equal(got.Root, c.Root) {
		t.Fatalf("open: %+v %v", got, err)
	}
	other, _ := NewKeys(DefaultOrigin, bytes.Repeat([]byte{8}, 32))
	if _, err := OpenCheckpoint([]byte(signed), other.VerifierKey); err == nil {
		t.Error("another key verified the checkpoint")
	}
	if _, err := OpenCheckpoint([]byte(strings.Replace(signed, "\n42\n", "\n43\n", 1)), keys.VerifierKey); err == nil {
		t.Error("an altered size verified")
	}
	// Keys whose base64 holds '+' (most of them) work too.
	for i := range 64 {
		k, err := NewKeys(DefaultOrigin, bytes.Repeat([]byte{byte(i)}, 32))
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		s, _ := c.Sign(k.Signer)
		if _, err := OpenCheckpoint([]byte(s), k.VerifierKey); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	// The same seed gives the same key: restarts keep verifying.
	again, _ := NewKeys(DefaultOrigin, testSeed)
	if again.VerifierKey != keys.VerifierKey {
		t.Error("the key is not derived from the seed")
	}
}

// TestLogOverLedger appends a real ledger's transfers on both stores,
// verifies every proof with the public key only, restarts, proves
// consistency, audits, and then tampers with the ledger.
func TestLogOverLedger(t *testing.T) {
	for name, newDB := range logDBs() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			env, a, b := ledgerWithTwoAccounts(t, newDB)
			var ids []ledger.ID
			move := func(n int) {
				var ts []ledger.Transfer
				for i := range n {
					tr := ledgertest.Move(a.ID, b.ID, int64(100+i), "CNY")
					tr.Reference = fmt.Sprintf("order:%d", len(ids)+i)
					ts = append(ts, tr)
				}
				for i, r := range env.Transfers(ts...) {
					if r != ledger.TransferCreated {
						t.Fatalf("transfer: %v", r)
					}
					ids = append(ids, ts[i].ID)
				}
			}
			move(37)
			pend := ledgertest.Move(a.ID, b.ID, 500, "CNY")
			pend.Flags, pend.TimeoutSeconds = ledger.Pending, 3600
			post := ledger.Transfer{ID: ledger.NewID(), PendingID: pend.ID, Flags: ledger.PostPending}
			env.Transfers(pend)
			env.Transfers(post)
			ids = append(ids, pend.ID, post.ID)

			l := newTestLog(t, nil, env.Store)
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			cp1 := verifyAll(t, l, ids)
			if cp1.Size != uint64(len(ids)) {
				t.Fatalf("checkpoint of %d leaves, want %d", cp1.Size, len(ids))
			}
			// The post's leaf names the pending transfer and the accounts.
			leaf, err := l.LeafOf(ctx, post.ID)
			if err != nil || leaf.Transfer.PendingID != pend.ID || leaf.Transfer.DebitAccountID != a.ID || leaf.Transfer.Amount != 500 {
				t.Fatalf("post leaf %+v %v", leaf.Transfer, err)
			}

			// A restart reads the tree back; the old proofs still verify,
			// and the new tree extends the old one.
			env.Restart()
			move(20)
			l = newTestLog(t, nil, env.Store)
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			cp2 := verifyAll(t, l, ids)
			old, err := l.CheckpointAt(ctx, cp1.Size)
			if err != nil {
				t.Fatal(err)
			}
			oldCP, err := OpenCheckpoint([]byte(old.Note), l.VerifierKey())
			if err != nil || oldCP.Size != cp1.Size || !bytes.Equal(oldCP.Root, cp1.Root) {
				t.Fatalf("the old checkpoint: %+v %v", oldCP, err)
			}
			hs, err := l.Consistency(ctx, cp1.Size, cp2.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(ConsistencyProof{From: cp1.Size, To: cp2.Size, Hashes: hs}, oldCP, cp2); err != nil {
				t.Fatalf("consistency: %v", err)
			}

			st := env.Store.(testStore)
			audit := func() AuditReport {
				t.Helper()
				rep, err := Audit(ctx, AuditOptions{Reader: env.Store, DB: st.SQL(), Dialect: dialectOf(env.Store), VerifierKey: l.VerifierKey()})
				if err != nil {
					t.Fatal(err)
				}
				return rep
			}
			if rep := audit(); !rep.OK() || rep.Leaves != uint64(len(ids)) || rep.Checkpoints < 2 {
				t.Fatalf("audit of the untouched log: %+v", rep)
			}
			exec := func(q string) {
				t.Helper()
				if _, err := st.SQL().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			tsOf := func(id ledger.ID) int64 {
				r, err := env.Store.ReadTransfer(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return r.TS
			}
			// An amount changed.
			t5 := tsOf(ids[5])
			exec(fmt.Sprintf("UPDATE transfers SET amount = amount + 1 WHERE ts = %d", t5))
			if rep := audit(); rep.OK() || !strings.Contains(rep.Mismatch, "leaf 5:") {
				t.Fatalf("an altered amount: %+v", rep)
			}
			exec(fmt.Sprintf("UPDATE transfers SET amount = amount - 1 WHERE ts = %d", t5))
			if rep := audit(); !rep.OK() {
				t.Fatalf("restored: %+v", rep)
			}
			// Two transfers swapped in the commit order.
			t7, t9 := tsOf(ids[7]), tsOf(ids[9])
			exec(fmt.Sprintf("UPDATE transfers SET ts = -1 WHERE ts = %d", t7))
			exec(fmt.Sprintf("UPDATE transfers SET ts = %d WHERE ts = %d", t7, t9))
			exec(fmt.Sprintf("UPDATE transfers SET ts = %d WHERE ts = -1", t9))
			if rep := audit(); rep.OK() || !strings.Contains(rep.Mismatch, "leaf 7:") {
				t.Fatalf("swapped transfers: %+v", rep)
			}
			exec(fmt.Sprintf("UPDATE transfers SET ts = -1 WHERE ts = %d", t7))
			exec(fmt.Sprintf("UPDATE transfers SET ts = %d WHERE ts = %d", t7, t9))
			exec(fmt.Sprintf("UPDATE transfers SET ts = %d WHERE ts = -1", t9))
			if rep := audit(); !rep.OK() {
				t.Fatalf("restored: %+v", rep)
			}
			// A stored tree node altered: the audit and the proofs notice.
			var hashes []byte
			if err := st.SQL().QueryRowContext(ctx, "SELECT hashes FROM log_leaves WHERE idx = 1").Scan(&hashes); err != nil {
				t.Fatal(err)
			}
			hashes[len(hashes)-1] ^= 1
			if _, err := st.SQL().ExecContext(ctx, l.db.text("UPDATE log_leaves SET hashes = $1 WHERE idx = 1"), hashes); err != nil {
				t.Fatal(err)
			}
			if rep := audit(); rep.OK() || !strings.Contains(rep.Mismatch, "leaf 1: the tree nodes") {
				t.Fatalf("an altered node: %+v", rep)
			}
			leaf, _ = l.LeafOf(ctx, ids[2])
			hs, _ = l.Inclusion(ctx, leaf.Index, cp2.Size)
			if _, err := VerifyInclusion(InclusionProof{LeafIndex: leaf.Index, TreeSize: cp2.Size, LeafHash: leaf.Hash, Hashes: hs}, cp2); err == nil {
				t.Fatal("a proof from an altered node verified")
			}
		})
	}
}

// verifyAll fetches the newest checkpoint and the inclusion proof of every
// transfer, and verifies them as an outsider would: with the public key.
func verifyAll(t *testing.T, l *Log, ids []ledger.ID) Checkpoint {
	t.Helper()
	ctx := context.Background()
	sc, err := l.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := OpenCheckpoint([]byte(sc.Note), l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		leaf, err := l.LeafOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if leaf.Index != uint64(i) {
			t.Fatalf("transfer %d is leaf %d", i, leaf.Index)
		}
		hs, err := l.Inclusion(ctx, leaf.Index, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := VerifyInclusion(InclusionProof{TransferID: id.String(), LeafIndex: leaf.Index, TreeSize: cp.Size,
			LeafHash: leaf.Hash, Leaf: leaf.Encoded, Hashes: hs}, cp)
		if err != nil || tr.ID != id {
			t.Fatalf("leaf %d: %v", i, err)
		}
		// A proof for another leaf does not verify.
		if leaf.Index > 0 {
			if _, err := VerifyInclusion(InclusionProof{LeafIndex: leaf.Index - 1, TreeSize: cp.Size, LeafHash: leaf.Hash, Hashes: hs}, cp); err == nil {
				t.Fatalf("leaf %d's proof verified at index %d", i, leaf.Index-1)
			}
		}
	}
	return cp
}

// Appends of more leaves than one INSERT writes (the prepared full chunk
// and a shorter rest) verify; on SQLite the connection that appended,
// without flushing, is handed back to the pool flushing again.
func TestLogAppendsInChunks(t *testing.T) {
	for name, newDB := range logDBs() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			env, a, b := ledgerWithTwoAccounts(t, newDB)
			pool := env.Store.(testStore).SQL()
			pool.SetMaxOpenConns(1) // the appender's connection is the one asked next
			l := newTestLog(t, nil, env.Store)
			var ids []ledger.ID
			for _, n := range []int{leafChunk*2 + 37, leafChunk, 5} {
				ts := make([]ledger.Transfer, n)
				for i := range ts {
					ts[i] = ledgertest.Move(a.ID, b.ID, int64(1+i), "CNY")
					ids = append(ids, ts[i].ID)
				}
				for _, r := range env.Transfers(ts...) {
					if r != ledger.TransferCreated {
						t.Fatalf("transfer: %v", r)
					}
				}
				if err := l.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				if cp := verifyAll(t, l, ids); cp.Size != uint64(len(ids)) {
					t.Fatalf("checkpoint of %d leaves, want %d", cp.Size, len(ids))
				}
				if name == "sqlite" {
					var mode int
					if err := pool.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil || mode != 2 {
						t.Fatalf("the pool's connection has synchronous = %d (%v) after an append; want 2 (FULL)", mode, err)
					}
				}
			}
		})
	}
}

// ledgerWithTwoAccounts is a ledger on a new database with two CNY accounts.
func ledgerWithTwoAccounts(t *testing.T, newDB func(t testing.TB) ledgertest.Opener) (*ledgertest.Env, ledger.Account, ledger.Account) {
	t.Helper()
	env := ledgertest.NewEnv(t, ledgertest.Config{NewDB: newDB}, ledger.Options{})
	a, b := ledgertest.NewAccount("CNY", 0), ledgertest.NewAccount("CNY", 0)
	env.Accounts(a, b)
	return env, a, b
}
