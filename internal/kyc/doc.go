// Package kyc checks the identity data a customer gives when opening a
// wallet ("know your customer") and connects to identity-verification
// providers.
//
// # Format checks
//
// ValidResidentID checks a mainland China resident identity card number
// (GB 11643-1999): length, ISO 7064 MOD 11-2 check character, province code
// and birth date. ValidPassport checks a passport's issuing country (an
// ISO 3166-1 alpha-3 code) and the shape of its number. ValidName checks a
// person's real name, and NormalizeName and SameName compare names, for
// example the one on an identity document with the holder of a bank card.
//
// These checks only say that data is well formed. Whether the document
// exists and belongs to the named person is for a Verifier to say.
//
// # Verification
//
// A Verifier asks a provider (in China, a licensed provider with access to
// the public security database) whether a name and a document belong
// together. Implementations validate the request with NormalizeRequest
// first, so malformed data is reported as such and never sent. Sandbox is a
// Verifier for tests and development with deterministic outcomes.
//
// # Personal data
//
// Names and document numbers are personal data. Errors from this package
// never contain a full document number or a name; use MaskID to show a
// number in logs or to the customer. ResidentID and Request print masked
// numbers with the %v and %s verbs.
package kyc
