package wallet

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Small caches keep database reads off the payment path. All are per
// process and bounded; what they may serve stale is chosen so that no
// stale answer moves money wrongly:
//
//   - sessions: a token's session and user, for sessionCacheTTL. A session
//     ended on another server stays usable here that long; on this one,
//     logging out, and any change to the user, forget the cache at once.
//     The PIN is always checked against the user as stored. A payer found
//     by their payment code is cached the same way.
//   - wallets: a user's wallets, which are only ever added. A currency the
//     cache does not know is read again from the database.
//   - payees by mobile number, for sessionCacheTTL: a payee's id, name and
//     tier (for the balance cap) may be that old.
//   - merchants, their API keys (an HMAC key's secret unsealed) and
//     whether they have a webhook, for
//     sessionCacheTTL: a key revoked, or a merchant suspended, on another
//     server takes effect here that much later (at once on this one).
//     Past that, an entry is kept while the merchants' version — a number
//     the database moves on at every change of them, by trigger — has not
//     moved: one read per sessionCacheTTL, however many merchants pay.
//   - payment-code devices, their secrets unsealed, for deviceCacheTTL: a
//     device's number and secret never change, and what does — its status
//     and its last used code step — the database's compare-and-set checks
//     when a code is used, so a stale entry can not let a used code or a
//     revoked device pay; a refused compare-and-set drops the entry.

const (
	sessionCacheTTL = 2 * time.Second
	walletCacheTTL  = time.Minute
	deviceCacheTTL  = 10 * time.Minute
	cacheMaxEntries = 100_000
)

type authEntry struct {
	user User
	sess Session
	at   time.Time
}

type caches struct {
	merchants *ttlCache[string, Merchant]
	keys      *ttlCache[string, signingKey] // HMAC secrets unsealed
	users     *ttlCache[string, User]
	devices   *ttlCache[uint64, openDevice] // payment-code devices, secrets unsealed
	webhooks  *ttlCache[string, bool]       // merchant id → has a webhook

	mu       sync.Mutex
	auth     map[string]authEntry       // token hash →
	wallets  map[string][]WalletAccount // user id →
	walletAt map[string]time.Time
	payees   map[string]authEntry // phone →
}

func newCaches(merchantsVersion func(context.Context) (int64, error)) *caches {
	mv := &storeVersion{ttl: sessionCacheTTL, read: merchantsVersion}
	return &caches{
		merchants: newTTLCache[string, Merchant](sessionCacheTTL, mv),
		keys:      newTTLCache[string, signingKey](sessionCacheTTL, mv),
		webhooks:  newTTLCache[string, bool](sessionCacheTTL, mv),
		users:     newTTLCache[string, User](sessionCacheTTL, nil),
		devices:   newTTLCache[uint64, openDevice](deviceCacheTTL, nil),
		auth:      map[string]authEntry{}, wallets: map[string][]WalletAccount{}, walletAt: map[string]time.Time{},
		payees: map[string]authEntry{}}
}

func (c *caches) session(hash string, now time.Time) (authEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.auth[hash]
	if !ok || now.Sub(e.at) > sessionCacheTTL || !now.Before(e.sess.ExpiresAt) {
		return authEntry{}, false
	}
	return e, true
}

func (c *caches) putSession(hash string, e authEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.auth) >= cacheMaxEntries {
		clear(c.auth)
	}
	c.auth[hash] = e
}

// forgetSessions drops every cached session and payee: a user changed,
// or logged out.
func (c *caches) forgetSessions() {
	c.mu.Lock()
	clear(c.auth)
	clear(c.payees)
	c.mu.Unlock()
	c.users.forget()
}

// forgetMerchants drops cached merchants and keys: one changed.
func (c *caches) forgetMerchants() {
	c.merchants.forget()
	c.keys.forget()
}

// userByPhone finds a user by mobile number, through the cache.
func (s *Service) userByPhone(ctx context.Context, phone string) (User, error) {
	c := s.cache
	now := s.now()
	c.mu.Lock()
	e, ok := c.payees[phone]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < sessionCacheTTL {
		return e.user, nil
	}
	u, err := s.store.UserByPhone(ctx, phone)
	if err != nil {
		return User{}, err
	}
	c.mu.Lock()
	if len(c.payees) >= cacheMaxEntries {
		clear(c.payees)
	}
	c.payees[phone] = authEntry{user: u, at: now}
	c.mu.Unlock()
	return u, nil
}

// walletsOf returns a user's wallets, from the cache unless fresh is set.
func (s *Service) walletsOf(ctx context.Context, userID string, fresh bool) ([]WalletAccount, error) {
	c := s.cache
	now := time.Now()
	if !fresh {
		c.mu.Lock()
		ws, ok := c.wallets[userID]
		at := c.walletAt[userID]
		c.mu.Unlock()
		if ok && now.Sub(at) < walletCacheTTL {
			return ws, nil
		}
	}
	ws, err := s.store.Wallets(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("wallets: %w", err)
	}
	c.mu.Lock()
	if len(c.wallets) >= cacheMaxEntries {
		clear(c.wallets)
		clear(c.walletAt)
	}
	c.wallets[userID], c.walletAt[userID] = ws, now
	c.mu.Unlock()
	return ws, nil
}

// walletIn returns the user's wallet in a currency.
func (s *Service) walletIn(ctx context.Context, userID, cur string) (WalletAccount, bool, error) {
	for _, fresh := range []bool{false, true} {
		ws, err := s.walletsOf(ctx, userID, fresh)
		if err != nil {
			return WalletAccount{}, false, err
		}
		for _, w := range ws {
			if w.Currency == cur {
				return w, true, nil
			}
		}
	}
	return WalletAccount{}, false, nil
}

// ttlCache is a small per-process cache whose entries live for ttl; it is
// cleared whole when it grows past cacheMaxEntries. With a version (data
// whose every change moves a number the store keeps), an entry past ttl
// is kept, not read again, while that number has not moved: one read of
// the number every ttl instead of one read per entry.
type ttlCache[K comparable, V any] struct {
	ttl     time.Duration
	version *storeVersion // nil: none
	now     func() time.Time
	mu      sync.Mutex
	m       map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	at      time.Time // the value is known right as of at
	version int64     // the store's version when it was read; -1 unknown
}

func newTTLCache[K comparable, V any](ttl time.Duration, version *storeVersion) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, version: version, now: time.Now, m: map[K]ttlEntry[V]{}}
}

// get returns a fresh entry, or load's answer, which it keeps.
func (c *ttlCache[K, V]) get(ctx context.Context, k K, load func() (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	version := int64(-1)
	if c.version != nil {
		// The version is read before the value: a change after this read
		// moves it on, and the next check reads the value again.
		if v, at, err := c.version.current(ctx, now); err == nil {
			if ok && e.version == v {
				// Unchanged since it was read: right as of the version's read.
				c.mu.Lock()
				if cur, still := c.m[k]; still && cur.version == v && cur.at.Before(at) {
					cur.at = at
					c.m[k] = cur
				}
				c.mu.Unlock()
				return e.v, nil
			}
			version = v
		}
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= cacheMaxEntries {
		clear(c.m)
	}
	c.m[k] = ttlEntry[V]{v: v, at: now, version: version}
	c.mu.Unlock()
	return v, nil
}

// storeVersion is a number the store moves on at every change of some
// data (the merchants' version), read at most once per ttl.
type storeVersion struct {
	ttl  time.Duration
	read func(context.Context) (int64, error)
	mu   sync.Mutex
	v    int64
	at   time.Time // when v was read; zero: never
}

// current returns the version, read again when the last read is ttl old,
// and when it was read.
func (sv *storeVersion) current(ctx context.Context, now time.Time) (int64, time.Time, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if !sv.at.IsZero() && now.Sub(sv.at) < sv.ttl && !now.Before(sv.at) {
		return sv.v, sv.at, nil
	}
	v, err := sv.read(ctx)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store version: %w", err)
	}
	sv.v, sv.at = v, now
	return v, now, nil
}

// drop forgets one entry.
func (c *ttlCache[K, V]) drop(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *ttlCache[K, V]) forget() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
