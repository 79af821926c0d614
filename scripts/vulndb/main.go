// Command vulndb builds a Go vulnerability database from the OSV files of
// the golang.org/x/vulndb module, in the layout govulncheck reads with
// -db file:///path (https://go.dev/security/vuln/database#api):
//
//	index/db.json       {"modified": …}
//	index/modules.json  [{"path": …, "vulns": [{"id", "modified", "fixed"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/GO-YYYY-NNNN.json  the OSV entries
//
// It does what vulndb's own generator (internal/database) does, without
// its dependencies: every entry of data/osv is published as it is —
// withdrawn and unreviewed ones too, govulncheck decides about them — and
// indexed by the modules it affects, with the latest fix that no later
// introduction supersedes.
//
// One difference: that generator takes each entry's "modified" (and,
// mostly, "published") time from the repository's git history, which a
// module does not carry; the files leave them unset, and so does this
// database. The database's own modified time is given: the time of the
// module's commit. govulncheck only shows these times; it matches by
// module, version and symbol.
//
//	go run ./scripts/vulndb -src SRC -modified TIME -out OUT
//
// where SRC is the module's directory and TIME the time of its commit:
//
//	go list -m -f '{{.Dir}} {{.Time.Format "2006-01-02T15:04:05Z07:00"}}' golang.org/x/vulndb@VERSION
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

func main() {
	src := flag.String("src", "", "directory of the golang.org/x/vulndb module (its data/osv is read)")
	modified := flag.String("modified", "", "the database's modified time, RFC 3339: the time of the module's commit")
	out := flag.String("out", "", "directory to write the database to (created; must be empty or missing)")
	flag.Parse()
	if *src == "" || *out == "" || *modified == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, *modified)
	if err != nil {
		log.Fatal(err)
	}
	n, err := build(filepath.Join(*src, "data", "osv"), *out, t)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("vulndb: %d entries written to %s\n", n, *out)
}

// entry is what the index needs of an OSV entry.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"` // the module path
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// build reads every OSV entry (<id>.json) of osvDir and writes the
// database to out. Its modified time is modified, or an entry's if that is
// later. It returns the number of entries.
func build(osvDir, out string, modified time.Time) (int, error) {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV entries in %s", osvDir)
	}
	if old, _ := os.ReadDir(out); len(old) != 0 {
		return 0, fmt.Errorf("%s is not empty", out)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return 0, err
	}

	db := dbMeta{Modified: modified.UTC()}
	modules := map[string]*module{}
	var vulns []vuln
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %v", file, err)
		}
		if e.ID == "" || filepath.Base(file) != e.ID+".json" {
			return 0, fmt.Errorf("%s: the file is not named after its entry's id %q", file, e.ID)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), raw, 0o644); err != nil {
			return 0, err
		}

		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			path := a.Package.Name
			if path == "" {
				return 0, fmt.Errorf("%s: an affected package without a module path", file)
			}
			m := modules[path]
			if m == nil {
				m = &module{Path: path}
				modules[path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFixed(a.Ranges)})
		}
	}

	// Sorted as vuln.go.dev sorts them: modules by path, vulnerabilities by id.
	var index []*module
	for _, m := range modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		index = append(index, m)
	}
	slices.SortFunc(index, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vuln) int { return strings.Compare(a.ID, b.ID) })

	err = errors.Join(
		writeJSON(filepath.Join(out, "index", "db.json"), db),
		writeJSON(filepath.Join(out, "index", "modules.json"), index),
		writeJSON(filepath.Join(out, "index", "vulns.json"), vulns),
	)
	return len(files), err
}

// latestFixed is the latest fixed version of the ranges, or "" when a
// later introduction supersedes it (the vulnerability came back) or there
// is none. Versions are semver without the "v", as in OSV.
func latestFixed(ranges []osvRange) string {
	less := func(a, b string) bool { return semver.Compare("v"+a, "v"+b) < 0 }
	var fixed string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, ev := range r.Events {
			if ev.Fixed != "" && less(fixed, ev.Fixed) {
				fixed = ev.Fixed
			}
		}
		for _, ev := range r.Events {
			if ev.Introduced != "" && ev.Introduced != "0" && less(fixed, ev.Introduced) {
				fixed = ""
				break
			}
		}
	}
	return fixed
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
