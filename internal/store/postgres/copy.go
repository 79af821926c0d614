package postgres

import (
	"encoding/binary"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// EncodeTransfers writes transfers in PostgreSQL's binary COPY format:
// a signature and header, then per row the number of fields and each
// field's length and bytes in network order, then a trailer. Encoding here,
// while the engine builds a batch, leaves the committer only bytes to send.
func (s *Store) EncodeTransfers(rs []ledger.TransferRecord) any { return encodeTransfers(rs) }

func encodeTransfers(rs []ledger.TransferRecord) []byte {
	b := make([]byte, 0, 19+len(rs)*260)
	b = append(b, "PGCOPY\n\xff\r\n\x00"...)
	b = binary.BigEndian.AppendUint32(b, 0) // flags
	b = binary.BigEndian.AppendUint32(b, 0) // header extension length
	int8 := func(v int64) {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	int4 := func(v int32) {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	bytesField := func(v []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	textField := func(v string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	for i := range rs {
		r := &rs[i]
		b = binary.BigEndian.AppendUint16(b, 14)
		int8(r.TS)
		bytesField(r.ID[:]) // uuid: 16 bytes
		int8(r.DebitKey)
		int8(r.CreditKey)
		int8(r.Amount)
		textField(r.Currency)
		int4(int32(r.Code))
		int4(int32(r.Flags))
		if r.PendingTS != 0 {
			int8(r.PendingTS)
		} else {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff) // NULL
		}
		int4(int32(r.TimeoutSeconds))
		textField(r.Reference)
		int8(r.Debit.PrevTS)
		int8(r.Credit.PrevTS)
		lenAt := len(b)
		b = append(b, 0, 0, 0, 0)
		b = ledger.EncodeSides(b, r.TS, &r.Debit, &r.Credit)
		binary.BigEndian.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
	}
	return binary.BigEndian.AppendUint16(b, 0xffff) // trailer: -1
}
