package kyc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors of a Verifier.
var (
	// ErrMismatch means the provider knows the document but it does not
	// belong to the named person. It is final: retrying will not help.
	ErrMismatch = errors.New("kyc: name does not match the identity document")
	// ErrUnavailable means the provider could not answer. It is transient:
	// the request may be retried later.
	ErrUnavailable = errors.New("kyc: identity verification unavailable")
	// ErrDocumentType means a Request has a DocumentType other than
	// DocumentResidentID and DocumentPassport.
	ErrDocumentType = errors.New("kyc: unknown identity document type")
)

// Verifier checks a person's identity with a provider. In China this is a
// check against the public security database through a licensed provider.
// Implementations must be safe for concurrent use.
type Verifier interface {
	// Verify checks that the name matches the identity document. It
	// returns ErrMismatch when the document exists but belongs to someone
	// else / the name does not match, ErrUnavailable when the provider can
	// not answer (transient).
	//
	// A request that NormalizeRequest rejects is never sent to the
	// provider; its format error is returned as it is.
	Verify(ctx context.Context, req Request) (Verification, error)
}

// DocumentType is the kind of identity document of a Request.
type DocumentType string

// The document types a Verifier understands.
const (
	// DocumentResidentID is a mainland China resident identity card
	// (居民身份证), checked by ValidResidentID.
	DocumentResidentID DocumentType = "resident_id"
	// DocumentPassport is a passport, checked by ValidPassport.
	DocumentPassport DocumentType = "passport"
)

// Request asks a Verifier whether a name and a document belong together.
type Request struct {
	// Name is the person's real name, as on the document.
	Name string
	// Type is the kind of document.
	Type DocumentType
	// Country is the issuing country of a passport, an ISO 3166-1
	// alpha-3 code. It is ignored for resident identity cards.
	Country string
	// Number is the document number.
	Number string
}

// String describes the request without the name and with a masked
// number, so that printing it with %v or %s keeps personal data out of
// logs.
func (r Request) String() string {
	if r.Type == DocumentPassport {
		return fmt.Sprintf("%s %s %s", r.Type, r.Country, MaskID(r.Number))
	}
	return fmt.Sprintf("%s %s", r.Type, MaskID(r.Number))
}

// Verification is a successful verification.
type Verification struct {
	// Reference is the provider's reference for the check, to quote in
	// disputes and audits.
	Reference string
	// VerifiedAt is when the provider answered.
	VerifiedAt time.Time
	// Type is the kind of document verified.
	Type DocumentType
	// Masked is the document number masked by MaskID.
	Masked string
}

// NormalizeRequest checks the format of a request and returns it in
// canonical form: the name as by NormalizeName, a resident identity number
// with an upper-case X, a passport's country and number upper-cased. now is
// the date against which a birth date must not be in the future. It fails
// with ErrName, ErrDocumentType, or the errors of ValidResidentID or
// ValidPassport. Verifier implementations call it before contacting their
// provider.
func NormalizeRequest(req Request, now time.Time) (Request, error) {
	if err := ValidName(req.Name); err != nil {
		return Request{}, err
	}
	out := Request{Name: NormalizeName(req.Name), Type: req.Type}
	switch req.Type {
	case DocumentResidentID:
		id, err := ValidResidentID(req.Number, now)
		if err != nil {
			return Request{}, err
		}
		out.Number = id.Number
	case DocumentPassport:
		if err := ValidPassport(req.Country, req.Number); err != nil {
			return Request{}, err
		}
		out.Country, out.Number = asciiUpper(req.Country), asciiUpper(req.Number)
	default:
		return Request{}, ErrDocumentType
	}
	return out, nil
}
