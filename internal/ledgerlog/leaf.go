// Package ledgerlog is the ledger's transparency log: every committed
// transfer becomes a leaf of an append-only RFC 6962 Merkle tree, in commit
// (timestamp) order; the server signs checkpoints of the tree in the C2SP
// signed-note format, and serves inclusion and consistency proofs that
// anyone can verify with the public key alone. See docs/log.md.
package ledgerlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// LeafVersion is the first byte of every leaf: the version of the layout.
const LeafVersion = 1

// maxReference bounds the reference a leaf can carry.
const maxReference = 1 << 16

// EncodeLeaf returns the canonical encoding of a transfer's immutable
// fields, the bytes a leaf of the log hashes (layout version 1; every
// integer big-endian):
//
//	 1 byte    version (1)
//	16 bytes   transfer id
//	 8 bytes   commit timestamp (int64, ns since the Unix epoch)
//	16 bytes   debit account id
//	16 bytes   credit account id
//	 8 bytes   amount (int64, minor units)
//	 1 byte    length of the currency code, then its bytes
//	 2 bytes   code
//	 2 bytes   flags
//	16 bytes   pending transfer id (zero if none)
//	 4 bytes   timeout seconds
//	 2 bytes   length of the reference, then its UTF-8 bytes
func EncodeLeaf(t ledger.Transfer) []byte {
	b := make([]byte, 0, 1+16+8+16+16+8+1+len(t.Currency)+2+2+16+4+2+len(t.Reference))
	return AppendLeaf(b, t)
}

// AppendLeaf appends EncodeLeaf(t) to dst.
func AppendLeaf(b []byte, t ledger.Transfer) []byte {
	b = append(b, LeafVersion)
	b = append(b, t.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Timestamp))
	b = append(b, t.DebitAccountID[:]...)
	b = append(b, t.CreditAccountID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Amount))
	cur := t.Currency
	if len(cur) > 255 {
		cur = cur[:255]
	}
	b = append(b, byte(len(cur)))
	b = append(b, cur...)
	b = binary.BigEndian.AppendUint16(b, t.Code)
	b = binary.BigEndian.AppendUint16(b, uint16(t.Flags))
	b = append(b, t.PendingID[:]...)
	b = binary.BigEndian.AppendUint32(b, t.TimeoutSeconds)
	ref := t.Reference
	if len(ref) >= maxReference {
		ref = ref[:maxReference-1]
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(ref)))
	return append(b, ref...)
}

// ErrBadLeaf reports bytes that are not a canonical leaf.
var ErrBadLeaf = errors.New("not a canonical leaf")

// DecodeLeaf parses what EncodeLeaf wrote. It refuses trailing bytes, other
// versions, and anything EncodeLeaf would not have written.
func DecodeLeaf(b []byte) (ledger.Transfer, error) {
	var t ledger.Transfer
	r := reader{b: b}
	if v := r.n(1); v == nil || v[0] != LeafVersion {
		return t, fmt.Errorf("%w: unknown version", ErrBadLeaf)
	}
	copy(t.ID[:], r.n(16))
	t.Timestamp = int64(r.u64())
	copy(t.DebitAccountID[:], r.n(16))
	copy(t.CreditAccountID[:], r.n(16))
	t.Amount = int64(r.u64())
	if l := r.n(1); l != nil {
		t.Currency = string(r.n(int(l[0])))
	}
	t.Code = r.u16()
	t.Flags = ledger.TransferFlags(r.u16())
	copy(t.PendingID[:], r.n(16))
	t.TimeoutSeconds = r.u32()
	t.Reference = string(r.n(int(r.u16())))
	if r.short {
		return ledger.Transfer{}, fmt.Errorf("%w: too short", ErrBadLeaf)
	}
	if len(r.b) != 0 {
		return ledger.Transfer{}, fmt.Errorf("%w: %d trailing bytes", ErrBadLeaf, len(r.b))
	}
	if !utf8.ValidString(t.Reference) || !utf8.ValidString(t.Currency) {
		return ledger.Transfer{}, fmt.Errorf("%w: text is not UTF-8", ErrBadLeaf)
	}
	return t, nil
}

type reader struct {
	b     []byte
	short bool
}

func (r *reader) n(n int) []byte {
	if r.short || len(r.b) < n {
		r.short = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u16() uint16 {
	if v := r.n(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.n(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.n(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// HashLeaf is the RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf).
func HashLeaf(leaf []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(leaf) }

// TransferLeafHash is the leaf hash of a transfer.
func TransferLeafHash(t ledger.Transfer) []byte { return HashLeaf(EncodeLeaf(t)) }
