package wallet

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Codes of bank cards.
const (
	CodeInvalidCard       = "invalid_card"
	CodeCardHolderName    = "card_holder_mismatch"
	CodeVerifyIdentity    = "identity_not_verified"
	CodeCardExists        = "card_exists"
	CodeCardRejected      = "card_rejected"
	CodeInvalidCode       = "invalid_verification_code"
	CodeCardNotVerified   = "card_not_verified"
	CodeBankUnavailable   = "bank_unavailable"
	CodeCardNotForPayouts = "card_not_for_withdrawals"
)

// LinkedCard is a card as its owner sees it, with the sandbox's code when
// the bank is the sandbox.
type LinkedCard struct {
	BankCard
	SandboxCode string
}

const maxCards = 10

// LinkCard starts linking a card: the number must pass its check digit and
// belong to a known network, the holder must be the verified real name,
// and the bank texts a one-time code to the holder's phone.
func (s *Service) LinkCard(ctx context.Context, u User, pan, holder string) (LinkedCard, error) {
	if u.RealName == "" {
		return LinkedCard{}, newError(KindForbidden, CodeVerifyIdentity, "verify your real name first: a card must be in your own name")
	}
	norm, err := bank.NormalizePAN(pan)
	if err != nil {
		return LinkedCard{}, newError(KindInvalid, CodeInvalidCard, "%s", err.Error())
	}
	bin, ok := bank.LookupBIN(norm)
	if !ok {
		return LinkedCard{}, newError(KindInvalid, CodeInvalidCard, "this card's network is not supported")
	}
	if !kyc.SameName(holder, u.RealName) {
		return LinkedCard{}, newError(KindInvalid, CodeCardHolderName, "the card holder's name must be your verified name")
	}
	cards, err := s.store.Cards(ctx, u.ID)
	if err != nil {
		return LinkedCard{}, fmt.Errorf("link card: %w", err)
	}
	if len(cards) >= maxCards {
		return LinkedCard{}, newError(KindInvalid, CodeInvalidCard, "at most %d cards may be linked", maxCards)
	}
	otp, err := s.bank.SendCardOTP(ctx, bank.CardOTPRequest{PAN: norm, HolderName: u.RealName, Phone: u.Phone})
	switch {
	case errors.Is(err, bank.ErrCardRejected):
		return LinkedCard{}, newError(KindInvalid, CodeCardRejected, "the bank refused this card")
	case err != nil:
		return LinkedCard{}, bankError("link card", err)
	}
	sealed, err := s.vault.Seal([]byte(norm), []byte("card:"+u.ID))
	if err != nil {
		return LinkedCard{}, fmt.Errorf("link card: %w", err)
	}
	c := BankCard{ID: ledger.NewID().String(), UserID: u.ID, PANSealed: sealed, PANHash: s.panHash(norm), Masked: bank.MaskPAN(norm),
		Issuer: bin.Issuer, Network: bin.Network, Type: string(bin.Type), HolderName: u.RealName, Status: "pending",
		VerificationID: otp.VerificationID, CreatedAt: s.now().UTC()}
	if err := s.store.CreateCard(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return LinkedCard{}, newError(KindConflict, CodeCardExists, "this card is linked already")
		}
		return LinkedCard{}, fmt.Errorf("link card: %w", err)
	}
	return LinkedCard{BankCard: c, SandboxCode: otp.SandboxCode}, nil
}

// panHash is a keyed hash of a card number: equal numbers are found
// without decrypting, and the hash tells nothing without the key.
func (s *Service) panHash(pan string) string {
	m := hmac.New(sha256.New, s.lookup)
	m.Write([]byte("card-number:" + pan))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyCard completes linking with the code the bank texted. The first
// verified card raises the user to tier 2.
func (s *Service) VerifyCard(ctx context.Context, u User, cardID, code string) (BankCard, error) {
	c, err := s.card(ctx, u, cardID)
	if err != nil {
		return BankCard{}, err
	}
	if c.Status == "verified" {
		return c, nil
	}
	token, err := s.bank.VerifyCardOTP(ctx, c.VerificationID, code)
	switch {
	case errors.Is(err, bank.ErrInvalidOTP):
		return BankCard{}, newError(KindInvalid, CodeInvalidCode, "the verification code is wrong")
	case errors.Is(err, bank.ErrOTPExpired), errors.Is(err, bank.ErrTooManyAttempts):
		return BankCard{}, newError(KindInvalid, CodeInvalidCode, "this verification code can not be used any more; link the card again for a new one")
	case err != nil:
		return BankCard{}, bankError("verify card", err)
	}
	if err := s.store.VerifyCard(ctx, c.ID, token); err != nil {
		return BankCard{}, fmt.Errorf("verify card: %w", err)
	}
	if err := s.raiseTier(ctx, u, Tier2); err != nil {
		return BankCard{}, err
	}
	c.Status, c.BankToken = "verified", token
	return c, nil
}

// Cards lists the user's linked cards.
func (s *Service) Cards(ctx context.Context, userID string) ([]BankCard, error) {
	all, err := s.store.Cards(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	live := all[:0]
	for _, c := range all {
		if c.Status != "removed" {
			live = append(live, c)
		}
	}
	return live, nil
}

// RemoveCard unlinks a card.
func (s *Service) RemoveCard(ctx context.Context, u User, cardID string) error {
	if err := s.store.DeleteCard(ctx, u.ID, cardID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "you have no such card")
		}
		return fmt.Errorf("remove card: %w", err)
	}
	return nil
}

func (s *Service) card(ctx context.Context, u User, cardID string) (BankCard, error) {
	cards, err := s.Cards(ctx, u.ID)
	if err != nil {
		return BankCard{}, err
	}
	for _, c := range cards {
		if c.ID == cardID {
			return c, nil
		}
	}
	return BankCard{}, newError(KindNotFound, CodeNotFound, "you have no such card")
}

// bankError maps a bank connector failure that is not an answer.
func bankError(op string, err error) error {
	if errors.Is(err, bank.ErrUnavailable) || errors.Is(err, bank.ErrTimeout) {
		return newError(KindUnavailable, CodeBankUnavailable, "the bank does not answer now; try again in a few minutes")
	}
	return fmt.Errorf("%s: %w", op, err)
}
