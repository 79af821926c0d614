package screening

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-unidecode"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Names are compared as tokens of lower-case ASCII letters and digits:
// diacritics dropped (Müller → muller), other scripts transliterated
// (Ахмед → akhmed, 王小明 → wang xiao ming), punctuation a separator
// (AL-QA'IDA → al qa ida), and the order of the tokens free. Jaro-Winkler
// on the tokens then forgives spelling variants (Usama/Osama,
// Qadhafi/Gaddafi).

// stripMarks drops diacritics; a chain keeps state, so each call has its
// own.
func stripMarks() transform.Transformer {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// Tokens returns the normalised tokens of a name.
func Tokens(name string) []string {
	s, _, err := transform.String(stripMarks(), name)
	if err != nil {
		s = name
	}
	s = strings.ToLower(unidecode.Unidecode(s))
	// An apostrophe (Qa'ida; a soft sign transliterated, Iur'evich) is
	// inside a token; a hyphen separates (Al-Qaida), and the joined form
	// of the whole name is tried as well (Alqaida; see match.go).
	s = apostrophes.Replace(s)
	return strings.FieldsFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
}

var apostrophes = strings.NewReplacer("'", "", "`", "")

// particles are name parts too common to identify anyone on their own:
// they count for less in a score and never make a name a candidate.
var particles = map[string]bool{
	"al": true, "el": true, "bin": true, "ibn": true, "bint": true, "abu": true, "abd": true, "ben": true,
	"de": true, "da": true, "del": true, "der": true, "van": true, "von": true, "la": true, "le": true, "di": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "haji": true, "sheikh": true,
	"co": true, "ltd": true, "llc": true, "inc": true, "company": true, "limited": true, "the": true, "and": true, "of": true,
}

// weight is how much a token counts in a name's score.
func weight(t string) float64 {
	switch {
	case particles[t]:
		return 0.4
	case len(t) == 1:
		return 0.3 // an initial
	}
	return 1
}
