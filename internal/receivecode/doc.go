// Package receivecode builds and checks a wallet user's personal receive QR
// code (收款码): another user scans it with the wallet app to pay them.
//
// # Payload
//
// The QR code holds a URL, so that a phone's camera app opening it lands on
// the wallet:
//
//	<base URL>/r/<token>
//
// for example https://pay.shiliantong.example/r/AUn0... The token is the
// unpadded base64url encoding of
//
//	version   1 byte, currently 1
//	user id   16 bytes, the payee's UUID
//	extension optional, present only if an amount, currency or note is set:
//	  amount    uvarint, minor units (0 = the payer enters the amount)
//	  currency  3 bytes, an ISO 4217 code with minor units ("CNY")
//	  note      the remaining bytes before the tag, at most 64 bytes of UTF-8
//	tag       16 bytes, HMAC-SHA256 truncated to 128 bits
//
// The tag is computed with a server key over a fixed domain-separation label
// followed by every byte before it, so a code cannot be forged or altered
// (a printed code taped at a market stall must not be edited to send money
// to someone else); the server refuses any code it did not issue. The token
// is canonical: exactly one token encodes a given Code.
//
// # Images
//
// PNG and SVG render a payload as a QR code with error-correction level M
// and a quiet zone of 4 modules.
package receivecode
