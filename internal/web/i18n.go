package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/shiliantong/shiliantong/internal/money"
)

// Languages: every text a page shows is a message in locales/<tag>.json,
// looked up by key through golang.org/x/text/message. The first language
// is the fallback.

//go:embed locales/*.json
var localeFS embed.FS

// langs are the languages the app speaks, the fallback first.
var langs = []language.Tag{language.SimplifiedChinese, language.English}

var langMatcher = language.NewMatcher(langs)

// Catalog holds every language's messages.
type Catalog struct {
	cat  *catalog.Builder
	keys map[language.Tag]map[string]bool
}

// loadCatalog reads the embedded message files; every language must have
// the same keys (a test checks the templates use only those).
func loadCatalog() (*Catalog, error) {
	c := &Catalog{cat: catalog.NewBuilder(catalog.Fallback(langs[0])), keys: map[language.Tag]map[string]bool{}}
	for _, tag := range langs {
		raw, err := localeFS.ReadFile("locales/" + tag.String() + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: messages for %s: %w", tag, err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("web: messages for %s: %w", tag, err)
		}
		c.keys[tag] = map[string]bool{}
		for k, v := range msgs {
			if err := c.cat.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("web: message %s for %s: %w", k, tag, err)
			}
			c.keys[tag][k] = true
		}
	}
	for _, tag := range langs[1:] {
		if missing := diffKeys(c.keys[langs[0]], c.keys[tag]); len(missing) > 0 {
			return nil, fmt.Errorf("web: messages missing in %s: %s", tag, strings.Join(missing, ", "))
		}
		if extra := diffKeys(c.keys[tag], c.keys[langs[0]]); len(extra) > 0 {
			return nil, fmt.Errorf("web: messages missing in %s: %s", langs[0], strings.Join(extra, ", "))
		}
	}
	return c, nil
}

func diffKeys(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether key is a message.
func (c *Catalog) Has(key string) bool { return c.keys[langs[0]][key] }

// Locale is one language's printer and formats.
type Locale struct {
	Tag language.Tag
	p   *message.Printer
	c   *Catalog
}

// Locale returns the printer of one of the app's languages.
func (c *Catalog) Locale(tag language.Tag) Locale {
	return Locale{Tag: tag, p: message.NewPrinter(tag, message.Catalog(c.cat)), c: c}
}

// T returns the message key in this language, formatted with args.
func (l Locale) T(key string, args ...any) string { return l.p.Sprintf(key, args...) }

// Code is the language's BCP 47 tag ("zh-Hans", "en").
func (l Locale) Code() string { return l.Tag.String() }

// Zh reports whether the language is Chinese.
func (l Locale) Zh() bool { return l.Tag == language.SimplifiedChinese }

// matchLang picks one of the app's languages for a tag string (a cookie or
// a form value) or an Accept-Language header; ok is false when s names
// none of them.
func matchLang(s string) (language.Tag, bool) {
	for _, t := range langs {
		if s == t.String() {
			return t, true
		}
	}
	return langs[0], false
}

// requestLang is the language of a request: the cookie if set, then the
// browser's Accept-Language, then Chinese.
func requestLang(r *http.Request) language.Tag {
	if c, err := r.Cookie(langCookie); err == nil {
		if t, ok := matchLang(c.Value); ok {
			return t
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No {
				return langs[i]
			}
		}
	}
	return langs[0]
}

// Money formats an amount in minor units for the language: the yuan sign
// before CNY amounts in Chinese ("¥1,234.50"), the ISO code before every
// other amount ("CNY 1,234.50", "JPY 100", "KWD 1.234"), digits grouped in
// thousands, exactly as many decimals as the currency has (never through a
// float). A currency without minor units is shown as its code and the
// number of minor units.
func (l Locale) Money(minor int64, cur string) string {
	c, err := money.Lookup(cur)
	if err != nil || !c.HasMinorUnits() {
		return fmt.Sprintf("%s %d", cur, minor)
	}
	s := money.FormatAmount(minor, c)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	if l.Zh() && cur == "CNY" {
		b.WriteString("¥")
	} else {
		b.WriteString(cur)
		b.WriteString("\u00a0")
	}
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// SignedMoney is Money with a plus sign on money in.
func (l Locale) SignedMoney(minor int64, cur string) string {
	if minor > 0 {
		return "+" + l.Money(minor, cur)
	}
	return l.Money(minor, cur)
}

// Date formats a time for the language in zone: "2026年11月25日 14:05",
// "25 Nov 2026, 14:05".
func (l Locale) Date(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(zone)
	if l.Zh() {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("2 Jan 2006, 15:04")
}

// Month formats a month for the language: "2026年11月", "November 2026".
func (l Locale) Month(t time.Time) string {
	if l.Zh() {
		return t.Format("2006年1月")
	}
	return t.Format("January 2006")
}

// Plain is an amount as a form field holds it: "20.00", no sign of the
// currency, no grouping.
func (l Locale) Plain(minor int64, cur string) string {
	c, err := money.Lookup(cur)
	if err != nil || !c.HasMinorUnits() {
		return fmt.Sprint(minor)
	}
	return money.FormatAmount(minor, c)
}
