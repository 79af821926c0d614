package ledgerlog

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// DefaultOrigin is the checkpoints' origin line (and the key's name) when
// the server is given none.
const DefaultOrigin = "shiliantong.example/log"

// Keys holds the log's signer and its public verifier key.
type Keys struct {
	Signer note.Signer
	// VerifierKey is the public key in the signed-note verifier-key format:
	// "<name>+<hash>+<base64(0x01 ‖ Ed25519 public key)>".
	VerifierKey string
}

// NewKeys makes the log's Ed25519 key pair from a 32-byte seed; name is the
// key's name, which is also the checkpoints' origin.
func NewKeys(name string, seed []byte) (Keys, error) {
	if len(seed) != ed25519.SeedSize {
		return Keys{}, fmt.Errorf("log key: want a %d-byte seed", ed25519.SeedSize)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return Keys{}, fmt.Errorf("log key: %w", err)
	}
	// The private key has the verifier key's name and hash: PRIVATE+KEY+
	// <name>+<hash>+<base64(0x01 ‖ seed)>.
	// (The base64 may itself contain '+': cut after the name.)
	_, rest, _ := strings.Cut(vkey, name+"+")
	hash, _, _ := strings.Cut(rest, "+")
	skey := "PRIVATE+KEY+" + name + "+" + hash + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return Keys{}, fmt.Errorf("log key: %w", err)
	}
	return Keys{Signer: signer, VerifierKey: vkey}, nil
}

// Checkpoint is a signed statement of the tree: its size and root hash.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Body returns the checkpoint's C2SP body: "<origin>\n<size>\n<base64 root>\n".
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// Sign returns the checkpoint as a signed note.
func (c Checkpoint) Sign(s note.Signer) (string, error) {
	b, err := note.Sign(&note.Note{Text: c.Body()}, s)
	return string(b), err
}

// ParseCheckpointBody parses a C2SP checkpoint body. Extension lines after
// the root are allowed and ignored.
func ParseCheckpointBody(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || !strings.HasSuffix(text, "\n") {
		return c, errors.New("checkpoint: want origin, size and root hash lines")
	}
	for i := range 3 {
		lines[i] = strings.TrimSuffix(lines[i], "\n")
	}
	c.Origin = lines[0]
	if c.Origin == "" {
		return c, errors.New("checkpoint: empty origin")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return c, fmt.Errorf("checkpoint: bad tree size %q", truncate(lines[1], 40))
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return c, errors.New("checkpoint: the root hash is not base64 of 32 bytes")
	}
	c.Root = root
	return c, nil
}

// OpenCheckpoint verifies a signed checkpoint with the verifier key
// (signed-note format) and returns its content. The note must carry a
// valid signature by that key, and its origin must be the key's name.
func OpenCheckpoint(signed []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint: origin %q is not the key's name %q", truncate(c.Origin, 80), v.Name())
	}
	return c, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
