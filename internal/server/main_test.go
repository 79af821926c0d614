package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
)

// TestMain gives the servers on PostgreSQL a data directory of their own
// (keys, tokens, the risk model's state), not ./slt-data in the source
// tree, and fails the run if a test wrote there all the same.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slt-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SLT_DATA_DIR", dir)
	_, before := os.Stat("slt-data")
	code := m.Run()
	os.RemoveAll(dir)
	if _, after := os.Stat("slt-data"); after == nil && before != nil {
		fmt.Fprintln(os.Stderr, "FAIL: a test wrote files into the source tree (internal/server/slt-data); servers in tests must use a temporary data directory")
		os.RemoveAll("slt-data")
		code = 1
	}
	os.Exit(code)
}

// A server on PostgreSQL keeps its files (here the operator token it
// generates) in $SLT_DATA_DIR — TestMain's directory — and none in the
// working directory.
func TestPostgresServerKeepsItsFilesInTheDataDir(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	dir := store.DataDir(dsn)
	if dir != os.Getenv("SLT_DATA_DIR") || dir == "" {
		t.Fatalf("data directory %q, want $SLT_DATA_DIR (%q)", dir, os.Getenv("SLT_DATA_DIR"))
	}
	token := filepath.Join(dir, "admin-token")
	_ = os.Remove(token) // another test's server may have made one
	s := startServer(t, dsn, func(c *server.Config) { c.AdminToken = "" })
	s.stop()
	if b, err := os.ReadFile(token); err != nil || len(b) < 32 {
		t.Errorf("no operator token in the data directory: %q, %v", b, err)
	}
	if _, err := os.Stat("slt-data"); err == nil {
		t.Error("the server wrote into ./slt-data")
	}
}
