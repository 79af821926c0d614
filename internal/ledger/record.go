package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Head is the ledger's global state after a commit: the newest row of the
// store's chain of commits. Every batch is built on a head and commits only
// if that head is still the newest, which orders all commits, also those of
// several processes sharing one PostgreSQL database.
type Head struct {
	LastTS         int64 `json:"last_ts"`          // the newest timestamp given to an account or transfer
	LastAccountKey int64 `json:"last_account_key"` // the newest internal account key
	// CheckpointTS: every account row reflects every transfer with a
	// timestamp at or before it. Transfers after it (the tail) are applied
	// on top of the rows when accounts are read; see flush.go.
	CheckpointTS int64 `json:"checkpoint_ts"`
}

// ChainState is an account's position in its chain of transfers: its
// balance after its newest transfer, and the pointers that let readers
// walk its history newest first and seek a point in time (a skip list whose
// pointers are transfer timestamps).
type ChainState struct {
	Balance
	HeadTS int64  // timestamp of the newest transfer touching the account; 0 if none
	Height uint64 // how many transfers touch the account
	// Levels[k-1] is the timestamp of the newest transfer whose height has at
	// least k trailing zero bits (k ≥ 1). Level 0 is HeadTS.
	Levels []int64
}

func (s *ChainState) level(k int) int64 {
	if k == 0 {
		return s.HeadTS
	}
	if k-1 < len(s.Levels) {
		return s.Levels[k-1]
	}
	return 0
}

// clone returns a deep copy.
func (s ChainState) clone() ChainState {
	s.Levels = append([]int64(nil), s.Levels...)
	return s
}

// advance records the transfer at timestamp ts as the account's newest and
// returns the side's pointers (previous transfer, skip target, height).
func (s *ChainState) advance(ts int64) (prev, skip int64, height uint64) {
	height = s.Height + 1
	lvl := bits.TrailingZeros64(height)
	prev, skip = s.HeadTS, s.level(lvl+1)
	for k := 1; k <= lvl; k++ {
		for len(s.Levels) < k {
			s.Levels = append(s.Levels, 0)
		}
		s.Levels[k-1] = ts
	}
	s.HeadTS, s.Height = ts, height
	return prev, skip, height
}

// AccountRecord is an account as the store keeps it: its fixed fields, its
// internal key, and its chain state as of the row's last write.
type AccountRecord struct {
	Key int64
	Account
	Chain ChainState
}

// Side is one account's view of a transfer: where the transfer sits in the
// account's chain and the account's balance right after it.
type Side struct {
	PrevTS int64 // the account's previous transfer; 0 if none
	SkipTS int64 // a farther previous transfer (skip list); 0 if none
	Height uint64
	Balance
}

// TransferRecord is a transfer as the store keeps it, with internal keys,
// and for each side its chain pointers and the balance after it.
type TransferRecord struct {
	TS             int64
	ID             ID
	DebitKey       int64
	CreditKey      int64
	Amount         int64
	Currency       string
	Code           uint16
	Flags          TransferFlags
	PendingTS      int64 // post/void: the pending transfer's timestamp; else 0
	TimeoutSeconds uint32
	Reference      string
	Debit, Credit  Side

	// Filled by reads that join the accounts and the pending transfer.
	DebitID, CreditID, PendingID ID
}

// SideOf returns the record's side for the account with key, and whether
// the account is on the debit side.
func (r *TransferRecord) SideOf(key int64) (side *Side, debit bool) {
	if r.DebitKey == key {
		return &r.Debit, true
	}
	return &r.Credit, false
}

// Transfer returns the client's view of the record.
func (r *TransferRecord) Transfer() Transfer {
	return Transfer{
		ID: r.ID, DebitAccountID: r.DebitID, CreditAccountID: r.CreditID,
		Amount: r.Amount, Currency: r.Currency, Code: r.Code, Reference: r.Reference,
		Flags: r.Flags, PendingID: r.PendingID, TimeoutSeconds: r.TimeoutSeconds,
		Timestamp: r.TS,
	}
}

// ExpiresAt returns when a pending transfer times out (0 if never).
func (r *TransferRecord) ExpiresAt() int64 {
	if r.Flags&Pending == 0 || r.TimeoutSeconds == 0 {
		return 0
	}
	return r.TS + int64(r.TimeoutSeconds)*1e9
}

const sidesEncodingV1 = 1

// ErrCorruptRecord reports stored bytes that do not decode.
var ErrCorruptRecord = errors.New("corrupt ledger record")

// EncodeSides encodes the parts of both sides that the store keeps in one
// column (the skip pointers, heights and balances), appending to dst.
// Previous-transfer pointers are columns of their own so that SQL can walk
// an account's history.
func EncodeSides(dst []byte, ts int64, debit, credit *Side) []byte {
	dst = append(dst, sidesEncodingV1)
	for _, s := range [2]*Side{debit, credit} {
		dst = binary.AppendUvarint(dst, s.Height)
		var skipDelta uint64
		if s.SkipTS != 0 {
			skipDelta = uint64(ts - s.SkipTS)
		}
		dst = binary.AppendUvarint(dst, skipDelta)
		dst = binary.AppendUvarint(dst, uint64(s.DebitsPending))
		dst = binary.AppendUvarint(dst, uint64(s.DebitsPosted))
		dst = binary.AppendUvarint(dst, uint64(s.CreditsPending))
		dst = binary.AppendUvarint(dst, uint64(s.CreditsPosted))
	}
	return dst
}

// DecodeSides decodes what EncodeSides wrote into the record's sides.
func DecodeSides(b []byte, r *TransferRecord) error {
	if len(b) == 0 || b[0] != sidesEncodingV1 {
		return fmt.Errorf("%w: transfer %d: unknown sides encoding", ErrCorruptRecord, r.TS)
	}
	b = b[1:]
	for _, s := range [2]*Side{&r.Debit, &r.Credit} {
		var v [6]uint64
		for i := range v {
			x, n := binary.Uvarint(b)
			if n <= 0 || (i >= 1 && x > math.MaxInt64) {
				return fmt.Errorf("%w: transfer %d: bad sides", ErrCorruptRecord, r.TS)
			}
			v[i], b = x, b[n:]
		}
		s.Height = v[0]
		s.SkipTS = 0
		if v[1] != 0 {
			s.SkipTS = r.TS - int64(v[1])
		}
		s.Balance = Balance{int64(v[2]), int64(v[3]), int64(v[4]), int64(v[5])}
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: transfer %d: trailing bytes", ErrCorruptRecord, r.TS)
	}
	return nil
}

// EncodeLevels encodes an account's skip-list levels for its row.
func EncodeLevels(dst []byte, levels []int64) []byte {
	if dst == nil {
		dst = make([]byte, 0, 8*len(levels))
	}
	for _, l := range levels {
		dst = binary.AppendUvarint(dst, uint64(l))
	}
	return dst
}

// DecodeLevels decodes what EncodeLevels wrote.
func DecodeLevels(b []byte) ([]int64, error) {
	var levels []int64
	for len(b) > 0 {
		x, n := binary.Uvarint(b)
		if n <= 0 || x > math.MaxInt64 || len(levels) >= 64 {
			return nil, fmt.Errorf("%w: account levels", ErrCorruptRecord)
		}
		levels = append(levels, int64(x))
		b = b[n:]
	}
	return levels, nil
}
