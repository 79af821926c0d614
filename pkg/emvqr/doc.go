// Package emvqr encodes and decodes EMV merchant-presented QR code payloads
// (EMV QR Code Specification for Payment Systems, Merchant-Presented Mode,
// "EMV QRCPS MPM" v1.1), the format behind PromptPay, PayNow/SGQR, DuitNow,
// QRIS, VietQR, QR Ph, Pix, FPS, KHQR and other national schemes.
//
// # Wire format
//
// A payload is a sequence of data objects, each a two-digit ID, a two-digit
// length and a value. Lengths count characters (Unicode code points), not
// bytes: "0104最佳运输" is a four-character value. Merchant account
// information (IDs 26–51), the additional data field template (62), the
// merchant information language template (64) and the unreserved templates
// (80–99) hold nested data objects of the same form.
//
// The payload ends with the CRC (ID 63, length 04): CRC-16/CCITT-FALSE
// (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR) of
// the UTF-8 bytes of everything before the CRC value, including "6304",
// written as four upper-case hexadecimal digits.
//
// # Decoding, validating, encoding
//
// Decode splits a payload into Tags, keeping every data object in order,
// unknown ones included, so that Encode(Decode(x)) reproduces x byte for
// byte. It fails only on structural errors (a *SyntaxError wrapping
// ErrSyntax, with the tag path and character offset). A wrong or missing
// CRC is not a decoding error: Decode reports it in Payload.CRCValid, and
// Validate returns the precise reason together with every field that does
// not conform to the specification. Errors are matched with errors.Is
// against ErrSyntax, ErrCRC, ErrMissing, ErrInvalidField and
// ErrAmountDecimals.
//
// Build assembles a payload from a Builder, computing the lengths and the
// CRC, and refuses to return a payload that Validate would reject.
//
// # Deliberate leniency
//
//   - The payload format indicator (00) must be "01" by the specification;
//     "02" is accepted too because DuitNow (Malaysia) emits "000202".
//   - Unreserved templates (80–99) whose value is not itself a valid
//     sequence of data objects are kept as opaque values instead of failing
//     to decode: PromptPay carries a UCS-2 hex message in 81 and DuitNow a
//     hex signature in 82. Templates 26–51, 62 and 64 must nest correctly.
//   - Only one level of nesting is parsed. Values inside templates that are
//     themselves TLV-encoded by a scheme (VietQR's 38.01, for example) can
//     be read with Payload.Get("38.01.00") or DecodeTLV.
//   - A lower-case hexadecimal CRC is accepted as valid.
//   - Tags 65–79 (reserved for future use) are kept and not reported.
//   - An amount with more decimals than its currency's exponent is reported
//     by Validate as ErrAmountDecimals, which also matches ErrInvalidField,
//     so callers that only want to warn about it can tell it apart.
package emvqr
