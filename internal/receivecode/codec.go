package receivecode

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

const (
	// MinKeyBytes is the shortest HMAC key NewCodec accepts.
	MinKeyBytes = 32

	version     = 1
	tagLen      = 16
	headerLen   = 1 + len(uuid.UUID{})
	currencyLen = 3
	pathPrefix  = "/r/"
	// macLabel separates these tags from any other use of the same key.
	macLabel = "shiliantong/receivecode/v1\x00"
)

// b64 is strict so that every token has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// Codec encodes and decodes receive codes for one base URL and server key.
// It is safe for concurrent use.
type Codec struct {
	key      []byte
	origin   string // "https://host", host lower-cased
	scheme   string
	host     string // lower-cased
	path     string // decoded path prefix ending in "/r/"
	pathEsc  string // the same, escaped for output
	maxToken int    // longest token length, to bound work on input
}

// NewCodec returns a Codec for payloads of the form baseURL + "/r/" + token.
// baseURL is an http or https URL with a host and an optional path prefix,
// e.g. "https://pay.shiliantong.example"; key is the server's secret HMAC
// key, at least MinKeyBytes long. The key is copied.
func NewCodec(baseURL string, key []byte) (*Codec, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("receivecode: key is %d bytes, need at least %d", len(key), MinKeyBytes)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("receivecode: base URL: %w", err)
	}
	if err := checkBaseURL(u); err != nil {
		return nil, fmt.Errorf("receivecode: base URL %q: %w", baseURL, err)
	}
	host := strings.ToLower(u.Host)
	return &Codec{
		key:      bytes.Clone(key),
		origin:   u.Scheme + "://" + host,
		scheme:   u.Scheme,
		host:     host,
		path:     strings.TrimSuffix(u.Path, "/") + pathPrefix,
		pathEsc:  strings.TrimSuffix(u.EscapedPath(), "/") + pathPrefix,
		maxToken: b64.EncodedLen(headerLen + binary.MaxVarintLen64 + currencyLen + MaxNoteBytes + tagLen),
	}, nil
}

// checkBaseURL requires an absolute http(s) URL with nothing but a path.
func checkBaseURL(u *url.URL) error {
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("scheme must be https or http")
	case u.Host == "" || u.Opaque != "":
		return errors.New("missing host")
	case u.User != nil:
		return errors.New("must not contain user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("must not contain a query or fragment")
	}
	return nil
}

// Encode returns the payload URL for code. It fails with ErrInvalidCode if
// code has a nil user id, a negative amount, an unknown currency or a bad
// note.
func (c *Codec) Encode(code Code) (string, error) {
	if err := code.validate(); err != nil {
		return "", fmt.Errorf("receivecode: %w: %w", ErrInvalidCode, err)
	}
	body := marshal(code)
	token := b64.EncodeToString(c.tag(body, body))
	return c.origin + c.pathEsc + token, nil
}

// Decode parses and verifies a payload: either a full URL as returned by
// Encode (scheme and host compare case-insensitively) or the bare token.
// A URL with another scheme, host or path fails with ErrNotOurs; a token
// whose tag does not verify with ErrForged; anything else that cannot be
// parsed, or that carries an invalid amount, currency or note, with
// ErrMalformed.
func (c *Codec) Decode(payload string) (Code, error) {
	token, err := c.token(strings.TrimSpace(payload))
	if err != nil {
		return Code{}, err
	}
	body, err := c.verify(token)
	if err != nil {
		return Code{}, err
	}
	code, err := unmarshal(body)
	if err != nil {
		return Code{}, fmt.Errorf("receivecode: %w: %w", ErrMalformed, err)
	}
	return code, nil
}

// token extracts the token from a payload URL, or returns a bare token.
func (c *Codec) token(payload string) (string, error) {
	if payload == "" {
		return "", malformed("empty payload")
	}
	if !strings.ContainsAny(payload, ":/") {
		return payload, nil
	}
	u, err := url.Parse(payload)
	if err != nil {
		return "", c.unparsable(payload)
	}
	if u.Scheme != c.scheme || !strings.EqualFold(u.Host, c.host) || u.User != nil {
		return "", fmt.Errorf("receivecode: %w", ErrNotOurs)
	}
	token, ok := strings.CutPrefix(u.Path, c.path)
	if !ok {
		return "", fmt.Errorf("receivecode: %w: path %q", ErrNotOurs, u.Path)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", malformed("unexpected query or fragment")
	}
	return token, nil
}

// unparsable classifies a payload that is not a valid URL: malformed if it
// starts like one of ours, otherwise not ours.
func (c *Codec) unparsable(payload string) error {
	prefix := c.origin + c.pathEsc
	if len(payload) >= len(prefix) && strings.EqualFold(payload[:len(prefix)], prefix) {
		return malformed("invalid URL")
	}
	return fmt.Errorf("receivecode: %w: not a URL", ErrNotOurs)
}

// verify decodes token and checks its tag, returning the bytes before it.
func (c *Codec) verify(token string) ([]byte, error) {
	if len(token) > c.maxToken {
		return nil, malformed(fmt.Sprintf("token is %d characters, at most %d", len(token), c.maxToken))
	}
	raw, err := b64.DecodeString(token)
	if err != nil || strings.ContainsAny(token, "\r\n") {
		return nil, malformed("token is not unpadded base64url")
	}
	if len(raw) < headerLen+tagLen {
		return nil, malformed(fmt.Sprintf("token is %d bytes, too short", len(raw)))
	}
	if raw[0] != version {
		return nil, malformed(fmt.Sprintf("unsupported version %d", raw[0]))
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(tag, c.tag(nil, body)) {
		return nil, fmt.Errorf("receivecode: %w", ErrForged)
	}
	return body, nil
}

// tag appends the truncated HMAC of body to dst.
func (c *Codec) tag(dst, body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(macLabel))
	m.Write(body)
	return append(dst, m.Sum(nil)[:tagLen]...)
}

// marshal returns the token bytes before the tag for a valid code.
func marshal(code Code) []byte {
	b := make([]byte, 0, headerLen+binary.MaxVarintLen64+currencyLen+len(code.Note)+tagLen)
	b = append(b, version)
	b = append(b, code.UserID[:]...)
	if !code.hasExtension() {
		return b
	}
	b = binary.AppendUvarint(b, uint64(code.Amount))
	b = append(b, code.Currency...)
	return append(b, code.Note...)
}

// unmarshal parses verified body bytes (version byte included) and checks
// that they are valid and canonical.
func unmarshal(body []byte) (Code, error) {
	code := Code{UserID: uuid.UUID(body[1:headerLen])}
	if rest := body[headerLen:]; len(rest) > 0 {
		amount, n := binary.Uvarint(rest)
		if n <= 0 || amount > math.MaxInt64 {
			return Code{}, errors.New("amount is not a valid varint")
		}
		rest = rest[n:]
		if len(rest) < currencyLen {
			return Code{}, errors.New("currency is truncated")
		}
		code.Amount = int64(amount)
		code.Currency, code.Note = string(rest[:currencyLen]), string(rest[currencyLen:])
	}
	if err := code.validate(); err != nil {
		return Code{}, err
	}
	if !bytes.Equal(marshal(code), body) {
		return Code{}, errors.New("non-canonical encoding")
	}
	return code, nil
}

// malformed returns an ErrMalformed error with detail.
func malformed(detail string) error {
	return fmt.Errorf("receivecode: %w: %s", ErrMalformed, detail)
}
