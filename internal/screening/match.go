package screening

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Thresholds of the matcher.
const (
	// DefaultThreshold is the score from which a name is a hit. At 0.88 a
	// listed name matches through spelling variants, a missing middle
	// name and any order; a shared common first name alone does not.
	DefaultThreshold = 0.88
	// tokenFloor: tokens less similar than this count as not matched.
	tokenFloor = 0.80
	// candidateFloor: a listed name becomes a candidate when one of its
	// tokens (not a particle) is at least this similar to one of the
	// query's.
	candidateFloor = 0.85
)

// Hit is a listed name a screened name matches, and why.
type Hit struct {
	Entry  Entry
	Name   string  // the listed name that matched (primary or alias)
	Score  float64 // 0..1
	Pairs  []Pair  // the tokens matched, query token first
	Reason string  // one line a reviewer reads
}

// Pair is a matched pair of tokens and their Jaro-Winkler similarity.
type Pair struct {
	Query, Listed string
	Similarity    float64
}

// Index is a screening list ready to match names against. It is
// immutable once built and safe for concurrent use.
type Index struct {
	entries []Entry
	names   []indexedName
	vocab   []string           // every distinct token (and joined name) of the list
	ids     map[string]int32   // token → vocab index
	post    [][]int32          // vocab index → names holding it (particles: none)
	dels    map[uint64][]int32 // hash of a token with up to maxEdits letters deleted → vocab
	memo    sync.Map           // query token → []tokenMatch
	memoN   atomic.Int64       // entries in memo (bounded by maxMemo)
}

// maxMemo bounds the query tokens remembered (a server screens every new
// payee's name for as long as the lists stay the same).
const maxMemo = 1 << 20

type indexedName struct {
	entry  int32
	name   int32 // which of the entry's names
	strong int32 // tokens that are not particles or initials
	tokens []string
	joined string
}

type tokenMatch struct {
	vocab int32
	sim   float64
}

// Build indexes entries.
func Build(entries []Entry) *Index {
	x := &Index{entries: entries, ids: map[string]int32{}, dels: map[uint64][]int32{}}
	add := func(tok string, name int32) {
		id, ok := x.ids[tok]
		if !ok {
			id = int32(len(x.vocab))
			x.ids[tok] = id
			x.vocab = append(x.vocab, tok)
			x.post = append(x.post, nil)
			if !particles[tok] && len(tok) > 1 {
				deletions(tok, func(h uint64) {
					if p := x.dels[h]; len(p) == 0 || p[len(p)-1] != id {
						x.dels[h] = append(p, id)
					}
				})
			}
		}
		if particles[tok] || len(tok) < 2 {
			return
		}
		if p := x.post[id]; len(p) == 0 || p[len(p)-1] != name {
			x.post[id] = append(p, name)
		}
	}
	for i, e := range entries {
		for k, n := range e.Names {
			toks := Tokens(n)
			if len(toks) == 0 {
				continue
			}
			ni := int32(len(x.names))
			in := indexedName{entry: int32(i), name: int32(k), tokens: toks}
			for _, t := range toks {
				add(t, ni)
				if weight(t) == 1 {
					in.strong++
				}
			}
			if len(toks) > 1 {
				in.joined = strings.Join(toks, "")
				add(in.joined, ni)
			}
			x.names = append(x.names, in)
		}
	}
	return x
}

// Len returns the number of entries and of names indexed.
func (x *Index) Len() (entries, names int) { return len(x.entries), len(x.names) }

// Candidate tokens are found the way SymSpell finds words: every token
// of the list is indexed under itself with up to maxEdits letters deleted
// (a hash of each), and a query token's own deletions are looked up, so
// that every listed token within maxEdits insertions, deletions or
// substitutions of it is found with a few dozen map look-ups; Jaro-Winkler
// then decides. Spelling variants of transliterated names are within two
// edits (Usama/Osama, Artem/Artyom, Qadhafi/Gaddafi, Khoroshev/Horoshev);
// a token further away is not matched even if Jaro-Winkler would call it
// similar. Short tokens (up to 4 letters) get one edit, long ones (the
// joined forms of whole names) one.
func maxEdits(n int) int {
	if n <= 4 || n > 12 {
		return 1
	}
	return 2
}

// deletions calls fn with the hash of t and of every string made of t by
// deleting up to maxEdits(len(t)) bytes (repeats included: a hash set
// would cost more than the duplicates).
func deletions(t string, fn func(uint64)) {
	var buf [64]byte
	t = t[:min(len(t), 64)]
	fn(hashBytes([]byte(t)))
	edits := maxEdits(len(t))
	for i := 0; i < len(t); i++ {
		b := append(append(buf[:0], t[:i]...), t[i+1:]...)
		fn(hashBytes(b))
		if edits < 2 {
			continue
		}
		for j := i; j < len(b); j++ {
			var buf2 [64]byte
			c := append(append(buf2[:0], b[:j]...), b[j+1:]...)
			fn(hashBytes(c))
		}
	}
}

// hashBytes is FNV-1a, 64 bits: a collision only adds a candidate that
// Jaro-Winkler then turns down.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// similar returns the list's tokens at least tokenFloor similar to q,
// memoised (a screened population repeats its names).
func (x *Index) similar(q string) []tokenMatch {
	if v, ok := x.memo.Load(q); ok {
		return v.([]tokenMatch)
	}
	var out []tokenMatch
	var seen []int32 // a few dozen at most: a slice beats a map
	deletions(q, func(h uint64) {
		for _, id := range x.dels[h] {
			if slices.Contains(seen, id) {
				continue
			}
			seen = append(seen, id)
			if sim := jaroWinkler(q, x.vocab[id]); sim >= tokenFloor {
				out = append(out, tokenMatch{id, sim})
			}
		}
	})
	if len(q) < 64 && x.memoN.Load() < maxMemo {
		if _, loaded := x.memo.LoadOrStore(q, out); !loaded {
			x.memoN.Add(1)
		}
	}
	return out
}

// Screen returns the entries name matches at or above threshold, best
// first, one hit per entry (its best-matching name).
func (x *Index) Screen(name string, threshold float64) []Hit {
	qt := Tokens(name)
	if len(qt) == 0 || len(x.names) == 0 {
		return nil
	}
	probe := qt
	if len(qt) > 1 {
		probe = append(slices.Clip(qt), strings.Join(qt, ""))
	}
	// A listed name is scored when enough of the query's tokens reach it:
	// with one strong token matched, a score at the threshold needs both
	// names to be about that token (Dice), so names with two or more
	// strong tokens need two of the query's (or its joined form).
	type source struct {
		lists  [][]int32 // the names holding a token similar to the query's
		size   int
		joined bool
	}
	var srcs []source
	strongQ := int32(0)
	for k, q := range probe {
		if particles[q] || len(q) < 2 {
			continue
		}
		src := source{joined: k == len(qt)}
		if !src.joined && weight(q) == 1 {
			strongQ++
		}
		for _, m := range x.similar(q) {
			if m.sim >= candidateFloor {
				src.lists = append(src.lists, x.post[m.vocab])
				src.size += len(x.post[m.vocab])
			}
		}
		srcs = append(srcs, src)
	}
	// The largest source (a common given name) is walked last, and only
	// counts for names another source reached, or that have one strong
	// token: the others cannot reach two with it alone.
	largest := -1
	if strongQ >= 2 {
		for i, src := range srcs {
			if !src.joined && (largest < 0 || src.size > srcs[largest].size) {
				largest = i
			}
		}
	}
	reach := map[int32]int32{}
	for i, src := range srcs {
		if i == largest {
			continue
		}
		inc := int32(1)
		if src.joined {
			inc = 1 << 16 // enough on its own
		}
		for _, l := range src.lists {
			for _, n := range l {
				reach[n] += inc
			}
		}
	}
	if largest >= 0 {
		for _, l := range srcs[largest].lists {
			for _, n := range l {
				if r, ok := reach[n]; ok {
					reach[n] = r + 1
				} else if x.names[n].strong <= 1 {
					reach[n] = 1
				}
			}
		}
	}
	best := map[int32]Hit{}
	for n, r := range reach {
		in := x.names[n]
		if r < min(2, strongQ, in.strong) {
			continue
		}
		score, pairs := scoreName(qt, in, x.entries[in.entry].Kind == "individual")
		if score < threshold {
			continue
		}
		if h, ok := best[in.entry]; ok && h.Score >= score {
			continue
		}
		e := x.entries[in.entry]
		best[in.entry] = Hit{Entry: e, Name: e.Names[in.name], Score: score, Pairs: pairs}
	}
	hits := make([]Hit, 0, len(best))
	for _, h := range best {
		h.Reason = reason(name, h)
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Entry.Source+a.Entry.Ref, b.Entry.Source+b.Entry.Ref)
	})
	return hits
}

// scoreName scores the query's tokens against a listed name: tokens are
// paired greedily, most similar first, each used once; s_q is how much of
// the query is matched, s_n how much of the listed name, each weighted
// (particles and initials count less). A query with two or more matched
// tokens scores s_q·(0.7 + 0.3·s_n) — a person's listed middle name or
// patronymic the query lacks counts half in s_n; two common words of a
// long company name are not enough; a query matching on one token scores like Dice's
// coefficient, so that a shared common name alone is no hit. The joined
// forms (Al-Qaida / Alqaida) are tried too.
func scoreName(qt []string, in indexedName, person bool) (float64, []Pair) {
	nt := in.tokens
	type cell struct {
		i, j int
		sim  float64
	}
	cells := make([]cell, 0, len(qt)*len(nt))
	for i, q := range qt {
		for j, t := range nt {
			var sim float64
			if q == t {
				sim = 1
			} else {
				sim = jaroWinkler(q, t)
			}
			if sim >= tokenFloor {
				cells = append(cells, cell{i, j, sim})
			}
		}
	}
	slices.SortFunc(cells, func(a, b cell) int { return cmp.Compare(b.sim, a.sim) })
	usedQ, usedN := make([]bool, len(qt)), make([]bool, len(nt))
	var pairs []Pair
	var mq, strong float64
	for _, c := range cells {
		if usedQ[c.i] || usedN[c.j] {
			continue
		}
		usedQ[c.i], usedN[c.j] = true, true
		pairs = append(pairs, Pair{qt[c.i], nt[c.j], c.sim})
		w := min(weight(qt[c.i]), weight(nt[c.j]))
		mq += w * c.sim
		if w == 1 {
			strong++
		}
	}
	wq, wn := 0.0, 0.0
	for _, q := range qt {
		wq += weight(q)
	}
	for j, t := range nt {
		w := weight(t)
		if person && !usedN[j] && strong >= 2 {
			w /= 2 // a middle name or patronymic left out
		}
		wn += w
	}
	sq, sn := mq/wq, mq/wn
	var score float64
	if strong >= 2 {
		score = sq * (0.7 + 0.3*sn)
	} else {
		score = 2 * mq / (wq + wn)
	}
	if in.joined != "" || len(qt) > 1 {
		jq, jn := strings.Join(qt, ""), in.joined
		if jn == "" {
			jn = nt[0]
		}
		if len(jq) >= 6 && len(jn) >= 6 {
			if s := jaroWinkler(jq, jn); s*0.97 > score && s >= 0.95 {
				score, pairs = s*0.97, []Pair{{jq, jn, s}}
			}
		}
	}
	return min(score, 1), pairs
}

// reason is a hit's one-line explanation.
func reason(query string, h Hit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q matches %q (%s %s", query, h.Name, h.Entry.Source, h.Entry.Ref)
	if h.Entry.Programs != "" {
		fmt.Fprintf(&b, ", %s", h.Entry.Programs)
	}
	fmt.Fprintf(&b, ") with score %.2f:", h.Score)
	for _, p := range h.Pairs {
		if p.Query == p.Listed {
			fmt.Fprintf(&b, " %s=%s", p.Query, p.Listed)
		} else {
			fmt.Fprintf(&b, " %s≈%s %.2f", p.Query, p.Listed, p.Similarity)
		}
	}
	return b.String()
}

// ScreenAll screens names on workers goroutines and returns each name's
// hits, in the order of names.
func (x *Index) ScreenAll(names []string, threshold float64, workers int) [][]Hit {
	out := make([][]Hit, len(names))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = x.Screen(names[i], threshold)
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
