package wallet

import (
	"context"
	"errors"
	"fmt"
)

// Kinds of sealed values (card numbers, identity-document numbers,
// merchants' HMAC secrets, payment-code device secrets, webhook secrets).
const (
	SealedCard        = "card"
	SealedIdentity    = "identity"
	SealedMerchantKey = "merchant_key"
	SealedPaycode     = "paycode"
	SealedWebhook     = "webhook"
	SealedTOTP        = "totp"
)

// SealedKinds lists every kind of sealed value.
var SealedKinds = []string{SealedCard, SealedIdentity, SealedMerchantKey, SealedPaycode, SealedWebhook, SealedTOTP}

// SealedValue is a stored sealed value with what identifies its row and
// the additional data it is bound to.
type SealedValue struct {
	Kind, Key, AAD, Sealed string
}

// Reseal seals again, under the key ring's current key, every value still
// sealed under an older key, a page at a time; it returns how many it
// sealed again. Each update replaces the value only if it is still the
// one read, so it runs beside normal traffic (and beside another server
// doing the same). Once it finds nothing, the older keys can be retired.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	n := 0
	for _, kind := range SealedKinds {
		for {
			current := s.vault.CurrentKeyID()
			stale, err := s.store.StaleSealed(ctx, kind, current, 200)
			if err != nil {
				return n, err
			}
			for _, v := range stale {
				// An envelope's data key is wrapped again; a value of the
				// earlier format becomes an envelope.
				sealed, err := s.vault.Rewrap(v.Sealed, []byte(v.AAD))
				if err != nil {
					return n, fmt.Errorf("reseal %s %s: %w", kind, v.Key, err)
				}
				if err := s.store.Reseal(ctx, v, sealed); err != nil && !errors.Is(err, ErrNotFound) {
					return n, err
				}
				n++
			}
			if len(stale) < 200 {
				break
			}
		}
	}
	if n > 0 {
		s.cache.devices.forget() // their secrets are the same; their rows are not
		s.cache.forgetMerchants()
	}
	return n, nil
}
