// Package bank connects the wallet to bank cards: it checks and masks card
// numbers, identifies their issuer, encrypts them at rest, and talks to the
// bank through a Connector, of which Sandbox is an in-memory implementation
// that behaves like a real bank.
//
// # Card numbers
//
// NormalizePAN and ValidPAN accept 12 to 19 digits (ISO/IEC 7812), with
// spaces and hyphens ignored, that pass the Luhn check. MaskPAN shows only
// the first and last four digits. LookupBIN finds the issuer, network and
// card type by longest-prefix match over a small table of publicly listed
// BINs of the main Chinese banks and the networks' own ranges. Errors
// never contain a whole card number.
//
// # Encryption at rest
//
// A Vault seals card numbers with AES-256-GCM into self-describing strings
// "v1.<keyid>.<base64url>". Keys are configured as "k1:BASE64,k2:BASE64"
// (ParseKeys), the last one current; GenerateKeySpec makes a new one. To
// rotate, append a new key: new values use it, old ones still open. Pass
// the owner of a value (a user id) as aad, so a ciphertext copied to
// another row does not open.
//
// # Talking to a bank
//
// Connector is the interface to a bank: bind a card with a one-time code
// texted to its holder (SendCardOTP, VerifyCardOTP, which returns a card
// token), then Debit it (top-up) or Credit it (withdrawal), and ask Status.
// Payments are idempotent by RequestID and may stay pending for a while.
// ErrTimeout means the outcome is unknown, not that the payment failed:
// the caller must keep the request open and ask Status later, or retry
// with the same RequestID, before telling the user anything or releasing
// the money.
//
// # Sandbox
//
// The Sandbox adds configurable latency, failures, timeouts and
// asynchronous settlement (see SandboxConfig), and these fixed behaviours
// so that tests and demos can force an outcome:
//
//   - A card number ending in 0002 is blocked: SendCardOTP fails with
//     ErrCardRejected.
//   - A code is 6 digits, valid for 5 minutes; the third wrong code locks
//     the verification (ErrTooManyAttempts). CardOTP.SandboxCode holds
//     the code.
//   - Amounts, in minor units, ending in:
//     91: the payment fails with reason "insufficient_funds";
//     92: the first call returns ErrTimeout, and the payment succeeds;
//     93: the first call returns ErrTimeout, and the payment fails with
//     reason "do_not_honor";
//     94: every call returns ErrUnavailable and nothing is recorded.
//     So 10.91 CNY is Amount 1091. A SandboxConfig.Rules hook can decide
//     outcomes instead.
//
// A payment answers "pending" until SettleDelay has passed (at once if it
// is zero); a retry of the same RequestID returns the current state. The
// magic amounts apply to Debit and Credit alike, and win over the random
// rates. Sandbox.Totals reports the money actually moved per card.
package bank
