package wallet

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Two small caches keep database reads off the payment path. Both are per
// process and bounded; what they may serve stale is chosen so that no
// stale answer moves money wrongly:
//
//   - sessions: a token's session and user, for sessionCacheTTL. A session
//     ended on another server stays usable here that long; on this one,
//     logging out, and any change to the user, forget the cache at once.
//     The PIN is always checked against the user as stored.
//   - wallets: a user's wallets, which are only ever added. A currency the
//     cache does not know is read again from the database.
//   - payees by mobile number, for sessionCacheTTL: a payee's id, name and
//     tier (for the balance cap) may be that old.
//   - merchants, their API keys and the users behind them, for
//     sessionCacheTTL: a key revoked, or a merchant suspended, on another
//     server takes effect here that much later (at once on this one).
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
	keys      *ttlCache[string, MerchantKey]
	users     *ttlCache[string, User]
	devices   *ttlCache[uint64, openDevice] // payment-code devices, secrets unsealed
	webhooks  *ttlCache[string, bool]       // merchant id → has a webhook

	mu       sync.Mutex
	auth     map[string]authEntry       // token hash →
	wallets  map[string][]WalletAccount // user id →
	walletAt map[string]time.Time
	payees   map[string]authEntry // phone →
}

func newCaches() *caches {
	return &caches{merchants: newTTLCache[string, Merchant](sessionCacheTTL), keys: newTTLCache[string, MerchantKey](sessionCacheTTL),
		users: newTTLCache[string, User](sessionCacheTTL), devices: newTTLCache[uint64, openDevice](deviceCacheTTL), webhooks: newTTLCache[string, bool](sessionCacheTTL), auth: map[string]authEntry{}, wallets: map[string][]WalletAccount{}, walletAt: map[string]time.Time{},
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
// cleared whole when it grows past cacheMaxEntries.
type ttlCache[K comparable, V any] struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, m: map[K]ttlEntry[V]{}}
}

// get returns a fresh entry, or load's answer, which it keeps.
func (c *ttlCache[K, V]) get(k K, load func() (V, error)) (V, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= cacheMaxEntries {
		clear(c.m)
	}
	c.m[k] = ttlEntry[V]{v: v, at: now}
	c.mu.Unlock()
	return v, nil
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
