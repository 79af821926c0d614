package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every operation of the OpenAPI document × every kind of caller: nobody
// reaches what is not theirs. Anonymous callers get nothing that needs a
// session, an operator or a merchant's signature; a user's session opens
// no operator operation and no merchant operation; the operator token is
// not a user's session.
func TestAccessMatrix(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), lenientRisk)
	user := s.newPerson(t, "+8613800138011", "王小明")
	const operator = "test-operator-token"

	resp, err := http.Get(s.url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	param := regexp.MustCompile(`\{[^}]+\}`)
	type op struct{ method, path, id, needs string }
	var ops []op
	for path, methods := range doc.Paths {
		for method, o := range methods {
			needs := "none"
			for _, req := range o.Security {
				for scheme := range req {
					needs = scheme
				}
			}
			if strings.HasPrefix(path, "/v1/merchant/") {
				needs = "signature"
			}
			// Fill path parameters with something well formed.
			ops = append(ops, op{strings.ToUpper(method), param.ReplaceAllString(path, "01900000-0000-7000-8000-000000000000"), o.OperationID, needs})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	if len(ops) < 80 {
		t.Fatalf("only %d operations in the document", len(ops))
	}

	call := func(o op, token string) int {
		var body io.Reader
		if o.method == "POST" || o.method == "PUT" {
			body = bytes.NewReader([]byte("{}"))
		}
		req, _ := http.NewRequest(o.method, s.url+o.path, body)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", o.method, o.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	counted := map[string]int{}
	for _, o := range ops {
		counted[o.needs]++
		switch o.needs {
		case "none":
			continue
		case "signature":
			for who, tok := range map[string]string{"anonymous": "", "a user": user.token, "the operator": operator} {
				if st := call(o, tok); st != 401 {
					t.Errorf("%s %s (%s) without a merchant's signature, as %s: %d, want 401", o.method, o.path, o.id, who, st)
				}
			}
		case "operatorToken":
			for who, tok := range map[string]string{"anonymous": "", "a user": user.token} {
				if st := call(o, tok); st != 401 && st != 403 {
					t.Errorf("%s %s (%s) as %s: %d, want 401", o.method, o.path, o.id, who, st)
				}
			}
		default: // a user's session
			for who, tok := range map[string]string{"anonymous": "", "the operator token": operator, "a made-up session": "slt_made-up"} {
				if st := call(o, tok); st != 401 {
					t.Errorf("%s %s (%s) as %s: %d, want 401", o.method, o.path, o.id, who, st)
				}
			}
		}
	}
	t.Logf("operations by what they need: %v", counted)
	// What anyone may call is a short, known list.
	public := map[string]bool{}
	for _, o := range ops {
		if o.needs == "none" {
			public[o.id] = true
		}
	}
	for id := range public {
		if !publicOps[id] {
			t.Errorf("%s needs no credentials: add it to publicOps if it should not", id)
		}
	}
	if counted["operatorToken"] == 0 || counted["signature"] == 0 || counted["none"] == 0 {
		t.Errorf("the matrix missed a kind of operation: %v", counted)
	}
}

// publicOps are the operations anyone may call: health, signing up and
// logging in, and the transparency log (public by design).
var publicOps = map[string]bool{
	"healthz": true, "readyz": true, "register": true, "login": true,
	"beginPasskeyLogin": true, "finishPasskeyLogin": true,
	// Finishing a login from a new device: the step-up token is the credential.
	"stepUp": true, "beginStepUpPasskey": true,
	// The log is for anyone to audit; a leaf is found by its transfer's
	// id, which only the parties to the transfer are given.
	"logCheckpoint": true, "logKey": true, "logLeaf": true, "logInclusion": true, "logConsistency": true,
}

// Guessing a password through the API is throttled like the web app's
// login: after five wrong ones, even the right one waits.
func TestLoginGuessingThrottled(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), nil)
	p := s.newPerson(t, "+8613800138012", "王小明")
	for i := range 5 {
		if st, o := s.call(t, "POST", "/v1/sessions", "", map[string]any{"phone": p.phone, "password": "wrong-Pass-" + itoa(uint64(i))}); st != 401 {
			t.Fatalf("guess %d: %d %v", i, st, o["code"])
		}
	}
	if st, o := s.call(t, "POST", "/v1/sessions", "", map[string]any{"phone": p.phone, "password": testPassword}); st != 423 || o["code"] != "too_many_logins" {
		t.Errorf("the right password after five guesses: %d %v", st, o["code"])
	}
	// Another number is not held up.
	q := s.newPerson(t, "+8613800138013", "李华")
	s.must(t, 201, "POST", "/v1/sessions", "", map[string]any{"phone": q.phone, "password": testPassword})
}
