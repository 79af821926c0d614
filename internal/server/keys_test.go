package server_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/store"
)

// A key rotation while the server runs: the new key is loaded without a
// restart, every sealed value (card and identity numbers, merchant,
// payment-code and webhook secrets) is sealed again under it, and all of
// them still work.
func TestKeyRotationReseals(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			db := dsn(t)
			s := startServer(t, db, func(c *server.Config) {
				lenientRisk(c)
				c.KeysEvery = 20 * time.Millisecond
			})
			payer, owner := funded(t, s)
			mid, pos := merchantFor(t, s, owner)
			s.must(t, 200, "PUT", "/v1/merchants/"+mid+"/webhook", owner.token, map[string]any{"url": "http://127.0.0.1:9/hook"})
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 5000})
			dev := enroll(t, s, payer)

			old := os.Getenv("SLT_CARD_KEYS")
			entry := bank.GenerateKeySpec()
			newID, _, _ := strings.Cut(entry, ":")
			t.Setenv("SLT_CARD_KEYS", old+","+entry)

			// Every sealed column, sealed under the new key.
			ctx := context.Background()
			sqlDB := openBeside(t, db)
			stale := func() int {
				n := 0
				for _, q := range []string{
					"SELECT COUNT(*) FROM bank_cards WHERE pan_sealed NOT LIKE $1",
					"SELECT COUNT(*) FROM users WHERE id_sealed <> '' AND id_sealed NOT LIKE $1",
					"SELECT COUNT(*) FROM merchant_keys WHERE kind = 'hmac' AND secret NOT LIKE $1",
					"SELECT COUNT(*) FROM paycode_devices WHERE secret NOT LIKE $1",
					"SELECT COUNT(*) FROM merchant_webhooks WHERE secret NOT LIKE $1",
				} {
					var c int
					if strings.HasPrefix(db, "sqlite:") {
						q = strings.Replace(q, "$1", "?", 1)
					}
					if err := sqlDB.QueryRowContext(ctx, q, bank.SealedWith(newID)+"%").Scan(&c); err != nil {
						t.Fatal(err)
					}
					n += c
				}
				return n
			}
			deadline := time.Now().Add(10 * time.Second)
			for stale() > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := stale(); n > 0 {
				t.Fatalf("%d values still sealed under an older key", n)
			}

			// They all still open: the card pays out, the merchant's key
			// signs, the phone's codes pay.
			o := s.must(t, 201, "POST", "/v1/me/withdrawals", payer.token, map[string]any{"card_id": payer.card, "amount": 1000, "currency": "CNY", "pin": "285714"})
			if o = s.waitOrder(t, payer, o["id"].(string)); o["status"] != "succeeded" {
				t.Errorf("withdrawal after the rotation: %v", o)
			}
			awayFromStepEdge()
			if st, o := pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": dev.code(t, time.Now()), "out_trade_no": "K-1", "amount": 500, "currency": "CNY"}, nil); st != 200 || o["status"] != "SUCCESS" {
				t.Errorf("micropay after the rotation: %d %v", st, o["_raw"])
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// openBeside opens the test database for reading while its server runs
// (a SQLite file is held by one process: read it without the lock).
func openBeside(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	st, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.SQL()
}

// slt keys rotate: the file gains a new current key and keeps the old.
func TestRotateKeysFile(t *testing.T) {
	t.Setenv("SLT_CARD_KEYS", "")
	dir := t.TempDir()
	first := bank.GenerateKeySpec()
	if err := os.WriteFile(dir+"/card-keys", []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := server.RotateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dir + "/card-keys")
	keys, current, err := bank.ParseKeys(string(b))
	oldID, _, _ := strings.Cut(first, ":")
	if err != nil || current != id || len(keys) != 2 || keys[oldID] == nil {
		t.Errorf("after the rotation: %d keys, current %q (want %q), %v", len(keys), current, id, err)
	}
	t.Setenv("SLT_CARD_KEYS", first)
	if _, err := server.RotateKeys(dir); err == nil {
		t.Error("rotated the file while the keys come from the environment")
	}
}
