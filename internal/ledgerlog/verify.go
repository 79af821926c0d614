package ledgerlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// InclusionProof is what GET /v1/log/inclusion answers, and what
// `slt verify --proof` reads. Hashes are standard base64 (with padding);
// []byte fields marshal that way.
type InclusionProof struct {
	TransferID string   `json:"transfer_id,omitempty" doc:"The transfer whose leaf this is."`
	LeafIndex  uint64   `json:"leaf_index" doc:"The leaf's index in the log, from 0."`
	TreeSize   uint64   `json:"tree_size" doc:"The size of the tree the proof is for: verify it against the checkpoint of that size."`
	LeafHash   []byte   `json:"leaf_hash" doc:"The RFC 6962 leaf hash, SHA-256(0x00 ‖ leaf), base64."`
	Leaf       []byte   `json:"leaf,omitempty" doc:"The leaf: the transfer's canonical encoding (docs/log.md), base64."`
	Hashes     [][]byte `json:"hashes" doc:"The RFC 6962 inclusion proof (audit path), from the leaf up, base64."`
}

// ConsistencyProof is what GET /v1/log/consistency answers.
type ConsistencyProof struct {
	From   uint64   `json:"from" doc:"The smaller tree size."`
	To     uint64   `json:"to" doc:"The larger tree size."`
	Hashes [][]byte `json:"hashes" doc:"The RFC 6962 consistency proof, base64."`
}

// maxProofHashes bounds a proof's length: a tree of 2^64 leaves needs at
// most 2·64 hashes.
const maxProofHashes = 128

// maxProofBytes bounds the JSON of a proof.
const maxProofBytes = 64 << 10

func checkHashes(hs [][]byte) error {
	if len(hs) > maxProofHashes {
		return fmt.Errorf("proof: %d hashes is too many", len(hs))
	}
	for i, h := range hs {
		if len(h) != hashSize {
			return fmt.Errorf("proof: hash %d is %d bytes, want %d", i, len(h), hashSize)
		}
	}
	return nil
}

func decodeJSON(b []byte, v any) error {
	if len(b) > maxProofBytes {
		return fmt.Errorf("proof: more than %d bytes", maxProofBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	if dec.More() {
		return errors.New("proof: trailing data after the JSON object")
	}
	return nil
}

// ParseInclusionProof parses an inclusion proof's JSON.
func ParseInclusionProof(b []byte) (InclusionProof, error) {
	var p InclusionProof
	if err := decodeJSON(b, &p); err != nil {
		return InclusionProof{}, err
	}
	if len(p.LeafHash) != hashSize {
		return InclusionProof{}, errors.New("proof: leaf_hash is not 32 bytes of base64")
	}
	if p.LeafIndex >= p.TreeSize {
		return InclusionProof{}, fmt.Errorf("proof: leaf %d is not in a tree of size %d", p.LeafIndex, p.TreeSize)
	}
	if err := checkHashes(p.Hashes); err != nil {
		return InclusionProof{}, err
	}
	return p, nil
}

// ParseConsistencyProof parses a consistency proof's JSON.
func ParseConsistencyProof(b []byte) (ConsistencyProof, error) {
	var p ConsistencyProof
	if err := decodeJSON(b, &p); err != nil {
		return ConsistencyProof{}, err
	}
	if p.From > p.To {
		return ConsistencyProof{}, fmt.Errorf("proof: from %d > to %d", p.From, p.To)
	}
	if err := checkHashes(p.Hashes); err != nil {
		return ConsistencyProof{}, err
	}
	return p, nil
}

// VerifyInclusion checks that the proof puts its leaf in the checkpoint's
// tree. If the proof carries the leaf's bytes, they must hash to the leaf
// hash and decode to a transfer with the proof's transfer id; that
// transfer is returned.
func VerifyInclusion(p InclusionProof, c Checkpoint) (*ledger.Transfer, error) {
	if p.TreeSize != c.Size {
		return nil, fmt.Errorf("the proof is for a tree of size %d, the checkpoint's tree has %d leaves: fetch the proof with tree_size=%d",
			p.TreeSize, c.Size, c.Size)
	}
	var t *ledger.Transfer
	if p.Leaf != nil {
		if !bytes.Equal(HashLeaf(p.Leaf), p.LeafHash) {
			return nil, errors.New("the leaf's bytes do not hash to leaf_hash")
		}
		tr, err := DecodeLeaf(p.Leaf)
		if err != nil {
			return nil, err
		}
		if p.TransferID != "" && tr.ID.String() != p.TransferID {
			return nil, fmt.Errorf("the leaf is transfer %s, not %s", tr.ID, truncate(p.TransferID, 40))
		}
		t = &tr
	}
	if err := proof.VerifyInclusion(hasher, p.LeafIndex, p.TreeSize, p.LeafHash, p.Hashes, c.Root); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return t, nil
}

// VerifyConsistency checks that the newer checkpoint's tree extends the
// older one's.
func VerifyConsistency(p ConsistencyProof, older, newer Checkpoint) error {
	if p.From == 0 {
		// Every tree extends the empty one: such a "proof" proves nothing
		// (transparency-dev/merkle's newer versions refuse it too).
		return errors.New("a consistency proof from the empty tree is meaningless")
	}
	if p.From != older.Size || p.To != newer.Size {
		return fmt.Errorf("the proof is from size %d to %d, the checkpoints have %d and %d leaves", p.From, p.To, older.Size, newer.Size)
	}
	if err := proof.VerifyConsistency(hasher, p.From, p.To, p.Hashes, older.Root, newer.Root); err != nil {
		return fmt.Errorf("consistency proof: %w", err)
	}
	return nil
}
