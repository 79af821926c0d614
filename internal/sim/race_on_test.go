//go:build race

package sim

// raceOn: the race detector slows the single-threaded simulations and
// training tenfold; the heaviest tests skip under it.
const raceOn = true
