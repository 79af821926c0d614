package screening

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// syllables make up synthetic name parts that look like a real list's
// transliterated ones.
var syllables = strings.Fields("al ba da fa ga ha ja ka la ma na pa ra sa ta va za an ar el en er id in ir is " +
	"ov ev ko mi ro ri lo li mo sha kha zhu chen wang yu xin hua mu ham mad ab dul rah man yo sef kim park ng uyen tran " +
	"bo de go ku lu nu su tu vo ze ti ni si gi bi fo po to qi xu zo ye wu ai ou ei ua io tsa che pi")

// namePool is n distinct name parts.
func namePool(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	pool := make([]string, 0, n)
	for len(pool) < n {
		var b strings.Builder
		for range 2 + r.IntN(2) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		if t := b.String(); !seen[t] {
			seen[t] = true
			pool = append(pool, strings.ToUpper(t[:1])+t[1:])
		}
	}
	return pool
}

// population draws names the way a country's names fall: a few given
// names and surnames are very common (Zipf), most are rare.
type population struct {
	given, family []string
	zg, zf        *rand.Zipf
	r             *rand.Rand
}

func newPopulation(r *rand.Rand) *population {
	p := &population{given: namePool(r, 20_000), family: namePool(r, 200_000), r: r}
	p.zg = rand.NewZipf(r, 1.1, 2, uint64(len(p.given)-1))
	p.zf = rand.NewZipf(r, 1.05, 2, uint64(len(p.family)-1))
	return p
}

// name is a customer's name: common names are common.
func (p *population) name() string {
	parts := []string{p.given[p.zg.Uint64()]}
	if p.r.IntN(3) == 0 {
		parts = append(parts, p.given[p.zg.Uint64()]) // a middle name
	}
	return strings.Join(append(parts, p.family[p.zf.Uint64()]), " ")
}

// listed is a listed person's name: drawn from the same name parts, but
// not weighted towards the common ones.
func (p *population) listed() string {
	parts := []string{p.given[p.r.IntN(len(p.given))]}
	if p.r.IntN(3) == 0 {
		parts = append(parts, p.given[p.r.IntN(len(p.given))])
	}
	return strings.Join(append(parts, p.family[p.r.IntN(len(p.family))]), " ")
}

// synthList returns n listed entries with 0–3 aliases each (names of the
// same population as the customers'), and queries: customers' names, one
// in fifty a listed name misspelt and reordered.
func synthList(seed uint64, n, queries int) ([]Entry, []string) {
	r := rand.New(rand.NewPCG(seed, 1))
	pop := newPopulation(r)
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Source: SourceOFAC, Ref: strconv.Itoa(i), Kind: "individual", Names: []string{pop.listed()}}
		for range r.IntN(4) {
			es[i].Names = append(es[i].Names, pop.listed())
		}
	}
	qs := make([]string, queries)
	for i := range qs {
		if i%50 == 0 {
			toks := strings.Fields(es[r.IntN(n)].Names[0])
			r.Shuffle(len(toks), func(a, b int) { toks[a], toks[b] = toks[b], toks[a] })
			if t := toks[0]; len(t) > 4 {
				toks[0] = t[:2] + t[3:] // a letter dropped
			}
			qs[i] = strings.Join(toks, " ")
			continue
		}
		qs[i] = pop.name()
	}
	return es, qs
}

// BenchmarkScreen100kAgainst20k is the bar of the screening issue: 100,000
// names against a 20,000-entry list (with its aliases), on every core.
// One iteration screens all 100,000: ns/op is the whole run.
//
//	go test ./internal/screening -run '^$' -bench Screen100k -benchtime 1x
func BenchmarkScreen100kAgainst20k(b *testing.B) { benchScreen(b, 20_000, 100_000) }

// BenchmarkScreenSmall is the same at a tenth of the size, for profiles.
func BenchmarkScreenSmall(b *testing.B) { benchScreen(b, 2_000, 10_000) }

func benchScreen(b *testing.B, entries, names int) {
	es, qs := synthList(1, entries, names)
	start := time.Now()
	x := Build(es)
	build := time.Since(start)
	b.ResetTimer()
	var hits int
	for range b.N {
		x.memo.Clear() // every iteration from cold
		x.memoN.Store(0)
		for _, h := range x.ScreenAll(qs, DefaultThreshold, runtime.GOMAXPROCS(0)) {
			if len(h) > 0 {
				hits++
			}
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "names-hit")
	b.ReportMetric(float64(build.Milliseconds()), "build-ms")
}

// TestSyntheticVariantsFound: the planted misspelt, reordered listed
// names are found, and few random names hit.
func TestSyntheticVariantsFound(t *testing.T) {
	es, qs := synthList(2, 2_000, 5_000)
	x := Build(es)
	res := x.ScreenAll(qs, DefaultThreshold, 2)
	planted, found, others := 0, 0, 0
	for i, h := range res {
		if i%50 == 0 {
			planted++
			if len(h) > 0 {
				found++
			}
		} else if len(h) > 0 {
			others++
		}
	}
	if found < planted*95/100 {
		t.Errorf("found %d of %d planted variants", found, planted)
	}
	if others > len(qs)/20 {
		t.Errorf("%d customers' names hit", others)
	}
}
