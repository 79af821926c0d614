package server_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the servers on PostgreSQL a data directory of their own
// (keys, tokens, the risk model's state), not ./slt-data in the source tree.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slt-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SLT_DATA_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
