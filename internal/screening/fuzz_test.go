package screening

import (
	"bytes"
	"os"
	"testing"
)

func FuzzParseSDN(f *testing.F) {
	sdn, _ := os.ReadFile("testdata/sdn.csv")
	alt, _ := os.ReadFile("testdata/alt.csv")
	f.Add(sdn, alt)
	f.Add([]byte("1,\"A\",-0-\n"), []byte(""))
	f.Fuzz(func(t *testing.T, sdn, alt []byte) {
		es, err := ParseSDN(bytes.NewReader(sdn), bytes.NewReader(alt))
		if err != nil {
			return
		}
		for _, e := range es {
			if e.Ref == "" || len(e.Names) == 0 || e.Names[0] == "" {
				t.Fatalf("an entry without its id or name: %+v", e)
			}
		}
		x := Build(es)
		for _, e := range es {
			for _, h := range x.Screen(e.Names[0], DefaultThreshold) {
				if h.Score < DefaultThreshold || h.Score > 1 {
					t.Fatalf("score %v", h.Score)
				}
			}
		}
	})
}

func FuzzParseUN(f *testing.F) {
	un, _ := os.ReadFile("testdata/un.xml")
	f.Add(un)
	f.Add([]byte("<CONSOLIDATED_LIST><ENTITIES><ENTITY><FIRST_NAME>X</FIRST_NAME><REFERENCE_NUMBER>1</REFERENCE_NUMBER></ENTITY></ENTITIES></CONSOLIDATED_LIST>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseUN(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, e := range es {
			if e.Ref == "" || len(e.Names) == 0 {
				t.Fatalf("an entry without its id or name: %+v", e)
			}
		}
	})
}

func FuzzScreen(f *testing.F) {
	x := fixtureIndex(f)
	for _, s := range []string{"Dmitry Khoroshev", "Дмитрий", "王小明", "al-qa'ida", "", "a b c d e f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		prev := 2.0
		for _, h := range x.Screen(q, 0.5) {
			if h.Score < 0.5 || h.Score > 1 || h.Score > prev || h.Reason == "" {
				t.Fatalf("%q: hit %+v after %v", q, h, prev)
			}
			prev = h.Score
		}
	})
}
