package ledgerlog

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// The parsers slt verify runs on what it is given.

func FuzzParseInclusionProof(f *testing.F) {
	f.Add([]byte(`{"transfer_id":"x","leaf_index":1,"tree_size":2,"leaf_hash":"` + b64(32) + `","hashes":["` + b64(32) + `"]}`))
	f.Add([]byte(`{"leaf_index":0,"tree_size":1,"leaf_hash":"","hashes":[]}`))
	f.Add([]byte(`{"leaf_index":5,"tree_size":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseInclusionProof(b)
		if err != nil {
			return
		}
		if len(p.LeafHash) != 32 || p.LeafIndex >= p.TreeSize || len(p.Hashes) > maxProofHashes {
			t.Fatalf("accepted a bad proof: %+v", p)
		}
		_, _ = VerifyInclusion(p, Checkpoint{Size: p.TreeSize, Root: make([]byte, 32)})
	})
}

func FuzzParseConsistencyProof(f *testing.F) {
	f.Add([]byte(`{"from":1,"to":2,"hashes":["` + b64(32) + `"]}`))
	f.Add([]byte(`{"from":3,"to":2,"hashes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseConsistencyProof(b)
		if err != nil {
			return
		}
		_ = VerifyConsistency(p, Checkpoint{Size: p.From, Root: make([]byte, 32)}, Checkpoint{Size: p.To, Root: make([]byte, 32)})
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	keys, err := NewKeys(DefaultOrigin, testSeed)
	if err != nil {
		f.Fatal(err)
	}
	signed, _ := Checkpoint{Origin: DefaultOrigin, Size: 9, Root: make([]byte, 32)}.Sign(keys.Signer)
	f.Add([]byte(signed))
	f.Add([]byte(DefaultOrigin + "\n9\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := OpenCheckpoint(b, keys.VerifierKey)
		if err == nil && (c.Origin != DefaultOrigin || len(c.Root) != 32) {
			t.Fatalf("accepted %+v", c)
		}
		if c, err := ParseCheckpointBody(string(b)); err == nil && c.Body() != string(b)[:len(c.Body())] {
			t.Fatalf("body %q does not start with its re-encoding %q", b, c.Body())
		}
	})
}

func FuzzDecodeLeaf(f *testing.F) {
	f.Add(EncodeLeaf(ledger.Transfer{ID: ledger.NewID(), Amount: 5, Currency: "CNY", Reference: "r"}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeLeaf(b)
		if err != nil {
			return
		}
		if !bytes.Equal(EncodeLeaf(tr), b) {
			t.Fatalf("%x decodes to %+v, which encodes otherwise", b, tr)
		}
	})
}

func b64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

// BenchmarkAppend appends batches of 4,096 leaves (a transfer's leaf
// encoding and hash included) and signs a checkpoint after each, on
// SQLite and PostgreSQL.
func BenchmarkAppend(b *testing.B) {
	const batch = 4096
	for name, newDB := range logDBs() {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			l := newTestLog(b, newDB(b), nil)
			if err := l.load(ctx); err != nil {
				b.Fatal(err)
			}
			tr := ledger.Transfer{ID: ledger.NewID(), DebitAccountID: ledger.NewID(), CreditAccountID: ledger.NewID(), Amount: 1250,
				Currency: "CNY", Code: 1, Reference: "order:0123456789"}
			hashes := make([][]byte, batch)
			ts := make([]int64, batch)
			next := time.Now().UnixNano()
			buf := make([]byte, 0, 256)
			b.ResetTimer()
			for range b.N {
				for i := range batch {
					next++
					tr.Timestamp = next
					buf = AppendLeaf(buf[:0], tr)
					hashes[i], ts[i] = HashLeaf(buf), next
				}
				if err := l.appendHashes(ctx, hashes, ts); err != nil {
					b.Fatal(err)
				}
				if err := l.maybeCheckpoint(ctx, true); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}
