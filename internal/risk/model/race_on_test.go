//go:build race

package model_test

// raceOn: the race detector slows the single-threaded simulations and
// training tenfold; the heaviest tests skip under it.
const raceOn = true
