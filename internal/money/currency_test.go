package money_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

// listOneEntry is one record of testdata/iso4217_minor_units.json.
type listOneEntry struct {
	Alpha      string          `json:"alpha"`
	Numeric    string          `json:"numeric"`
	MinorUnits json.RawMessage `json:"minor_units"`
	Name       string          `json:"name"`
	IsFund     bool            `json:"is_fund"`
}

type listOneFile struct {
	Source struct {
		Document string `json:"document"`
	} `json:"SOURCE"`
	Requested      []listOneEntry `json:"requested"`
	ExtraEdgeCases []listOneEntry `json:"extra_edge_cases"`
	All            []listOneEntry `json:"all_codes_in_list_one"`
}

func readListOne(t *testing.T) listOneFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/iso4217_minor_units.json")
	if err != nil {
		t.Fatal(err)
	}
	var f listOneFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.All) == 0 {
		t.Fatal("testdata has no all_codes_in_list_one entries")
	}
	return f
}

// want converts a JSON record to the Currency the table must contain.
func (e listOneEntry) want(t *testing.T) money.Currency {
	t.Helper()
	if len(e.Numeric) != 3 {
		t.Fatalf("%s: numeric %q is not 3 digits", e.Alpha, e.Numeric)
	}
	numeric, err := strconv.Atoi(e.Numeric)
	if err != nil {
		t.Fatalf("%s: numeric %q: %v", e.Alpha, e.Numeric, err)
	}
	exponent := -1
	if string(e.MinorUnits) != `"N.A."` {
		if exponent, err = strconv.Atoi(string(e.MinorUnits)); err != nil {
			t.Fatalf("%s: minor_units %s: %v", e.Alpha, e.MinorUnits, err)
		}
	}
	return money.Currency{Code: e.Alpha, Numeric: numeric, Exponent: exponent, Name: e.Name, Fund: e.IsFund}
}

func checkEntries(t *testing.T, entries []listOneEntry) {
	t.Helper()
	for _, e := range entries {
		want := e.want(t)
		got, err := money.Lookup(e.Alpha)
		if err != nil {
			t.Errorf("Lookup(%q): %v", e.Alpha, err)
			continue
		}
		if got != want {
			t.Errorf("Lookup(%q) = %+v, testdata says %+v", e.Alpha, got, want)
		}
		byNumeric, err := money.LookupNumeric(want.Numeric)
		if err != nil || byNumeric != want {
			t.Errorf("LookupNumeric(%d) = %+v, %v; want %+v", want.Numeric, byNumeric, err, want)
		}
		if got.NumericCode() != e.Numeric {
			t.Errorf("%s.NumericCode() = %q, testdata says %q", e.Alpha, got.NumericCode(), e.Numeric)
		}
	}
}

func TestTableMatchesTestdata(t *testing.T) {
	f := readListOne(t)
	checkEntries(t, f.All)

	all := money.All()
	if len(all) != len(f.All) {
		t.Errorf("All() has %d currencies, testdata has %d", len(all), len(f.All))
	}
	inFile := map[string]bool{}
	for _, e := range f.All {
		inFile[e.Alpha] = true
	}
	for _, c := range all {
		if !inFile[c.Code] {
			t.Errorf("table has %s, testdata does not", c.Code)
		}
	}
	if !strings.Contains(f.Source.Document, "Pblshd="+money.ISO4217Published) {
		t.Errorf("ISO4217Published = %q, testdata SOURCE.document = %q", money.ISO4217Published, f.Source.Document)
	}
}

func TestTestdataEdgeCases(t *testing.T) {
	f := readListOne(t)
	if len(f.Requested) == 0 || len(f.ExtraEdgeCases) == 0 {
		t.Fatalf("testdata lost its edge cases: %d requested, %d extra", len(f.Requested), len(f.ExtraEdgeCases))
	}
	checkEntries(t, f.Requested)
	checkEntries(t, f.ExtraEdgeCases)
}

// TestExponents pins exponents independently of the testdata file, so that
// a bad edit to the JSON followed by go generate is caught too.
func TestExponents(t *testing.T) {
	tests := []struct {
		code     string
		numeric  int
		exponent int
		fund     bool
	}{
		{"CNY", 156, 2, false}, {"USD", 840, 2, false}, {"EUR", 978, 2, false},
		{"JPY", 392, 0, false}, {"KRW", 410, 0, false}, {"VND", 704, 0, false},
		{"ISK", 352, 0, false}, {"CLP", 152, 0, false}, {"BIF", 108, 0, false},
		{"XOF", 952, 0, false}, {"XAF", 950, 0, false}, {"XPF", 953, 0, false},
		{"IDR", 360, 2, false}, {"KHR", 116, 2, false}, {"LAK", 418, 2, false},
		{"KWD", 414, 3, false}, {"BHD", 48, 3, false}, {"JOD", 400, 3, false},
		{"OMR", 512, 3, false}, {"TND", 788, 3, false}, {"LYD", 434, 3, false},
		{"IQD", 368, 3, false},
		{"CLF", 990, 4, true}, {"UYW", 927, 4, false},
		{"USN", 997, 2, true},
		{"XAU", 959, -1, false}, {"XAG", 961, -1, false}, {"XPT", 962, -1, false},
		{"XPD", 964, -1, false}, {"XDR", 960, -1, false}, {"XTS", 963, -1, false},
		{"XXX", 999, -1, false}, {"XBA", 955, -1, false},
	}
	for _, tt := range tests {
		c := mustLookup(t, tt.code)
		if c.Code != tt.code || c.Numeric != tt.numeric || c.Exponent != tt.exponent || c.Fund != tt.fund {
			t.Errorf("Lookup(%q) = %+v, want numeric %d exponent %d fund %v", tt.code, c, tt.numeric, tt.exponent, tt.fund)
		}
		if got, want := c.HasMinorUnits(), tt.exponent >= 0; got != want {
			t.Errorf("%s.HasMinorUnits() = %v, want %v", tt.code, got, want)
		}
	}
}

func TestCurrencyMethods(t *testing.T) {
	bhd := mustLookup(t, "BHD")
	if got := bhd.String(); got != "BHD" {
		t.Errorf("String() = %q, want BHD", got)
	}
	if got := bhd.NumericCode(); got != "048" {
		t.Errorf("NumericCode() = %q, want 048", got)
	}
	if got := mustLookup(t, "ALL").NumericCode(); got != "008" {
		t.Errorf("ALL NumericCode() = %q, want 008", got)
	}
	if got := mustLookup(t, "TOP").Name; got != "Pa’anga" {
		t.Errorf("TOP Name = %q, want Pa’anga", got)
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, code := range []string{"", "cny", "Cny", "CN", "CNYY", " CNY", "CNY ", "ABC", "QQQ", "１２３", "\x00\x00\x00"} {
		c, err := money.Lookup(code)
		if !errors.Is(err, money.ErrUnknownCurrency) {
			t.Errorf("Lookup(%q) = %+v, %v; want ErrUnknownCurrency", code, c, err)
			continue
		}
		if c != (money.Currency{}) {
			t.Errorf("Lookup(%q) returned non-zero currency %+v with error", code, c)
		}
		if want := strconv.Quote(code); !strings.Contains(err.Error(), want) {
			t.Errorf("Lookup(%q) error %q does not name the code", code, err)
		}
	}
	err := func() error { _, err := money.Lookup("cny"); return err }()
	if got, want := err.Error(), `money: currency code "cny": unknown currency`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestLookupLongCodeTruncated(t *testing.T) {
	code := strings.Repeat("A", 1000)
	_, err := money.Lookup(code)
	if !errors.Is(err, money.ErrUnknownCurrency) {
		t.Fatalf("err = %v, want ErrUnknownCurrency", err)
	}
	if len(err.Error()) > 200 || !strings.Contains(err.Error(), "(1000 bytes)") {
		t.Errorf("error for 1000-byte code not truncated: %q", err)
	}
}

func TestLookupNumericUnknown(t *testing.T) {
	for _, n := range []int{0, 1, -48, 1000, 123456} {
		c, err := money.LookupNumeric(n)
		if !errors.Is(err, money.ErrUnknownCurrency) || c != (money.Currency{}) {
			t.Errorf("LookupNumeric(%d) = %+v, %v; want ErrUnknownCurrency", n, c, err)
		}
	}
	_, err := money.LookupNumeric(1)
	if got, want := err.Error(), "money: currency numeric code 001: unknown currency"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestAllSortedAndCopied(t *testing.T) {
	all := money.All()
	if !slices.IsSortedFunc(all, func(a, b money.Currency) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("All() is not sorted by code")
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Code == all[i].Code {
			t.Errorf("duplicate code %s", all[i].Code)
		}
	}
	first := all[0]
	all[0] = money.Currency{Code: "ZZZ"}
	if again := money.All(); again[0] != first {
		t.Errorf("modifying All() result changed the table: %+v", again[0])
	}
	if _, err := money.Lookup(first.Code); err != nil {
		t.Errorf("modifying All() result broke Lookup: %v", err)
	}
}

func TestMustLookup(t *testing.T) {
	if got := money.MustLookup("JPY"); got.Code != "JPY" || got.Exponent != 0 {
		t.Errorf("MustLookup(JPY) = %+v", got)
	}
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, money.ErrUnknownCurrency) {
			t.Errorf("MustLookup(jpy) panicked with %v, want ErrUnknownCurrency", r)
		}
	}()
	money.MustLookup("jpy")
	t.Error("MustLookup(jpy) did not panic")
}
