package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// nameIDStreaming is NameID as first written, hashing part by part: the
// ids are stored (accounts per user and day, idempotent transfers), so
// every version must derive the same.
func nameIDStreaming(domain string, parts ...string) ID {
	h := sha256.New()
	var n [4]byte
	for _, p := range append([]string{"shiliantong/" + domain}, parts...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var id ID
	copy(id[:], h.Sum(nil))
	id[6] = id[6]&0x0f | 0x80
	id[8] = id[8]&0x3f | 0x80
	return id
}

func TestNameIDIsStable(t *testing.T) {
	// Ids derived by the first version, before this one.
	for _, c := range []struct {
		id   ID
		want string
	}{
		{NameID("a"), "49c220f8-475f-8868-ac8b-a9cd8f28b0d6"},
		{NameID("limit", "u-1", "outflow", "CNY", "2026-11-26"), "3d7c5b52-754f-802a-9c05-0dc89be03885"},
	} {
		if c.id.String() != c.want {
			t.Fatalf("NameID = %s, want %s", c.id, c.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		parts := make([]string, r.IntN(6))
		for j := range parts {
			parts[j] = strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(120)) // past the stack buffer too
		}
		domain := strings.Repeat("d", r.IntN(40))
		if got, want := NameID(domain, parts...), nameIDStreaming(domain, parts...); got != want {
			t.Fatalf("case %d: NameID(%q, %q) = %s, want %s", i, domain, parts, got, want)
		}
	}
	// Length prefixes: moving a boundary between parts changes the id.
	if NameID("x", "ab", "c") == NameID("x", "a", "bc") {
		t.Fatal("parts split differently gave the same id")
	}
}

func BenchmarkNameID(b *testing.B) {
	for b.Loop() {
		NameID("limit", "01a2b3c4-d5e6-7f80-9a0b-1c2d3e4f5a6b", "nopin", "CNY", "2026-11-26")
	}
}
