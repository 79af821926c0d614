package ledgerlog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// AuditOptions say what Audit compares.
type AuditOptions struct {
	Reader  ledger.Reader // the ledger
	DB      *sql.DB       // the database holding the log's tables
	Dialect string
	// VerifierKey, if set, is the key the newest checkpoint's signature
	// must verify with.
	VerifierKey string
}

// AuditReport is what Audit found.
type AuditReport struct {
	Transfers      uint64 `json:"transfers"`       // ledger transfers read
	Leaves         uint64 `json:"leaves"`          // log leaves compared
	Checkpoints    int    `json:"checkpoints"`     // signed checkpoints whose root was recomputed
	CheckpointSize uint64 `json:"checkpoint_size"` // the newest checkpoint's tree size
	// Mismatch is the first disagreement between the ledger and the log;
	// empty if there is none.
	Mismatch string `json:"mismatch,omitempty"`
}

// OK reports whether the audit found nothing wrong.
func (r AuditReport) OK() bool { return r.Mismatch == "" }

// Audit replays the whole log against the ledger without writing: it
// recomputes every leaf from the ledger's transfers in timestamp order and
// compares it, and every tree node stored beside it, with the log; then it
// recomputes the root of every signed checkpoint and verifies the newest
// one's signature. It reports the first mismatch; an error means it could
// not finish reading.
func Audit(ctx context.Context, opts AuditOptions) (AuditReport, error) {
	var rep AuditReport
	d, err := newDB(opts.DB, opts.Dialect, nil)
	if err != nil {
		return rep, err
	}
	// The log first, then the ledger: every logged transfer is committed, so
	// the snapshot has at least the logged ones.
	size, _, err := d.tip(ctx)
	if err != nil {
		return rep, err
	}
	roots, err := d.checkpointRoots(ctx)
	if err != nil {
		return rep, err
	}
	newest, err := d.checkpoint(ctx, -1)
	haveCP := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rep, fmt.Errorf("ledgerlog: read checkpoint: %w", err)
	}
	if haveCP {
		rep.CheckpointSize = newest.Size
		if newest.Size > size {
			rep.Mismatch = fmt.Sprintf("the newest checkpoint has %d leaves, the log only %d", newest.Size, size)
			return rep, nil
		}
		if opts.VerifierKey != "" {
			c, err := OpenCheckpoint([]byte(newest.Note), opts.VerifierKey)
			if err != nil {
				rep.Mismatch = "the newest checkpoint: " + err.Error()
				return rep, nil
			}
			if c.Size != newest.Size || !bytes.Equal(c.Root, newest.Root) {
				rep.Mismatch = fmt.Sprintf("the newest checkpoint's note (size %d) differs from its row (size %d)", c.Size, newest.Size)
				return rep, nil
			}
		}
	}
	if r, ok := roots[0]; ok {
		rep.Checkpoints++
		if !bytes.Equal(r, hasher.EmptyRoot()) {
			rep.Mismatch = "the checkpoint of size 0 does not have the empty tree's root"
			return rep, nil
		}
	}

	snap, err := opts.Reader.Snapshot(ctx)
	if err != nil {
		return rep, err
	}
	defer snap.Close()
	ids := map[int64]ledger.ID{}
	if err := snap.ScanAccounts(ctx, func(a *ledger.AccountRecord) error {
		ids[a.Key] = a.ID
		return nil
	}); err != nil {
		return rep, err
	}
	pendingIDs := map[int64]ledger.ID{}
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	var (
		rows []leafRow // the next stored rows, read in chunks
		buf  []byte
	)
	const chunk = 4096
	errStop := errors.New("stop")
	err = snap.ScanTransfers(ctx, func(r *ledger.TransferRecord) error {
		rep.Transfers++
		if r.Flags&ledger.Pending != 0 {
			pendingIDs[r.TS] = r.ID
		}
		i := rep.Transfers - 1
		if i >= size {
			return nil // committed after the log's tip: not logged yet
		}
		if len(rows) == 0 {
			var err error
			if rows, err = d.leafRows(ctx, i, chunk); err != nil {
				return err
			}
			if len(rows) == 0 || rows[0].idx != i {
				rep.Mismatch = fmt.Sprintf("leaf %d is missing from the log", i)
				return errStop
			}
		}
		row := rows[0]
		rows = rows[1:]
		if row.idx != i {
			rep.Mismatch = fmt.Sprintf("leaf %d is missing from the log", i)
			return errStop
		}
		t := r.Transfer()
		t.DebitAccountID, t.CreditAccountID = ids[r.DebitKey], ids[r.CreditKey]
		if r.PendingTS != 0 {
			t.PendingID = pendingIDs[r.PendingTS]
		}
		buf = AppendLeaf(buf[:0], t)
		leafHash := HashLeaf(buf)
		if row.ts != r.TS {
			rep.Mismatch = fmt.Sprintf("leaf %d: the log has the transfer committed at %d, the ledger's transfer number %d (%s) was committed at %d: transfers were changed, removed, added or reordered",
				i, row.ts, i, t.ID, r.TS)
			return errStop
		}
		if len(row.hashes) < hashSize || !bytes.Equal(row.hashes[:hashSize], leafHash) {
			rep.Mismatch = fmt.Sprintf("leaf %d: transfer %s (committed at %d) in the ledger does not hash to the logged leaf: the transfer or the log was altered", i, t.ID, r.TS)
			return errStop
		}
		var got []byte
		if err := rng.Append(leafHash, func(_ compact.NodeID, h []byte) { got = append(got, h...) }); err != nil {
			return err
		}
		if !bytes.Equal(got, row.hashes) {
			rep.Mismatch = fmt.Sprintf("leaf %d: the tree nodes stored with it are not the hashes of the leaves below them", i)
			return errStop
		}
		rep.Leaves++
		if want, ok := roots[i+1]; ok {
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return err
			}
			rep.Checkpoints++
			if !bytes.Equal(root, want) {
				rep.Mismatch = fmt.Sprintf("the signed checkpoint of size %d has a root the ledger's transfers do not give", i+1)
				return errStop
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	if rep.Leaves < size {
		rep.Mismatch = fmt.Sprintf("the log has %d leaves, the ledger only %d transfers: transfers were removed", size, rep.Transfers)
	}
	return rep, nil
}

// checkpointRoots returns the root of every stored checkpoint by size.
func (d *db) checkpointRoots(ctx context.Context) (map[uint64][]byte, error) {
	rows, err := d.sql.QueryContext(ctx, "SELECT size, root FROM log_checkpoints")
	if err != nil {
		return nil, fmt.Errorf("ledgerlog: read checkpoints: %w", err)
	}
	defer rows.Close()
	out := map[uint64][]byte{}
	for rows.Next() {
		var (
			size int64
			root []byte
		)
		if err := rows.Scan(&size, &root); err != nil {
			return nil, fmt.Errorf("ledgerlog: read checkpoints: %w", err)
		}
		out[uint64(size)] = root
	}
	return out, rows.Err()
}

// leafRows reads up to limit rows from leaf index from.
func (d *db) leafRows(ctx context.Context, from uint64, limit int) ([]leafRow, error) {
	rows, err := d.sql.QueryContext(ctx, d.text("SELECT idx, ts, hashes FROM log_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2"), int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("ledgerlog: read leaves: %w", err)
	}
	defer rows.Close()
	var out []leafRow
	for rows.Next() {
		var (
			r   leafRow
			idx int64
		)
		if err := rows.Scan(&idx, &r.ts, &r.hashes); err != nil {
			return nil, fmt.Errorf("ledgerlog: read leaves: %w", err)
		}
		r.idx = uint64(idx)
		out = append(out, r)
	}
	return out, rows.Err()
}
