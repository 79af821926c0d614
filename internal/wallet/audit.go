package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The audit trail records who did what, when and from where: operators'
// actions (approving a merchant, freezing a user, running a settlement)
// and security actions (logins, PIN and limit changes, devices, keys,
// webhooks). It is append-only and hash-chained: each entry's hash covers
// its fields and the previous entry's hash, so changing a stored entry, or
// taking one out, breaks the chain from there on (VerifyAudit finds it).

// Actor is who makes a request, and from where; the edges (the API, the
// web app) put it in the request's context.
type Actor struct {
	ID     string // a user id, or "operator-token"
	IP     string
	Client string // the user agent
}

type actorKey struct{}

// WithActor returns ctx carrying the request's actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// AuditEntry is one entry of the trail.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    string
	Action   string
	Target   string
	IP       string
	Client   string
	Details  string
	PrevHash string // hex; "" for the first entry
	Hash     string // hex SHA-256
}

// AuditFilter selects entries: by actor and/or action, older than
// Before (a seq; 0: the newest), at most Limit.
type AuditFilter struct {
	Actor, Action string
	Before        int64
	Limit         int
}

// auditHash is the entry's hash: SHA-256 over the previous hash and the
// fields, each length-prefixed (so that no two entries encode alike).
func auditHash(prev string, e AuditEntry) string {
	h := sha256.New()
	var b [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		h.Write([]byte(s))
	}
	field("slt-audit-v1")
	field(prev)
	binary.BigEndian.PutUint64(b[:], uint64(e.Seq))
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(e.At.UnixNano()))
	h.Write(b[:])
	for _, f := range []string{e.Actor, e.Action, e.Target, e.IP, e.Client, e.Details} {
		field(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// audit records an action of the context's actor (or of actorID, when
// the service knows better: the user logging in). A failure to record is
// logged: the action it tells of has happened.
func (s *Service) audit(ctx context.Context, actorID, action, target, details string) {
	a := ActorFrom(ctx)
	if actorID == "" {
		actorID = a.ID
	}
	e := AuditEntry{At: s.now().UTC(), Actor: actorID, Action: action, Target: target, IP: a.IP, Client: clipString(a.Client, 200), Details: clipString(details, 500)}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), &e, auditHash); err != nil {
		s.log.Error("wallet: audit entry not recorded", "action", action, "actor", actorID, "target", target, "err", err)
	}
}

// AuditLog lists entries, newest first.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.store.AuditLog(ctx, f)
}

// ErrAuditBroken: the trail's chain does not hold.
var ErrAuditBroken = errors.New("the audit trail's hash chain is broken")

// VerifyAudit walks the whole trail in order and checks every entry's
// hash and link; it returns how many entries it checked.
func (s *Service) VerifyAudit(ctx context.Context) (int64, error) {
	var n int64
	prev := ""
	err := s.store.ScanAudit(ctx, func(e AuditEntry) error {
		n++
		switch {
		case e.Seq != n:
			return fmt.Errorf("%w: entry %d follows entry %d", ErrAuditBroken, e.Seq, n-1)
		case e.PrevHash != prev:
			return fmt.Errorf("%w: entry %d does not link to the one before", ErrAuditBroken, e.Seq)
		case auditHash(prev, e) != e.Hash:
			return fmt.Errorf("%w: entry %d was changed", ErrAuditBroken, e.Seq)
		}
		prev = e.Hash
		return nil
	})
	return n, err
}
