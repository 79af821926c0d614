package screening

// jaroWinkler is the Jaro-Winkler similarity of two tokens (Winkler 1990:
// matching window ⌊max(|a|,|b|)/2⌋−1, common prefix up to 4, scaling
// 0.1), on bytes: tokens are ASCII after Tokens. It allocates nothing;
// screening calls it millions of times. Tokens longer than 64 bytes are
// compared on their first 64.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	a, b = a[:min(len(a), 64)], b[:min(len(b), 64)]
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	var matchedA, matchedB uint64
	m := 0
	for i := 0; i < len(a); i++ {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if matchedB&(1<<j) == 0 && a[i] == b[j] {
				matchedA |= 1 << i
				matchedB |= 1 << j
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	// Half the matched characters that are out of order.
	t, j := 0, 0
	for i := 0; i < len(a); i++ {
		if matchedA&(1<<i) == 0 {
			continue
		}
		for matchedB&(1<<j) == 0 {
			j++
		}
		if a[i] != b[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(t)/2)/fm) / 3
	prefix := 0
	for prefix < min(4, len(a), len(b)) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + 0.1*float64(prefix)*(1-jaro)
}
