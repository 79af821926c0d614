package ledgerlog

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// The RFC 6962 / RFC 9162 vectors of transparency-dev/merkle
// (testdata/merkle_rfc6962_rfc9162.json, Apache-2.0).
type vectors struct {
	HasherVectors []struct {
		Desc       string `json:"desc"`
		LeafHex    *string
		LeafASCII  *string `json:"leaf_ascii"`
		LeftASCII  string  `json:"left_ascii"`
		RightASCII string  `json:"right_ascii"`
		Hash       string  `json:"hash"`
	} `json:"hasher_vectors"`
	ReferenceTree struct {
		LeafInputsHex []string `json:"leaf_inputs_hex"`
		LeafHashesHex []string `json:"leaf_hashes_hex"`
		Roots         []string `json:"root_by_tree_size_0_to_8"`
	} `json:"reference_tree"`
	SeedInclusion []struct {
		Leaf1Based uint64   `json:"leaf_1based"`
		TreeSize   uint64   `json:"tree_size"`
		ProofHex   []string `json:"proof_hex"`
	} `json:"seed_inclusion_proofs"`
	SeedConsistency []struct {
		Size1    uint64   `json:"size1"`
		Size2    uint64   `json:"size2"`
		ProofHex []string `json:"proof_hex"`
	} `json:"seed_consistency_proofs"`
	InclusionProbes []struct {
		LeafIdx     uint64   `json:"leafIdx"`
		TreeSize    uint64   `json:"treeSize"`
		RootHex     string   `json:"root_hex"`
		LeafHashHex string   `json:"leafHash_hex"`
		ProofHex    []string `json:"proof_hex"`
		Desc        string   `json:"desc"`
		WantErr     bool     `json:"wantErr"`
		File        string   `json:"file"`
	} `json:"inclusion_probes"`
	ConsistencyProbes []struct {
		Size1    uint64   `json:"size1"`
		Size2    uint64   `json:"size2"`
		Root1Hex string   `json:"root1_hex"`
		Root2Hex string   `json:"root2_hex"`
		ProofHex []string `json:"proof_hex"`
		Desc     string   `json:"desc"`
		WantErr  bool     `json:"wantErr"`
		File     string   `json:"file"`
	} `json:"consistency_probes"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/merkle_rfc6962_rfc9162.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.ReferenceTree.Roots) != 9 || len(v.InclusionProbes) == 0 || len(v.ConsistencyProbes) == 0 {
		t.Fatal("vectors file is incomplete")
	}
	return v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhexAll(t testing.TB, ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = unhex(t, s)
	}
	return out
}

func TestHasherVectors(t *testing.T) {
	v := loadVectors(t)
	for _, h := range v.HasherVectors {
		var got []byte
		switch {
		case h.LeafASCII != nil:
			got = HashLeaf([]byte(*h.LeafASCII))
		case h.LeftASCII != "":
			got = hasher.HashChildren([]byte(h.LeftASCII), []byte(h.RightASCII))
		case h.Desc == "empty tree root":
			got = hasher.EmptyRoot()
		default:
			got = HashLeaf(nil)
		}
		if hex.EncodeToString(got) != h.Hash {
			t.Errorf("%s: %x, want %s", h.Desc, got, h.Hash)
		}
	}
	for i, in := range v.ReferenceTree.LeafInputsHex {
		if got := hex.EncodeToString(HashLeaf(unhex(t, in))); got != v.ReferenceTree.LeafHashesHex[i] {
			t.Errorf("leaf %d: %s, want %s", i, got, v.ReferenceTree.LeafHashesHex[i])
		}
	}
}

// TestStoredTreeVectors builds the reference tree in the log's tables, one
// leaf at a time and all at once, and requires the vectors' roots and
// proofs from the stored nodes.
func TestStoredTreeVectors(t *testing.T) {
	v := loadVectors(t)
	leaves := unhexAll(t, v.ReferenceTree.LeafHashesHex)
	for name, open := range logDBs() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for _, step := range []int{1, 3, 8} {
				l := newTestLog(t, open(t), nil)
				if err := l.load(ctx); err != nil {
					t.Fatal(err)
				}
				if root, _ := l.Root(ctx, 0); hex.EncodeToString(root) != v.ReferenceTree.Roots[0] {
					t.Fatalf("empty root %x", root)
				}
				for i := 0; i < len(leaves); i += step {
					end := min(i+step, len(leaves))
					ts := make([]int64, end-i)
					for j := range ts {
						ts[j] = int64(i + j + 1)
					}
					if err := l.appendHashes(ctx, leaves[i:end], ts); err != nil {
						t.Fatal(err)
					}
					for n := 0; n <= end; n++ {
						root, err := l.Root(ctx, uint64(n))
						if err != nil || hex.EncodeToString(root) != v.ReferenceTree.Roots[n] {
							t.Fatalf("step %d: root of size %d: %x %v, want %s", step, n, root, err, v.ReferenceTree.Roots[n])
						}
					}
				}
				for _, p := range v.SeedInclusion {
					got, err := l.Inclusion(ctx, p.Leaf1Based-1, p.TreeSize)
					if err != nil || !equalHashes(got, unhexAll(t, p.ProofHex)) {
						t.Errorf("inclusion of leaf %d in %d: %x %v", p.Leaf1Based-1, p.TreeSize, got, err)
					}
				}
				for _, p := range v.SeedConsistency {
					if p.Size1 == 0 || p.Size1 == p.Size2 {
						continue // the log refuses from = 0; from = to is the empty proof
					}
					got, err := l.Consistency(ctx, p.Size1, p.Size2)
					if err != nil || !equalHashes(got, unhexAll(t, p.ProofHex)) {
						t.Errorf("consistency %d→%d: %x %v", p.Size1, p.Size2, got, err)
					}
				}
				// Every proof the stored tree gives verifies against the roots.
				for n := uint64(1); n <= 8; n++ {
					c := Checkpoint{Origin: "x", Size: n, Root: unhex(t, v.ReferenceTree.Roots[n])}
					for i := range n {
						hs, err := l.Inclusion(ctx, i, n)
						if err != nil {
							t.Fatal(err)
						}
						if _, err := VerifyInclusion(InclusionProof{LeafIndex: i, TreeSize: n, LeafHash: leaves[i], Hashes: hs}, c); err != nil {
							t.Errorf("leaf %d of %d: %v", i, n, err)
						}
					}
					for m := uint64(1); m < n; m++ {
						hs, err := l.Consistency(ctx, m, n)
						if err != nil {
							t.Fatal(err)
						}
						old := Checkpoint{Size: m, Root: unhex(t, v.ReferenceTree.Roots[m])}
						if err := VerifyConsistency(ConsistencyProof{From: m, To: n, Hashes: hs}, old, c); err != nil {
							t.Errorf("%d→%d: %v", m, n, err)
						}
					}
				}
				if _, err := l.Inclusion(ctx, 0, 9); err != ErrBeyondLog {
					t.Errorf("beyond the log: %v", err)
				}
			}
		})
	}
}

func equalHashes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestProbeVectors runs the probes (6 + 6 good ones, the rest mutations
// that must fail) through the verification slt verify uses.
func TestProbeVectors(t *testing.T) {
	v := loadVectors(t)
	for _, p := range v.InclusionProbes {
		_, err := VerifyInclusion(InclusionProof{LeafIndex: p.LeafIdx, TreeSize: p.TreeSize, LeafHash: unhex(t, p.LeafHashHex),
			Hashes: unhexAll(t, p.ProofHex)}, Checkpoint{Size: p.TreeSize, Root: unhex(t, p.RootHex)})
		if (err != nil) != p.WantErr {
			t.Errorf("inclusion %s (%s): err %v, want error %v", p.Desc, p.File, err, p.WantErr)
		}
	}
	for _, p := range v.ConsistencyProbes {
		err := VerifyConsistency(ConsistencyProof{From: p.Size1, To: p.Size2, Hashes: unhexAll(t, p.ProofHex)},
			Checkpoint{Size: p.Size1, Root: unhex(t, p.Root1Hex)}, Checkpoint{Size: p.Size2, Root: unhex(t, p.Root2Hex)})
		if (err != nil) != p.WantErr {
			t.Errorf("consistency %s (%s): err %v, want error %v", p.Desc, p.File, err, p.WantErr)
		}
	}
}
