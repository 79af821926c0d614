// Package pgtest gives tests a PostgreSQL database of their own.
//
// Tests use the server at $SLT_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres). When it can not be
// reached they are skipped, unless SLT_REQUIRE_POSTGRES=1 (as in CI), in
// which case they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the server tests use when SLT_TEST_POSTGRES is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres"

// BaseDSN returns the server's DSN.
func BaseDSN() string {
	if dsn := os.Getenv("SLT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

var (
	once     sync.Once
	reachErr error
)

func reachable() error {
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, BaseDSN())
		if err != nil {
			reachErr = err
			return
		}
		reachErr = conn.Ping(ctx)
		conn.Close(ctx)
	})
	return reachErr
}

// Require skips the test when PostgreSQL is not reachable, or fails it if
// SLT_REQUIRE_POSTGRES=1.
func Require(t testing.TB) {
	t.Helper()
	if err := reachable(); err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is not reachable (%v)", BaseDSN(), err)
		if os.Getenv("SLT_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("%s, and SLT_REQUIRE_POSTGRES=1", msg)
		}
		if dir := os.Getenv("SLT_TEST_REPORT_DIR"); dir != "" {
			// scripts/test reads this and says loudly that these were skipped.
			_ = os.WriteFile(filepath.Join(dir, "postgres-skipped-"+strconv.Itoa(os.Getpid())), []byte(msg+"\n"), 0o644)
		}
		t.Skipf("SKIPPED: %s; set SLT_TEST_POSTGRES to a server's DSN to run the PostgreSQL tests", msg)
	}
}

// NewSchema creates an empty schema for the test, dropped when it ends,
// and returns a DSN whose search_path is that schema.
func NewSchema(t testing.TB) string {
	t.Helper()
	Require(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "slt_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, BaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, BaseDSN())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(BaseDSN())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
