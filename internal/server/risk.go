package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// stateful is an assessor whose state (behaviour profiles, velocity
// windows) is kept across restarts: risk.ModelAssessor.
type stateful interface {
	Snapshot(w io.Writer) error
	Restore(r io.Reader) error
	Prune(idle time.Duration)
}

// riskStateFile is where the model's state is kept, in the data directory.
const riskStateFile = "risk-state.json"

// riskIdle is how long a user, payee or device may be idle before the
// model's state forgets it (the profiles' longest window is 30 days).
const riskIdle = 45 * 24 * time.Hour

// keepRiskState restores the assessor's state from the data directory,
// then prunes and saves it every interval and when ctx ends (the server
// stopping), and returns when it saved the last time.
func keepRiskState(ctx context.Context, a stateful, dir string, every time.Duration, log *slog.Logger) (wait func()) {
	path := filepath.Join(dir, riskStateFile)
	switch f, err := os.Open(path); {
	case err == nil:
		if err := a.Restore(f); err != nil {
			log.Warn("risk: the saved state is unreadable; starting afresh", "path", path, "err", err)
		} else {
			log.Info("risk: state restored", "path", path)
		}
		f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		log.Warn("risk: the saved state", "err", err)
	}
	save := func() {
		a.Prune(riskIdle)
		var buf bytes.Buffer
		if err := a.Snapshot(&buf); err != nil {
			log.Warn("risk: saving the state", "err", err)
			return
		}
		tmp := path + ".tmp"
		if err := os.MkdirAll(dir, 0o700); err != nil {
			log.Warn("risk: saving the state", "err", err)
			return
		}
		if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
			log.Warn("risk: saving the state", "err", err)
			return
		}
		if err := os.Rename(tmp, path); err != nil {
			log.Warn("risk: saving the state", "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				save()
				return
			case <-t.C:
				save()
			}
		}
	}()
	return func() { <-done }
}
