package server_test

import (
	"fmt"
	"os"
	"testing"
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
