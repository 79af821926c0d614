package ledger

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/money"
)

func validCurrency(code string) bool {
	c, err := money.Lookup(code)
	return err == nil && c.HasMinorUnits()
}

// ErrBadCursor reports a page cursor that this account did not hand out.
var ErrBadCursor = errors.New("invalid cursor")

// accountView is an account as readers see it.
type accountView struct {
	Account
	key    int64
	headTS int64
}

// LookupAccount returns an account with its committed balances, including
// every transfer acknowledged before the call. ErrNotFound if none.
func (e *Engine) LookupAccount(ctx context.Context, id ID) (Account, error) {
	v, err := e.view(ctx, id)
	return v.Account, err
}

func (e *Engine) view(ctx context.Context, id ID) (accountView, error) {
	if ent := e.cache.get(id); ent != nil {
		synced := e.syncedTS.Load()
		if a, s, ok := ent.account(); ok && e.fresh(ctx, synced) {
			return accountView{Account: a, key: ent.key, headTS: s.HeadTS}, nil
		}
	}
	rec, tail, err := e.store.ReadAccount(ctx, id)
	if err != nil {
		return accountView{}, err
	}
	for i := range tail {
		if err := applyToChain(&rec.Chain, rec.Key, &tail[i]); err != nil {
			return accountView{}, err
		}
	}
	a := rec.Account
	a.Balance = rec.Chain.Balance
	return accountView{Account: a, key: rec.Key, headTS: rec.Chain.HeadTS}, nil
}

// fresh reports whether the published cache, as of synced, is the latest
// committed state: always for an exclusive store, else when nobody has
// committed since.
func (e *Engine) fresh(ctx context.Context, synced int64) bool {
	if e.store.Exclusive() {
		return true
	}
	h, err := e.store.ReadHead(ctx)
	return err == nil && h.LastTS == synced
}

// LookupTransfer returns a transfer by id. ErrNotFound if none.
func (e *Engine) LookupTransfer(ctx context.Context, id ID) (Transfer, error) {
	r, err := e.store.ReadTransfer(ctx, id)
	if err != nil {
		return Transfer{}, err
	}
	return r.Transfer(), nil
}

// TransferFilter selects a page of an account's transfers.
type TransferFilter struct {
	From   time.Time // only transfers at or after From (zero: no bound)
	To     time.Time // only transfers before To (zero: no bound)
	Limit  int       // page size; 0 means 50
	Cursor string    // from the previous page's Next
}

// TransferPage is one page of an account's transfers, newest first.
type TransferPage struct {
	Transfers []Transfer
	Next      string // cursor of the next page; empty on the last page
}

// AccountTransfers lists an account's transfers, newest first.
func (e *Engine) AccountTransfers(ctx context.Context, id ID, f TransferFilter) (TransferPage, error) {
	v, err := e.view(ctx, id)
	if err != nil {
		return TransferPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPageSize)
	start := v.headTS
	if f.Cursor != "" {
		ts, err := decodeCursor(f.Cursor)
		if err != nil {
			return TransferPage{}, err
		}
		r, err := e.store.ReadTransferAt(ctx, ts)
		if err != nil || (r.DebitKey != v.key && r.CreditKey != v.key) {
			return TransferPage{}, fmt.Errorf("%w: not a position in this account's transfers", ErrBadCursor)
		}
		side, _ := r.SideOf(v.key)
		start = side.PrevTS
	}
	if !f.To.IsZero() {
		if start, err = e.seek(ctx, v.key, start, f.To.UnixNano()-1); err != nil {
			return TransferPage{}, err
		}
	}
	if start == 0 {
		return TransferPage{Transfers: []Transfer{}}, nil
	}
	var minTS int64
	if !f.From.IsZero() {
		minTS = f.From.UnixNano()
	}
	recs, err := e.store.WalkAccount(ctx, v.key, start, minTS, limit+1)
	if err != nil {
		return TransferPage{}, err
	}
	page := TransferPage{Transfers: make([]Transfer, 0, min(len(recs), limit))}
	for i := range recs {
		if i == limit {
			page.Next = encodeCursor(recs[i-1].TS)
			break
		}
		page.Transfers = append(page.Transfers, recs[i].Transfer())
	}
	return page, nil
}

// BalanceAt returns an account's balance as of t: after every transfer
// committed at or before t.
func (e *Engine) BalanceAt(ctx context.Context, id ID, t time.Time) (Balance, error) {
	v, err := e.view(ctx, id)
	if err != nil {
		return Balance{}, err
	}
	ts, err := e.seek(ctx, v.key, v.headTS, t.UnixNano())
	if err != nil || ts == 0 {
		return Balance{}, err
	}
	r, err := e.store.ReadTransferAt(ctx, ts)
	if err != nil {
		return Balance{}, err
	}
	side, _ := r.SideOf(v.key)
	return side.Balance, nil
}

// maxSeekSteps bounds a seek: the skip list needs about log²(n) steps;
// more means the chain is corrupt.
const maxSeekSteps = 64 * 64

// seek returns the newest transfer of the account at or before t, starting
// from the transfer at ts and following the skip list backwards.
func (e *Engine) seek(ctx context.Context, key, ts, t int64) (int64, error) {
	for steps := 0; ts > t; steps++ {
		if steps == maxSeekSteps {
			return 0, fmt.Errorf("%w: seeking in the transfers of account %d", ErrCorruptRecord, key)
		}
		r, err := e.store.ReadTransferAt(ctx, ts)
		if err != nil {
			return 0, fmt.Errorf("seek: %w", err)
		}
		side, _ := r.SideOf(key)
		if side.SkipTS > t {
			ts = side.SkipTS
		} else {
			ts = side.PrevTS
		}
	}
	return ts, nil
}

func encodeCursor(ts int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ts))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, truncate(s, 32))
	}
	ts := int64(binary.BigEndian.Uint64(b))
	if ts <= 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, truncate(s, 32))
	}
	return ts, nil
}
