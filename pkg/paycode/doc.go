// Package paycode implements the wallet's payment code (付款码): the
// 18-digit number a customer's phone shows as a QR code and a Code-128
// barcode, refreshed every time step, which a shop's scanner reads to
// charge the customer.
//
// Codes are derived on the device, offline, from a per-device secret issued
// at enrolment, with a time-step HOTP (RFC 4226, RFC 6238). The server maps
// a code back to its device in one lookup, checks the one-time password
// within a small window of time steps and enforces single use by storing the
// last counter accepted for each device.
//
// # Layout
//
// With DefaultConfig a code is 18 decimal digits:
//
//	77 DDDDDDDDDD PPPPPP
//	|  |          |
//	|  |          +- OTP: 6-digit HOTP of the time step (60 s), SHA-256
//	|  +------------ masked device number: 10 digits
//	+--------------- issuer prefix "77"
//
// The widths follow from Config: the device field takes whatever the prefix
// and the OTP leave of the 18 digits (18 - len(Prefix) - Digits, at least
// MinDeviceDigits).
//
// The prefix routes the code at the point of sale. WeChat Pay uses 10–15
// and Alipay 25–30 (and UnionPay 62), so the default "77" stays clear of
// them; a deployment must agree its prefix with its acquirers.
//
// The device number is not printed in clear: it is passed through a keyed
// permutation of the 10-digit field (a 10-round Feistel network over decimal
// halves with HMAC-SHA-256 rounds, as in NIST FF1) tweaked by the OTP. Since
// the OTP changes every step, so does the device field, and a shop cannot
// link two visits of the same customer by the digits alone. The permutation
// key ships with every app, so this is obfuscation, not secrecy: the
// security of a code rests on the per-device secret and the OTP.
//
// # Verification and single use
//
// The server parses a code (Parse) to learn the device number, loads that
// device's secret and last used counter, and calls VerifyAfter (or Verify).
// Both return the time-step counter the OTP matched. The caller must then
// record it with an atomic compare-and-set, for example
//
//	UPDATE paycode_devices SET last_counter = $2
//	 WHERE device = $1 AND last_counter < $2
//
// and refuse the payment if no row changed: a code is used at most once, and
// no code older than the last one used is ever accepted.
//
// Codes are six-digit OTPs: a guess succeeds with probability
// (2*Skew+1)/10^6 per attempt, so the server must also limit failed attempts
// per device and per terminal.
package paycode
