package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two entries in the form of the vulndb module's data/osv: times unset
// (the module carries no git history), one unreviewed and withdrawn.
var entries = map[string]string{
	"GO-2099-0001.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0001",
  "modified": "0001-01-01T00:00:00Z",
  "published": "0001-01-01T00:00:00Z",
  "aliases": ["CVE-2099-1", "GHSA-xxxx-yyyy-zzzz"],
  "summary": "A flaw in example.com/a and the standard library",
  "details": "Details.",
  "affected": [
    {
      "package": {"name": "example.com/a", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}],
      "ecosystem_specific": {"imports": [{"path": "example.com/a/b", "symbols": ["F"]}]}
    },
    {
      "package": {"name": "stdlib", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.26.9"}, {"introduced": "1.27.0-0"}, {"fixed": "1.27.2"}]}]
    }
  ],
  "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2099-0001", "review_status": "REVIEWED"}
}
`,
	"GO-2099-0002.json": `{
  "schema_version": "1.3.1",
  "id": "GO-2099-0002",
  "modified": "0001-01-01T00:00:00Z",
  "published": "0001-01-01T00:00:00Z",
  "withdrawn": "2099-03-01T00:00:00Z",
  "details": "Fixed in 1.0.0, back in 1.1.0, not fixed since.",
  "affected": [
    {
      "package": {"name": "example.com/a", "ecosystem": "Go"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "1.1.0"}]}]
    }
  ],
  "database_specific": {"url": "https://pkg.go.dev/vuln/GO-2099-0002", "review_status": "UNREVIEWED"}
}
`,
}

func writeEntries(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Not an entry: skipped.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# osv\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuild(t *testing.T) {
	src := writeEntries(t, entries)
	out := filepath.Join(t.TempDir(), "db")
	modified := time.Date(2099, 4, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	n, err := build(src, out, modified)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("build = %d entries, want 2", n)
	}

	if got, want := readFile(t, filepath.Join(out, "index", "db.json")), `{"modified":"2099-04-01T04:00:00Z"}`; got != want {
		t.Errorf("db.json = %s, want %s", got, want)
	}
	// Modules by path, their vulnerabilities by id; a fix that a later
	// introduction supersedes is no fix.
	want := `[` +
		`{"path":"example.com/a","vulns":[` +
		`{"id":"GO-2099-0001","modified":"0001-01-01T00:00:00Z","fixed":"1.2.0"},` +
		`{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z"}]},` +
		`{"path":"stdlib","vulns":[{"id":"GO-2099-0001","modified":"0001-01-01T00:00:00Z","fixed":"1.27.2"}]}]`
	if got := readFile(t, filepath.Join(out, "index", "modules.json")); got != want {
		t.Errorf("modules.json =\n%s\nwant\n%s", got, want)
	}
	want = `[{"id":"GO-2099-0001","modified":"0001-01-01T00:00:00Z","aliases":["CVE-2099-1","GHSA-xxxx-yyyy-zzzz"]},` +
		`{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z"}]`
	if got := readFile(t, filepath.Join(out, "index", "vulns.json")); got != want {
		t.Errorf("vulns.json =\n%s\nwant\n%s", got, want)
	}
	// The entries as they are, withdrawn and unreviewed ones included.
	for name, body := range entries {
		if got := readFile(t, filepath.Join(out, "ID", name)); got != body {
			t.Errorf("ID/%s =\n%s\nwant it unchanged:\n%s", name, got, body)
		}
	}
	ids, err := os.ReadDir(filepath.Join(out, "ID"))
	if err != nil || len(ids) != 2 {
		t.Errorf("ID/ holds %d files (%v), want 2", len(ids), err)
	}
}

// An entry modified after the given time makes the database's time.
func TestBuildModifiedIsTheLatest(t *testing.T) {
	e := strings.Replace(entries["GO-2099-0001.json"], `"modified": "0001-01-01T00:00:00Z"`, `"modified": "2099-05-01T00:00:00Z"`, 1)
	src := writeEntries(t, map[string]string{"GO-2099-0001.json": e})
	out := t.TempDir()
	if _, err := build(src, out, time.Date(2099, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, filepath.Join(out, "index", "db.json")), `{"modified":"2099-05-01T00:00:00Z"}`; got != want {
		t.Errorf("db.json = %s, want %s", got, want)
	}
	if got := readFile(t, filepath.Join(out, "index", "modules.json")); !strings.Contains(got, `{"id":"GO-2099-0001","modified":"2099-05-01T00:00:00Z","fixed":"1.2.0"}`) {
		t.Errorf("modules.json does not carry the entry's modified time: %s", got)
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		files    map[string]string
		nonEmpty bool
		err      string
	}{
		"no entries":       {files: map[string]string{}, err: "no OSV entries"},
		"misnamed entry":   {files: map[string]string{"GO-2099-0003.json": entries["GO-2099-0001.json"]}, err: "not named after its entry's id"},
		"not JSON":         {files: map[string]string{"GO-2099-0001.json": "{"}, err: "GO-2099-0001.json"},
		"no module path":   {files: map[string]string{"GO-2099-0001.json": strings.Replace(entries["GO-2099-0001.json"], `"name": "example.com/a"`, `"name": ""`, 1)}, err: "without a module path"},
		"output not empty": {files: entries, nonEmpty: true, err: "is not empty"},
	} {
		t.Run(name, func(t *testing.T) {
			src := writeEntries(t, tc.files)
			out := t.TempDir()
			if tc.nonEmpty {
				if err := os.WriteFile(filepath.Join(out, "stale.json"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := build(src, out, time.Now())
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("build: %v, want an error with %q", err, tc.err)
			}
		})
	}
}

func TestLatestFixed(t *testing.T) {
	type ev = struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	}
	semverRange := func(events ...ev) osvRange { return osvRange{Type: "SEMVER", Events: events} }
	for _, tc := range []struct {
		name   string
		ranges []osvRange
		want   string
	}{
		{"none", nil, ""},
		{"never fixed", []osvRange{semverRange(ev{Introduced: "0"})}, ""},
		{"fixed", []osvRange{semverRange(ev{Introduced: "0"}, ev{Fixed: "0.3.3"})}, "0.3.3"},
		{"compared as versions, not strings", []osvRange{semverRange(ev{Introduced: "0"}, ev{Fixed: "1.9.0"}, ev{Introduced: "1.10.0-0"}, ev{Fixed: "1.10.1"})}, "1.10.1"},
		{"latest over ranges", []osvRange{
			semverRange(ev{Introduced: "0"}, ev{Fixed: "1.26.9"}),
			semverRange(ev{Introduced: "1.27.0-0"}, ev{Fixed: "1.27.2"}),
		}, "1.27.2"},
		{"reintroduced after the fix", []osvRange{semverRange(ev{Introduced: "0"}, ev{Fixed: "1.0.0"}, ev{Introduced: "1.1.0"})}, ""},
		{"other range types ignored", []osvRange{{Type: "GIT", Events: []ev{{Fixed: "9.9.9"}}}}, ""},
	} {
		if got := latestFixed(tc.ranges); got != tc.want {
			t.Errorf("%s: latestFixed = %q, want %q", tc.name, got, tc.want)
		}
	}
}
