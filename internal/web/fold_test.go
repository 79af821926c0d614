package web

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The pages with their constant messages folded in render exactly as the
// templates as written do, in every language, and the folding leaves the
// language switch (T on the other language) alone.
func TestFoldedPagesRenderAsWritten(t *testing.T) {
	cat := testCatalog(t)
	static, err := loadStatic()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	folded, err := localizedPages(cat)
	if err != nil {
		t.Fatal(err)
	}
	a := &App{cat: cat, static: static, zone: time.UTC}
	for _, tag := range langs {
		for _, page := range []string{"login", "signup", "error"} {
			for _, user := range []*wallet.User{nil, {ID: "u", Name: "A <b>&\"'"}} {
				v := &view{app: a, L: cat.Locale(tag), CSRF: "tok", User: user, Title: page + ".title", Path: "/x?y=\"<z>\"",
					Error: "<err> & \"quoted\"", Form: url.Values{"phone": {"+86 <1>"}}, D: "/app?a=1&b=<2>"}
				var want, got bytes.Buffer
				errWant := plain[page].ExecuteTemplate(&want, "layout", v)
				errGot := folded[tag][page].ExecuteTemplate(&got, "layout", v)
				if (errWant == nil) != (errGot == nil) || !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("%s %s: folded page differs (errors %v, %v)\nwant %s\ngot  %s", tag, page, errWant, errGot, want.String(), got.String())
				}
				if !strings.Contains(got.String(), cat.Locale(tag).T("app.name")) {
					t.Errorf("%s %s: no app name", tag, page)
				}
			}
		}
	}
	// The fold replaced the constant calls: the layout calls T only with
	// keys it does not know before the request (the title, the menu), and
	// on the other language.
	layout := folded[langs[0]]["login"].Lookup("layout").Tree.Root.String()
	if n := strings.Count(layout, ".T "); n > 4 {
		t.Errorf("%d calls of T left in the layout:\n%s", n, layout)
	}
	if strings.Contains(layout, `"app.name"`) {
		t.Errorf("app.name not folded:\n%s", layout)
	}
}
