package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
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
	keys, current, err := bank.ParseKeys(spec)
	if err != nil {
		return wallet.Deps{}, nil, fmt.Errorf("card keys: %w", err)
	}
	vault, err := bank.NewVault(keys, current)
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
	var writeLock sync.Locker
	if l, ok := st.(interface{ WriteLock() sync.Locker }); ok {
		writeLock = l.WriteLock() // SQLite: one writer per process, queue for it
	}
	ws := walletsql.New(st.SQL(), kind, store.IsUniqueViolation, writeLock)
	closers = append(closers, func() { _ = ws.Close() })
	d := wallet.Deps{Store: ws, Ledger: l, Bank: bk, Identity: id,
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
