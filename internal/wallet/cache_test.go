package wallet

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A cache with a store version keeps entries past their ttl while the
// version stands still — one read of the version for all of them — and
// reads an entry again once it moved, or when the version can not be read.
func TestVersionedCacheReadsOnlyTheVersionWhileNothingChanged(t *testing.T) {
	ctx := context.Background()
	const ttl = 2 * time.Second
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	version, versionReads := int64(7), 0
	var versionErr error
	sv := &storeVersion{ttl: ttl, read: func(context.Context) (int64, error) {
		versionReads++
		return version, versionErr
	}}
	c := newTTLCache[string, string](ttl, sv)
	c.now = func() time.Time { return now }
	value, loads := "v1", 0
	get := func(k string) string {
		t.Helper()
		v, err := c.get(ctx, k, func() (string, error) { loads++; return k + ":" + value, nil })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	expect := func(when string, wantLoads, wantVersionReads int) {
		t.Helper()
		if loads != wantLoads || versionReads != wantVersionReads {
			t.Errorf("%s: %d loads and %d version reads, want %d and %d", when, loads, versionReads, wantLoads, wantVersionReads)
		}
	}

	for i := range 1000 {
		get(fmt.Sprint("m", i))
	}
	expect("first reads", 1000, 1)
	now = now.Add(ttl / 2)
	get("m1")
	expect("within ttl", 1000, 1)

	now = now.Add(ttl) // every entry is past its ttl; the version has not moved
	for i := range 1000 {
		if got, want := get(fmt.Sprint("m", i)), fmt.Sprint("m", i, ":v1"); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	expect("past ttl, nothing changed", 1000, 2)

	// A change elsewhere moves the version: the next read after the
	// version's ttl sees it, and reads the entry again.
	version, value = 8, "v2"
	now = now.Add(ttl / 2)
	if got := get("m1"); got != "m1:v1" {
		t.Errorf("within the version's ttl: %q, want the cached m1:v1", got)
	}
	now = now.Add(ttl)
	if got := get("m1"); got != "m1:v2" {
		t.Errorf("after a change: %q, want m1:v2", got)
	}
	expect("after a change", 1001, 3)

	// The version can not be read: entries past their ttl are read again.
	versionErr = errors.New("database gone")
	now = now.Add(3 * ttl)
	if got := get("m2"); got != "m2:v2" {
		t.Errorf("version unreadable: %q, want m2:v2", got)
	}
	expect("version unreadable", 1002, 4)
	// …and an entry read then is not trusted on a version read later.
	versionErr = nil
	now = now.Add(3 * ttl)
	get("m2")
	expect("entry read without a version", 1003, 5)
	now = now.Add(3 * ttl)
	get("m2")
	expect("that entry, now with a version", 1003, 6)
}

// Without a version, entries are read again once past their ttl.
func TestTTLCacheWithoutVersion(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newTTLCache[string, int](time.Second, nil)
	c.now = func() time.Time { return now }
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }
	for _, step := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {500 * time.Millisecond, 1}, {600 * time.Millisecond, 2}, {999 * time.Millisecond, 2}, {time.Second, 3}} {
		now = now.Add(step.after)
		if got, _ := c.get(context.Background(), "k", load); got != step.want {
			t.Errorf("after %s: %d, want %d", step.after, got, step.want)
		}
	}
}
