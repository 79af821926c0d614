package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/store/walletsql"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Keys: the card vault's keys (SLT_CARD_KEYS, "id:base64,…", the last is
// current) and one secret (SLT_SECRET_KEY, base64 of ≥ 32 bytes) from
// which the other keys are derived. Unset, each is generated on first start
// and kept in the data directory. Several servers on one PostgreSQL
// database must be given the same values.

// secretFile returns the value of env, or of the file name in dataDir,
// creating it with gen() when neither exists.
func secretFile(env, dataDir, name string, gen func() (string, error)) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	path := filepath.Join(dataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
	}
	v, err := gen()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

func randomKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// derive makes a key for one purpose from the secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("shiliantong/" + purpose))
	return m.Sum(nil)
}

// walletDeps builds the wallet's collaborators: the store, the partners
// (the sandboxes unless cfg gives real ones) and the keys.
func walletDeps(cfg Config, st store.Store, l wallet.Ledger) (wallet.Deps, func(), error) {
	dataDir := store.DataDir(cfg.DB)
	spec, err := secretFile("SLT_CARD_KEYS", dataDir, "card-keys", func() (string, error) { return bank.GenerateKeySpec(), nil })
	if err != nil {
		return wallet.Deps{}, nil, err
	}
	vault, err := bank.NewKeyRing(spec)
	if err != nil {
		return wallet.Deps{}, nil, fmt.Errorf("card keys: %w", err)
	}
	s64, err := secretFile("SLT_SECRET_KEY", dataDir, "secret-key", randomKey)
	if err != nil {
		return wallet.Deps{}, nil, err
	}
	secret, err := base64.StdEncoding.DecodeString(s64)
	if err != nil || len(secret) < 32 {
		return wallet.Deps{}, nil, fmt.Errorf("secret key: want base64 of at least 32 bytes")
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://localhost:8080"
	}
	codes, err := receivecode.NewCodec(publicURL, derive(secret, "receive-code"))
	if err != nil {
		return wallet.Deps{}, nil, fmt.Errorf("public URL: %w", err)
	}
	closers := []func(){}
	bk := cfg.Bank
	if bk == nil {
		sb := bank.NewSandbox(bank.SandboxConfig{Latency: 30 * time.Millisecond, FailureRate: 0.02, TimeoutRate: 0.03,
			SettleDelay: 300 * time.Millisecond})
		closers = append(closers, sb.Close)
		bk = sb
	}
	id := cfg.Identity
	if id == nil {
		id = kyc.NewSandbox(kyc.SandboxConfig{Latency: 50 * time.Millisecond, Jitter: 50 * time.Millisecond})
	}
	kind, err := store.Kind(cfg.DB)
	if err != nil {
		return wallet.Deps{}, nil, err
	}
	var (
		writeLock sync.Locker
		syncLog   func() error
	)
	if l, ok := st.(interface{ WriteLock() sync.Locker }); ok {
		writeLock = l.WriteLock() // SQLite: one writer per process, queue for it
	}
	if l, ok := st.(interface{ SyncLog() error }); ok {
		syncLog = l.SyncLog // SQLite: flush after the lock is released
	}
	ws := walletsql.New(st.SQL(), kind, store.IsUniqueViolation, writeLock, syncLog)
	closers = append(closers, func() { _ = ws.Close() })
	d := wallet.Deps{Store: ws, Ledger: l, Bank: bk, Identity: id, PublicURL: publicURL,
		Vault: vault, LookupKey: derive(secret, "card-lookup"), PINKey: derive(secret, "pin-pepper"), Risk: cfg.Risk, Codes: codes, Logger: cfg.Logger}
	return d, func() {
		for _, c := range closers {
			c()
		}
	}, nil
}

// webKey is the web app's key (its CSRF tokens), derived from the secret.
func webKey(dataDir string) ([]byte, error) {
	s64, err := secretFile("SLT_SECRET_KEY", dataDir, "secret-key", randomKey)
	if err != nil {
		return nil, err
	}
	secret, err := base64.StdEncoding.DecodeString(s64)
	if err != nil || len(secret) < 32 {
		return nil, fmt.Errorf("secret key: want base64 of at least 32 bytes")
	}
	return derive(secret, "web"), nil
}

// keySpec reads the vault's key spec as it is now: SLT_CARD_KEYS, or the
// data directory's card-keys file (which `slt keys rotate` rewrites).
func keySpec(dataDir string) (string, error) {
	if v := os.Getenv("SLT_CARD_KEYS"); v != "" {
		return v, nil
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "card-keys"))
	return strings.TrimSpace(string(b)), err
}

// watchKeys seals again what an older key sealed, then every interval
// loads the key spec if it changed (a rotation: no restart needed) and
// seals again under the new current key.
func watchKeys(ctx context.Context, ring *bank.KeyRing, w *wallet.Service, dataDir string, every time.Duration, log *slog.Logger) {
	reseal := func() {
		n, err := w.Reseal(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("keys: sealing again under the current key", "err", err)
		case n > 0:
			log.Info("keys: sealed again under the current key", "values", n, "key", ring.CurrentKeyID())
		}
	}
	reseal()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		spec, err := keySpec(dataDir)
		if err != nil {
			log.Warn("keys: read the key spec", "err", err)
			continue
		}
		changed, err := ring.Load(spec)
		if err != nil {
			log.Error("keys: the key spec does not load; the keys in use stay", "err", err)
			continue
		}
		if changed {
			log.Info("keys: new key spec loaded", "current", ring.CurrentKeyID())
			reseal()
		}
	}
}

// RotateKeys adds a new current key to the data directory's key file (the
// older keys stay, to open what they sealed); a running server loads it
// and seals everything again under it. It returns the new key's id.
func RotateKeys(dataDir string) (string, error) {
	if os.Getenv("SLT_CARD_KEYS") != "" {
		return "", errors.New("the keys come from SLT_CARD_KEYS: append a new entry (`slt keys new` prints one) to it; a running server loads it within its key interval")
	}
	path := filepath.Join(dataDir, "card-keys")
	old, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("rotate keys: %w", err)
	}
	entry := bank.GenerateKeySpec()
	spec := strings.TrimSpace(string(old)) + "," + entry
	if _, _, err := bank.ParseKeys(spec); err != nil {
		return "", fmt.Errorf("rotate keys: %w", err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(spec+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("rotate keys: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("rotate keys: %w", err)
	}
	id, _, _ := strings.Cut(entry, ":")
	return id, nil
}
