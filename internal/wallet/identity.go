package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

// Codes of identity verification.
const (
	CodeInvalidIdentity    = "invalid_identity"
	CodeIdentityMismatch   = "identity_mismatch"
	CodeAlreadyVerified    = "already_verified"
	CodeIdentityNotChecked = "identity_unavailable"
)

// IdentityRequest is what a user gives to verify their real name: a
// mainland resident identity card, or a passport.
type IdentityRequest struct {
	Name    string
	Type    string // resident_id, passport
	Country string // passports: ISO 3166-1 alpha-3
	Number  string
}

// VerifyIdentity checks the user's real name with the identity provider
// and, when it matches, raises the user to tier 1. The document number is
// sealed at rest; only its masked form is shown.
func (s *Service) VerifyIdentity(ctx context.Context, u User, r IdentityRequest) (User, error) {
	if u.RealName != "" {
		return User{}, newError(KindConflict, CodeAlreadyVerified, "your real name is verified already")
	}
	req, err := kyc.NormalizeRequest(kyc.Request{Name: r.Name, Type: kyc.DocumentType(r.Type), Country: r.Country, Number: r.Number}, s.now())
	if err != nil {
		return User{}, newError(KindInvalid, CodeInvalidIdentity, "%s", err.Error())
	}
	v, err := s.identity.Verify(ctx, req)
	switch {
	case errors.Is(err, kyc.ErrMismatch):
		return User{}, newError(KindInvalid, CodeIdentityMismatch, "the name does not match the identity document")
	case errors.Is(err, kyc.ErrUnavailable):
		return User{}, newError(KindUnavailable, CodeIdentityNotChecked, "identity verification is unavailable now; try again in a few minutes")
	case err != nil:
		return User{}, fmt.Errorf("verify identity: %w", err)
	}
	sealed, err := s.vault.Seal([]byte(req.Country+req.Number), []byte("identity:"+u.ID))
	if err != nil {
		return User{}, fmt.Errorf("verify identity: %w", err)
	}
	tier := max(u.Tier, Tier1)
	if err := s.store.SetIdentity(ctx, u.ID, req.Name, string(req.Type), v.Masked, sealed, tier); err != nil {
		return User{}, fmt.Errorf("verify identity: %w", err)
	}
	s.cache.forgetSessions()
	if err := s.raiseTier(ctx, u, tier); err != nil {
		return User{}, err
	}
	s.screenUser(ctx, u, "identity", req.Name)
	return s.store.UserByID(ctx, u.ID)
}
