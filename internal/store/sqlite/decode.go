package sqlite

import (
	"fmt"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Row values as the driver returns them: int64, string, []byte or nil.

func asInt(v any) int64 {
	if x, ok := v.(int64); ok {
		return x
	}
	return 0
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func asID(v any) (ledger.ID, error) {
	var id ledger.ID
	if v == nil {
		return id, nil
	}
	b, ok := v.([]byte)
	if !ok || len(b) != len(id) {
		return id, fmt.Errorf("%w: id of %d bytes", ledger.ErrCorruptRecord, len(b))
	}
	copy(id[:], b)
	return id, nil
}

// decodeAccount reads the columns of accountCols.
func decodeAccount(v []any, a *ledger.AccountRecord) error {
	id, err := asID(v[1])
	if err != nil {
		return err
	}
	*a = ledger.AccountRecord{Key: asInt(v[0])}
	a.ID = id
	a.Currency = asString(v[2])
	a.Code = uint16(asInt(v[3]))
	a.Flags = ledger.AccountFlags(asInt(v[4]))
	a.Owner = asString(v[5])
	a.Timestamp = asInt(v[6])
	if v[12] == nil { // no balance row: no transfer yet
		return nil
	}
	a.Chain.Balance = ledger.Balance{
		DebitsPending: asInt(v[7]), DebitsPosted: asInt(v[8]),
		CreditsPending: asInt(v[9]), CreditsPosted: asInt(v[10]),
	}
	a.Chain.HeadTS = asInt(v[11])
	a.Chain.Height = uint64(asInt(v[12]))
	b, _ := v[13].([]byte)
	levels, err := ledger.DecodeLevels(b)
	if err != nil {
		return fmt.Errorf("account %d: %w", a.Key, err)
	}
	a.Chain.Levels = levels
	return nil
}

// decodeTransfer reads the columns of transferCols, and of
// transferColsJoined when v has them.
func decodeTransfer(v []any, r *ledger.TransferRecord) error {
	id, err := asID(v[1])
	if err != nil {
		return err
	}
	*r = ledger.TransferRecord{
		TS: asInt(v[0]), ID: id, DebitKey: asInt(v[2]), CreditKey: asInt(v[3]), Amount: asInt(v[4]),
		Currency: asString(v[5]), Code: uint16(asInt(v[6])), Flags: ledger.TransferFlags(asInt(v[7])),
		PendingTS: asInt(v[8]), TimeoutSeconds: uint32(asInt(v[9])), Reference: asString(v[10]),
	}
	sides, _ := v[13].([]byte)
	if err := ledger.DecodeSides(sides, r); err != nil {
		return err
	}
	r.Debit.PrevTS, r.Credit.PrevTS = asInt(v[11]), asInt(v[12])
	if len(v) > 14 {
		if r.DebitID, err = asID(v[14]); err != nil {
			return err
		}
		if r.CreditID, err = asID(v[15]); err != nil {
			return err
		}
		if r.PendingID, err = asID(v[16]); err != nil {
			return err
		}
	}
	return nil
}
