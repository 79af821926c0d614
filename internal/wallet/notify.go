package wallet

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Notifications are written in batches by one goroutine: a transfer must
// not wait for (or fail on) its notifications, and one multi-row insert
// every few milliseconds costs the database far less than one per event.
// The bill list, read from the ledger, is the record; a notification is a
// convenience — the few buffered when a process is killed are lost.

const (
	outboxBuffer   = 65536                 // notifications waiting; beyond it new ones are dropped (and logged)
	outboxMaxBatch = 500                   // rows per insert
	outboxLinger   = 20 * time.Millisecond // wait this long for a batch to fill
)

type outbox struct {
	st   Store
	log  *slog.Logger
	in   chan Notification
	done chan struct{}
	once sync.Once
}

func newOutbox(st Store, log *slog.Logger) *outbox {
	o := &outbox{st: st, log: log, in: make(chan Notification, outboxBuffer), done: make(chan struct{})}
	go o.run()
	return o
}

func (o *outbox) add(n Notification) {
	select {
	case o.in <- n:
	default:
		o.log.Warn("wallet: notification dropped, outbox full", "user", n.UserID, "kind", n.Kind)
	}
}

func (o *outbox) run() {
	defer close(o.done)
	batch := make([]Notification, 0, outboxMaxBatch)
	for n := range o.in {
		batch = append(batch[:0], n)
		timer := time.NewTimer(outboxLinger)
	fill:
		for len(batch) < outboxMaxBatch {
			select {
			case n, ok := <-o.in:
				if !ok {
					break fill
				}
				batch = append(batch, n)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := o.st.AddNotifications(ctx, batch); err != nil {
			o.log.Error("wallet: notifications lost", "count", len(batch), "err", err)
		}
		cancel()
	}
}

// close writes what is buffered and stops.
func (o *outbox) close() {
	o.once.Do(func() { close(o.in) })
	<-o.done
}

// notify queues a notification for a user.
func (s *Service) notify(userID, kind, title, body string) {
	s.inbox.add(Notification{ID: ledger.NewID().String(), UserID: userID, Kind: kind, Title: title, Body: body, CreatedAt: s.now().UTC()})
}

// Notifications lists a user's inbox, newest first, before a time. Money
// sent and received are not stored as notifications: they are read from
// the ledger (the user's transfer bills), so a payment writes nothing but
// its ledger transfer; the other events are stored rows.
func (s *Service) Notifications(ctx context.Context, userID string, before time.Time, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	stored, err := s.store.Notifications(ctx, userID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	page, err := s.Bills(ctx, userID, BillFilter{Type: "transfer", To: before, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(stored)+len(page.Bills))
	out = append(out, stored...)
	for _, b := range page.Bills {
		out = append(out, moneyNotification(u, b))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out[:min(limit, len(out))], nil
}

// moneyNotification tells of a transfer bill.
func moneyNotification(u User, b Bill) Notification {
	n := Notification{ID: b.ID, UserID: u.ID, CreatedAt: b.Time, Read: !b.Time.After(u.NotificationsReadAt)}
	amt := formatMoney(abs(b.Amount), b.Currency)
	note := ""
	if b.Note != "" {
		note = " " + b.Note
	}
	if b.Amount > 0 {
		n.Kind, n.Title, n.Body = "received", "Money received", fmt.Sprintf("%s sent you %s.%s", b.Counterparty, amt, note)
	} else {
		n.Kind, n.Title, n.Body = "paid", "Transfer sent", fmt.Sprintf("You sent %s to %s.%s", amt, b.Counterparty, note)
	}
	return n
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// MarkNotificationsRead marks the inbox read up to a time.
func (s *Service) MarkNotificationsRead(ctx context.Context, userID string, upTo time.Time) error {
	return s.store.MarkNotificationsRead(ctx, userID, upTo)
}

// nameCache maps user ids to display names for bills; names change
// rarely, and a stale name for a minute is harmless.
type nameCache struct {
	st Store
	mu sync.Mutex
	m  map[string]cachedName
}

type cachedName struct {
	name string
	at   time.Time
}

const (
	nameCacheSize = 100_000
	nameCacheTTL  = time.Minute
)

func newNameCache(st Store) *nameCache { return &nameCache{st: st, m: map[string]cachedName{}} }

func (c *nameCache) name(ctx context.Context, userID string) string {
	c.mu.Lock()
	e, ok := c.m[userID]
	c.mu.Unlock()
	if ok && time.Since(e.at) < nameCacheTTL {
		return e.name
	}
	u, err := c.st.UserByID(ctx, userID)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	if len(c.m) >= nameCacheSize {
		clear(c.m)
	}
	c.m[userID] = cachedName{name: u.Name, at: time.Now()}
	c.mu.Unlock()
	return u.Name
}
