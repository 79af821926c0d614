package wallet

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/shiliantong/shiliantong/internal/receivecode"
)

// ReceiveCode returns the payload of the user's personal receive code (收款码):
// another user scans it to pay them. With an amount (and currency, note)
// it asks for that amount; the payer's app fills it in.
func (s *Service) ReceiveCode(ctx context.Context, u User, amount int64, cur, note string) (string, error) {
	if amount != 0 || cur != "" {
		if err := s.checkAmount(max(amount, 1), cur); err != nil {
			return "", err
		}
	}
	note, err := checkNote(note)
	if err != nil {
		return "", err
	}
	id, err := uuid.Parse(u.ID)
	if err != nil {
		return "", err
	}
	p, err := s.codes.Encode(receivecode.Code{UserID: id, Amount: amount, Currency: cur, Note: note})
	if err != nil {
		return "", newError(KindInvalid, CodeInvalidRequest, "%s", strings.TrimPrefix(err.Error(), "receivecode: "))
	}
	return p, nil
}
