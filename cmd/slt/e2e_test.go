package main_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
)

// These tests build the slt binary and run it as a user would.

var sltBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slt-e2e")
	if err != nil {
		panic(err)
	}
	sltBin = filepath.Join(dir, "slt")
	build := exec.Command("go", "build", "-race", "-o", sltBin, ".")
	if os.Getenv("SLT_E2E_NORACE") != "" {
		build = exec.Command("go", "build", "-o", sltBin, ".")
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building slt:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running slt serve process.
type server struct {
	cmd    *exec.Cmd
	url    string
	token  string
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var urlRE = regexp.MustCompile(`url=(http://[0-9.:]+)`)

// startServer runs slt serve on dsn and waits until it listens.
func startServer(t *testing.T, dsn string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(sltBin, "--db", dsn, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	s := &server{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = io.MultiWriter(s.stderr, pw)
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "SLT_ADMIN_TOKEN="); ok {
			s.token = v
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.done <- cmd.Wait()
		pw.Close()
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case s.url = <-found:
	case err := <-s.done:
		t.Fatalf("slt serve exited (%v):\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("slt serve did not start:\n%s", s.stderr)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// stop sends SIGTERM and returns the exit error.
func (s *server) stop(t *testing.T) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("slt serve did not stop after SIGTERM:\n%s", s.stderr)
		return nil
	}
}

func (s *server) post(t testing.TB, path, body string) (int, []byte) {
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) get(t testing.TB, path string) (int, []byte) {
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) createAccount(t testing.TB, id ledger.ID, flags string) {
	t.Helper()
	status, body := s.post(t, "/v1/ledger/accounts", fmt.Sprintf(`{"id":%q,"currency":"CNY","code":1,"flags":[%s]}`, id, flags))
	if status != 201 && status != 200 {
		t.Fatalf("create account: %d %s\nserver log:\n%s", status, body, s.stderr)
	}
}

// transfer posts one transfer and returns its status ("" if no answer).
func (s *server) transfer(t testing.TB, id, from, to ledger.ID, amount int64) string {
	status, body := s.post(t, "/v1/ledger/transfers", fmt.Sprintf(
		`{"transfers":[{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":%d,"currency":"CNY","code":1}]}`, id, from, to, amount))
	if status != 200 {
		return ""
	}
	var out struct {
		Results []struct{ Status string } `json:"results"`
	}
	if json.Unmarshal(body, &out) != nil || len(out.Results) != 1 {
		return ""
	}
	return out.Results[0].Status
}

func (s *server) balance(t testing.TB, id ledger.ID) ledger.Balance {
	t.Helper()
	status, body := s.get(t, "/v1/ledger/accounts/"+id.String())
	if status != 200 {
		t.Fatalf("get account: %d %s", status, body)
	}
	var b ledger.Balance
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func slt(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(sltBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("slt %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}

// On SIGTERM the server stops accepting, answers the requests in flight,
// commits what is queued, and exits 0; every transfer acknowledged as
// created is in the ledger afterwards.
func TestServeShutsDownGracefully(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "slt.db")
	env := []string{"SLT_ADMIN_TOKEN=e2e-token"}
	s := startServer(t, dsn, env...)
	bank, shop := ledger.NewID(), ledger.NewID()
	s.createAccount(t, bank, "")
	s.createAccount(t, shop, "")

	var (
		mu    sync.Mutex
		acked = map[ledger.ID]int64{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, amount := ledger.NewID(), int64(1+c+i%50)
				if s.transfer(t, id, bank, shop, amount) == "created" {
					mu.Lock()
					acked[id] = amount
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := s.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr)
	}
	close(stop)
	wg.Wait()
	if !strings.Contains(s.stderr.String(), "stopped") {
		t.Fatalf("no orderly stop in the log:\n%s", s.stderr)
	}
	if len(acked) == 0 {
		t.Fatal("no transfer was acknowledged before the shutdown")
	}
	out, code := slt(t, nil, "--db", dsn, "check")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("slt check after shutdown: %d\n%s", code, out)
	}
	s2 := startServer(t, dsn, env...)
	var sum int64
	for id, amount := range acked {
		status, body := s2.get(t, "/v1/ledger/transfers/"+id.String())
		if status != 200 {
			t.Fatalf("acknowledged transfer %s missing after restart: %d %s", id, status, body)
		}
		sum += amount
	}
	if got := s2.balance(t, shop).CreditsPosted; got < sum {
		t.Fatalf("shop has %d, acknowledged transfers sum to %d", got, sum)
	}
	if err := s2.stop(t); err != nil {
		t.Fatal(err)
	}
}

// A second process refuses a SQLite file that is being served.
func TestSecondProcessRefusesSQLiteFile(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "slt.db")
	s := startServer(t, dsn, "SLT_ADMIN_TOKEN=x")
	out, code := slt(t, nil, "--db", dsn, "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(out, "locked by process") || !strings.Contains(out, "PostgreSQL") {
		t.Fatalf("second server: exit %d\n%s", code, out)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

// Without SLT_ADMIN_TOKEN the server makes a token, keeps it in its data
// directory, says where, and uses the same one next time.
func TestAdminTokenIsGeneratedAndKept(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "slt.db")
	s := startServer(t, dsn)
	tokenFile := filepath.Join(dir, "admin-token")
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatalf("no token file: %v\n%s", err, s.stderr)
	}
	if fi, _ := os.Stat(tokenFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode())
	}
	if !strings.Contains(s.stderr.String(), tokenFile) {
		t.Fatalf("the log does not say where the token is:\n%s", s.stderr)
	}
	s.token = strings.TrimSpace(string(b))
	s.createAccount(t, ledger.NewID(), "")
	s.stop(t)
	s2 := startServer(t, dsn)
	s2.token = s.token
	s2.createAccount(t, ledger.NewID(), "")
	s2.stop(t)
}

// slt check exits 0 on a sound ledger and 1, naming the problem, on one
// that was tampered with.
func TestCheckCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slt.db")
	dsn := "sqlite:" + path
	if out, code := slt(t, nil, "--db", dsn, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", out)
	}
	out, code := slt(t, nil, "--db", dsn, "bench", "ledger", "--accounts", "50", "--duration", "1s", "--json")
	if code != 0 {
		t.Fatalf("bench: %s", out)
	}
	out, code = slt(t, nil, "--db", dsn, "check")
	if code != 0 || !strings.Contains(out, "OK: every invariant holds") {
		t.Fatalf("check: %d\n%s", code, out)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE transfers SET amount = amount + 1 WHERE ts = (SELECT max(ts) FROM transfers)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, code = slt(t, nil, "--db", dsn, "check")
	if code != 1 || !strings.Contains(out, "FAILED") {
		t.Fatalf("check of a tampered ledger: %d\n%s", code, out)
	}
	out, code = slt(t, nil, "--db", dsn, "check", "--json")
	var rep struct {
		ViolationCount int `json:"violation_count"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.ViolationCount == 0 {
		t.Fatalf("check --json: %d\n%s", code, out)
	}
}

func TestBenchCommands(t *testing.T) {
	dir := t.TempDir()
	out, code := slt(t, nil, "--db", "sqlite:"+filepath.Join(dir, "a.db"), "bench", "ledger",
		"--accounts", "200", "--clients", "4", "--batch", "8", "--duration", "1s", "--hot", "0.5", "--json")
	var r struct {
		TransfersPerSec float64 `json:"transfers_per_sec"`
		P50, P99        float64
		Errors          int64 `json:"errors"`
		Transfers       int64 `json:"transfers"`
	}
	if code != 0 || json.Unmarshal([]byte(lastLine(out)), &r) != nil || r.Transfers == 0 || r.TransfersPerSec <= 0 || r.Errors != 0 {
		t.Fatalf("bench ledger: %d\n%s", code, out)
	}
	for _, field := range []string{`"p50_ms"`, `"p99_ms"`, `"transfers_per_sec"`, `"errors"`} {
		if !strings.Contains(out, field) {
			t.Fatalf("bench ledger --json lacks %s", field)
		}
	}
	s := startServer(t, "sqlite:"+filepath.Join(dir, "b.db"), "SLT_ADMIN_TOKEN=bench")
	out, code = slt(t, []string{"SLT_ADMIN_TOKEN=bench"}, "bench", "http", "--addr", strings.TrimPrefix(s.url, "http://"),
		"--accounts", "100", "--clients", "8", "--duration", "1s", "--json")
	if code != 0 || json.Unmarshal([]byte(lastLine(out)), &r) != nil || r.Transfers == 0 || r.Errors != 0 {
		t.Fatalf("bench http: %d\n%s", code, out)
	}
	out, code = slt(t, []string{"SLT_ADMIN_TOKEN=wrong"}, "bench", "http", "--addr", strings.TrimPrefix(s.url, "http://"), "--duration", "1s")
	if code == 0 || !strings.Contains(out, "token") {
		t.Fatalf("bench http with a wrong token: %d\n%s", code, out)
	}
	s.stop(t)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Two servers on one PostgreSQL database, under concurrent load through
// both, with a hot account: every invariant holds and both see the same
// balances.
func TestTwoServersShareOnePostgres(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	env := []string{"SLT_ADMIN_TOKEN=two"}
	s1 := startServer(t, dsn, env...)
	s2 := startServer(t, dsn, env...)
	hot := ledger.NewID()
	s1.createAccount(t, hot, "")
	users := make([]ledger.ID, 12)
	bank := ledger.NewID()
	s2.createAccount(t, bank, "")
	for i := range users {
		users[i] = ledger.NewID()
		s1.createAccount(t, users[i], `"debits_must_not_exceed_credits"`)
		if st := s2.transfer(t, ledger.NewID(), bank, users[i], 1000); st != "created" {
			t.Fatalf("fund: %q", st)
		}
	}
	var wg sync.WaitGroup
	paid := make([]int64, len(users))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := []*server{s1, s2}[i%2]
			for j := 0; ctx.Err() == nil; j++ {
				id, amount := ledger.NewID(), int64(1+(i+j)%9)
				status := srv.transfer(t, id, users[i], hot, amount)
				for status == "" { // no answer: retry the same id, through the other server
					srv = []*server{s1, s2}[(i+j+1)%2]
					status = srv.transfer(t, id, users[i], hot, amount)
				}
				switch status {
				case "created":
					paid[i] += amount
				case "exceeds_credits":
				default:
					t.Errorf("status %q", status)
					return
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for i, u := range users {
		total += paid[i]
		for _, s := range []*server{s1, s2} {
			if b := s.balance(t, u); b.DebitsPosted != paid[i] || b.CreditsPosted != 1000 {
				t.Fatalf("user %d on %s: %+v, paid %d", i, s.url, b, paid[i])
			}
		}
	}
	for _, s := range []*server{s1, s2} {
		if b := s.balance(t, hot); b.CreditsPosted != total {
			t.Fatalf("hot account on %s: %+v, want %d", s.url, b, total)
		}
	}
	if total == 0 {
		t.Fatal("no transfer went through")
	}
	s1.stop(t)
	s2.stop(t)
	out, code := slt(t, nil, "--db", dsn, "check")
	if code != 0 {
		t.Fatalf("check: %d\n%s", code, out)
	}
}
