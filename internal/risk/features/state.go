package features

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// Ev is one event in a velocity window: when (Unix seconds), how much (in
// reference units, see Config) and, for windows that count distinct
// parties, who.
type Ev struct {
	T int64   `json:"t"`
	A float64 `json:"a"`
	K string  `json:"k,omitempty"`
}

// Window keeps the events of the last 24 hours, oldest first, at most
// maxWindow of them (the newest).
type Window struct {
	E []Ev `json:"e,omitempty"`
}

const (
	day       = 24 * 3600
	maxWindow = 256
)

func (w *Window) add(e Ev) {
	i := 0
	for i < len(w.E) && e.T-w.E[i].T > day {
		i++
	}
	if len(w.E)-i >= maxWindow {
		i = len(w.E) - maxWindow + 1
	}
	if i > 0 {
		w.E = append(w.E[:0], w.E[i:]...)
	}
	w.E = append(w.E, e)
}

// span is what a window holds within some seconds before now.
type span struct {
	n, amt float64
}

// spans returns the counts and amounts within 1 minute, 1 hour and 24
// hours before now.
func (w *Window) spans(now int64) (m, h, d span) {
	for i := len(w.E) - 1; i >= 0; i-- {
		e := w.E[i]
		age := now - e.T
		if age > day {
			break
		}
		d.n++
		d.amt += e.A
		if age <= 3600 {
			h.n++
			h.amt += e.A
			if age <= 60 {
				m.n++
				m.amt += e.A
			}
		}
	}
	return
}

// distinct counts the distinct keys within secs before now; seen is
// scratch space.
func (w *Window) distinct(now, secs int64, seen map[string]struct{}) float64 {
	clear(seen)
	for i := len(w.E) - 1; i >= 0; i-- {
		e := w.E[i]
		if now-e.T > secs {
			break
		}
		seen[e.K] = struct{}{}
	}
	return float64(len(seen))
}

// Profile is what the pipeline knows of one user's own behaviour: streaming
// statistics of their money-outs and the recent windows.
type Profile struct {
	First int64 `json:"first"` // first transaction seen
	Last  int64 `json:"last"`  // last money-out seen (0 before the first)
	// N counts the money-outs; MeanLog and M2Log are Welford's running mean
	// and sum of squares of their log amounts; Max is the largest.
	N       float64 `json:"n"`
	MeanLog float64 `json:"mean_log"`
	M2Log   float64 `json:"m2_log"`
	Max     float64 `json:"max"`
	// Hours counts the money-outs per local hour of day.
	Hours [24]float32 `json:"hours"`
	// Payees, MCCs, Devices and Countries count what the user used, up to
	// maxDistinct of each.
	Payees    map[string]int32 `json:"payees,omitempty"`
	MCCs      map[string]int32 `json:"mccs,omitempty"`
	Devices   map[string]int64 `json:"devices,omitempty"` // device → first used
	Countries map[string]int32 `json:"countries,omitempty"`
	// The last location and when; Home is a running mean of locations.
	LastLat   float64          `json:"last_lat,omitempty"`
	LastLon   float64          `json:"last_lon,omitempty"`
	LastLoc   int64            `json:"last_loc,omitempty"`
	HomeLat   float64          `json:"home_lat,omitempty"`
	HomeLon   float64          `json:"home_lon,omitempty"`
	HomeN     float64          `json:"home_n,omitempty"`
	CardsSeen map[string]int32 `json:"cards_seen,omitempty"` // cards topped up from
	Out       Window           `json:"out"`                  // money-outs (K = counterparty)
	Cards     Window           `json:"cards"`                // top-ups (K = card)
	Near      []int64          `json:"near,omitempty"`       // near-threshold money-outs, last 7 days
}

// init makes the maps a snapshot leaves out when empty.
func (p *Profile) init() {
	if p.Payees == nil {
		p.Payees = map[string]int32{}
	}
	if p.MCCs == nil {
		p.MCCs = map[string]int32{}
	}
	if p.Devices == nil {
		p.Devices = map[string]int64{}
	}
	if p.Countries == nil {
		p.Countries = map[string]int32{}
	}
	if p.CardsSeen == nil {
		p.CardsSeen = map[string]int32{}
	}
}

// Party is what the pipeline knows of a counterparty (a payee user,
// merchant, bank account or card) from the money sent to it.
type Party struct {
	First  int64  `json:"first"`
	In     Window `json:"in"`      // money in (K = payer)
	NewIn  Window `json:"new_in"`  // money in from payers paying it for the first time
	Payers int32  `json:"payers"`  // distinct payers ever (first-time payments)
	Users  int32  `json:"users"`   // for cards: distinct users who topped up from it
	LastIn int64  `json:"last_in"` // newest money in
}

// Device is what the pipeline knows of one device.
type Device struct {
	First int64            `json:"first"`
	Users map[string]int64 `json:"users,omitempty"` // user → first seen on it
	Win   Window           `json:"win"`             // transactions (K = user)
}

// maxDistinct bounds the distinct values kept per user and map.
const maxDistinct = 200

// State is the pipeline's whole memory. It is plain data: Save and Load
// snapshot it, so it survives restarts.
type State struct {
	Users   map[string]*Profile `json:"users"`
	Parties map[string]*Party   `json:"parties"`
	Devices map[string]*Device  `json:"devices"`
	Clock   int64               `json:"clock"` // newest transaction seen
}

// NewState returns an empty state.
func NewState() *State {
	return &State{Users: map[string]*Profile{}, Parties: map[string]*Party{}, Devices: map[string]*Device{}}
}

// Save writes the state as JSON.
func (s *State) Save(w io.Writer) error {
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("features: saving the state: %w", err)
	}
	return nil
}

// LoadState reads a state written by Save.
func LoadState(r io.Reader) (*State, error) {
	s := NewState()
	if err := json.NewDecoder(r).Decode(s); err != nil {
		return nil, fmt.Errorf("features: loading the state: %w", err)
	}
	if s.Users == nil || s.Parties == nil || s.Devices == nil {
		return nil, fmt.Errorf("features: loading the state: missing maps")
	}
	return s, nil
}

// Prune forgets users, parties and devices not seen for the given number
// of seconds before the newest transaction, bounding memory.
func (s *State) Prune(idle int64) {
	for k, p := range s.Users {
		if s.Clock-max(p.Last, p.First) > idle {
			delete(s.Users, k)
		}
	}
	for k, p := range s.Parties {
		if s.Clock-max(p.LastIn, p.First) > idle {
			delete(s.Parties, k)
		}
	}
	for k, d := range s.Devices {
		last := d.First
		if n := len(d.Win.E); n > 0 {
			last = d.Win.E[n-1].T
		}
		if s.Clock-last > idle {
			delete(s.Devices, k)
		}
	}
}

// bump adds one to a bounded counter map.
func bump[V int32 | int64](m map[string]V, k string, v V) {
	if _, ok := m[k]; !ok && len(m) >= maxDistinct {
		// forget the rarest half, in a fixed order
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if m[keys[i]] != m[keys[j]] {
				return m[keys[i]] < m[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys[:len(keys)/2] {
			delete(m, k)
		}
	}
	m[k] += v
}

// haversine is the great-circle distance in km.
func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(min(1, a)))
}
