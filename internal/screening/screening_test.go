package screening

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fixtureIndex(t testing.TB) *Index {
	t.Helper()
	ofac, err := ParseSDN(open(t, "sdn.csv"), open(t, "alt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	un, err := ParseUN(open(t, "un.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return Build(append(ofac, un...))
}

func TestParseSDN(t *testing.T) {
	es, err := ParseSDN(open(t, "sdn.csv"), open(t, "alt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 10 {
		t.Fatalf("%d entries, want 10", len(es))
	}
	k := es[8]
	if k.Ref != "48603" || k.Kind != "individual" || k.Programs != "CYBER2" || len(k.Names) != 4 ||
		k.Names[0] != "KHOROSHEV, Dmitry Yuryevich" || k.Names[2] != "YURIEVICH, Dmitry" {
		t.Errorf("entry 48603: %+v", k)
	}
	if e := es[1]; e.Kind != "entity" || len(e.Names) != 5 {
		t.Errorf("an entity (SDN_Type -0-) with four aliases: %+v", e)
	}
	if e := es[7]; e.Kind != "vessel" || !strings.Contains(e.Remarks, "IMO 9486910") {
		t.Errorf("a vessel: %+v", e)
	}
}

func TestParseUN(t *testing.T) {
	es, err := ParseUN(open(t, "un.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 5 {
		t.Fatalf("%d entries, want 5", len(es))
	}
	if e := es[1]; e.Ref != "CDi.002" || e.Names[0] != "FRANK KAKOLELE BWAMBALE" || len(e.Names) != 4 || e.Programs != "DRC" {
		t.Errorf("CDi.002: %+v", e)
	}
	if e := es[0]; len(e.Names) != 1 {
		t.Errorf("an empty alias element is no name: %+v", e)
	}
	if e := es[4]; e.Kind != "entity" || e.Ref != "QDe.004" || len(e.Names) != 4 {
		t.Errorf("the entity: %+v", e)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ name, sdn, want string }{
		{"few fields", "1,\"A\",\"individual\"\n", "line 1: 3 fields"},
		{"no number", "10,\"A B\",-0-,P,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\nx,\"C\",-0-,P,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n", "line 2: ent_num"},
		{"no name", "10,-0- ,-0-,P,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n", "line 1: entry 10 has no name"},
		{"twice", "10,\"A\",-0-,P,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n10,\"B\",-0-,P,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n", "line 2: entry 10 listed twice"},
		{"quote", "10,\"A\"x\",-0-\n", "SDN.CSV"},
	} {
		_, err := ParseSDN(strings.NewReader(c.sdn), nil)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want …%s…", c.name, err, c.want)
		}
	}
	for _, c := range []struct{ name, xml, want string }{
		{"not xml", "hello", "no CONSOLIDATED_LIST"},
		{"broken", "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</INDIVIDUAL>", "line 3"},
		{"no name", "<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", "line 2: INDIVIDUAL without"},
		{"outside", "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>", "outside CONSOLIDATED_LIST"},
	} {
		_, err := ParseUN(strings.NewReader(c.xml))
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want …%s…", c.name, err, c.want)
		}
	}
}

func TestTokens(t *testing.T) {
	for in, want := range map[string]string{
		"KHOROSHEV, Dmitry Yuryevich": "khoroshev dmitry yuryevich",
		"JÉRÔME Kakwavu":              "jerome kakwavu",
		"Дмитрий Хорошев":             "dmitrii khoroshev",
		"王小明":                         "wang xiao ming",
		"AL-QA'IDA":                   "al qaida",
		"  ":                          "",
	} {
		if got := strings.Join(Tokens(in), " "); got != want {
			t.Errorf("Tokens(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScreenFindsVariants(t *testing.T) {
	x := fixtureIndex(t)
	for _, c := range []struct{ query, ref string }{
		{"KHOROSHEV, Dmitry Yuryevich", "48603"},  // as listed
		{"Dmitry Khoroshev", "48603"},             // reordered, the patronymic left out
		{"Dmitri Horoshev", "48603"},              // spelled differently
		{"Дмитрий Юрьевич Хорошев", "48603"},      // Cyrillic
		{"Jerome Kakwavu", "CDi.005"},             // without diacritics
		{"Kakwavu Bukande Jérôme", "CDi.005"},     // reordered
		{"Al Qaeda", "QDe.004"},                   // an alias
		{"Alqaida", "QDe.004"},                    // written as one word
		{"Sultani Makenga", "CDi.008"},            //
		{"Daniel Gonzalo Moreno", "15102"},        // the alias with a given name
		{"Iran Aircraft Manufacturing", "11195"},  // an entity, a word short
		{"Artem Lifshits", "29702"},               // the patronymic left out
		{"Artyom Mikhailovich Lifshits", "29702"}, // transliteration variants
	} {
		hits := x.Screen(c.query, DefaultThreshold)
		if len(hits) == 0 || hits[0].Entry.Ref != c.ref {
			t.Errorf("%q: %v, want %s first", c.query, brief(hits), c.ref)
			continue
		}
		if h := hits[0]; h.Score < DefaultThreshold || h.Score > 1 || !strings.Contains(h.Reason, c.ref) || len(h.Pairs) == 0 {
			t.Errorf("%q: hit %+v", c.query, h)
		}
	}
}

func TestScreenLeavesOthersAlone(t *testing.T) {
	x := fixtureIndex(t)
	for _, q := range []string{
		"Daniel",                // a first name alone
		"Daniel Smith",          // a shared first name
		"Eric Zhang",            //
		"王小明",                   // nobody listed
		"Dmitry Ivanov",         //
		"Iran Air",              // a shared word
		"Frank Sinatra",         //
		"International Charity", // two common words of a listed name
		"Moreno Garcia Lopez",   //
		"",
	} {
		if hits := x.Screen(q, DefaultThreshold); len(hits) != 0 {
			t.Errorf("%q: %v", q, brief(hits))
		}
	}
}

func TestReasonExplainsTheHit(t *testing.T) {
	x := fixtureIndex(t)
	h := x.Screen("Dmitri Horoshev", DefaultThreshold)
	if len(h) == 0 {
		t.Fatal("no hit")
	}
	for _, want := range []string{`"Dmitri Horoshev"`, "ofac-sdn 48603", "CYBER2", "dmitri≈dmitr", "horoshev≈khoroshev"} {
		if !strings.Contains(h[0].Reason, want) {
			t.Errorf("reason %q lacks %q", h[0].Reason, want)
		}
	}
}

func brief(hits []Hit) []string {
	var s []string
	for _, h := range hits {
		s = append(s, h.Reason)
	}
	return s
}
