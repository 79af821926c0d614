// Package sim simulates a wallet's traffic, PaySim-style: users living in
// cities with daily and weekly rhythms, salaries paid by employers,
// shopping at favourite merchants, transfers to family, friends, landlords
// and street vendors, top-ups, withdrawals, trips, phone changes and new
// users joining; and, labelled, the fraud typologies a wallet meets:
// account takeover after a new-device login, card testing, money-mule
// chains, scam payees, structuring under the reporting threshold and
// promotion abuse through many new accounts on one device.
//
// The legitimate traffic deliberately contains the look-alikes of each
// typology (new phones, travel abroad, large first payments to landlords,
// vendors fanning in many payers, employers fanning out salaries, family
// cards topping up several wallets, shared tablets, one-off large
// amounts), so that no single field separates fraud from the rest. The
// output is deterministic given the seed.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// The typologies.
const (
	ATO         = "ato"
	CardTesting = "card_testing"
	Mule        = "mule"
	Scam        = "scam"
	Structuring = "structuring"
	PromoAbuse  = "promo_abuse"
)

// Typologies lists them in a fixed order.
var Typologies = []string{ATO, CardTesting, Mule, Scam, Structuring, PromoAbuse}

// Config is one simulation.
type Config struct {
	Seed uint64
	// Users at the start; about 15% more join during the run.
	Users int
	Days  int
	// Mix weighs the typologies (missing ones weigh 0).
	Mix map[string]float64
	// Incidents is the number of fraud incidents per 1000 user-days.
	Incidents float64
	// FraudFrom is the first day with fraud: before it the profiles warm up.
	FraudFrom int
	Start     time.Time
}

// DefaultMix is the typology mix used for training in docs/risk-evaluation.md.
func DefaultMix() map[string]float64 {
	return map[string]float64{ATO: 3, CardTesting: 1, Mule: 1.5, Scam: 2, Structuring: 1, PromoAbuse: 1}
}

// DefaultConfig is a small month.
func DefaultConfig() Config {
	return Config{Seed: 1, Users: 2000, Days: 30, Mix: DefaultMix(), Incidents: 1.5, FraudFrom: 5,
		Start: time.Date(2026, 1, 5, 0, 0, 0, 0, cst)}
}

// ParseMix parses "ato=3,scam=2,...".
func ParseMix(s string) (map[string]float64, error) {
	m := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return m, fmt.Errorf("mix: empty")
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("mix: %q: want typology=weight", part)
		}
		if !slices.Contains(Typologies, k) {
			return nil, fmt.Errorf("mix: unknown typology %q (want %s)", k, strings.Join(Typologies, ", "))
		}
		w, err := strconv.ParseFloat(v, 64)
		if err != nil || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			return nil, fmt.Errorf("mix: %s weight %q: want a non-negative number", k, v)
		}
		m[k] = w
	}
	return m, nil
}

var cst = time.FixedZone("CST", 8*3600)

type city struct {
	name     string
	lat, lon float64
	country  string
}

// The first eight are home cities; the rest are only visited.
var cities = []city{
	{"Shanghai", 31.23, 121.47, "CN"}, {"Beijing", 39.90, 116.41, "CN"}, {"Shenzhen", 22.54, 114.06, "CN"},
	{"Guangzhou", 23.13, 113.26, "CN"}, {"Chengdu", 30.57, 104.07, "CN"}, {"Hangzhou", 30.27, 120.16, "CN"},
	{"Hong Kong", 22.32, 114.17, "HK"}, {"Singapore", 1.35, 103.82, "SG"},
	{"Bangkok", 13.76, 100.50, "TH"}, {"Tokyo", 35.68, 139.69, "JP"}, {"Kuala Lumpur", 3.14, 101.69, "MY"},
	{"Wuhan", 30.59, 114.31, "CN"}, {"Xi'an", 34.34, 108.94, "CN"}, {"Lagos", 6.52, 3.38, "NG"},
	{"Phnom Penh", 11.56, 104.93, "KH"}, {"Manila", 14.60, 120.98, "PH"},
}

const homeCities = 8

var currencyOf = map[string]string{"CN": "CNY", "HK": "HKD", "SG": "SGD"}

// rateOf converts CNY into a home currency's units (rough, for amounts).
var rateOf = map[string]float64{"CNY": 1, "HKD": 1 / 0.92, "SGD": 1 / 5.4}

type mcc struct {
	code   string
	weight float64
	median float64 // CNY
	online float64 // share paid online (payment) rather than at a till (paycode)
}

var mccs = []mcc{
	{"5411", 20, 60, 0.1}, {"5812", 22, 80, 0}, {"5814", 15, 30, 0.2}, {"5311", 5, 250, 0.3},
	{"5541", 5, 300, 0}, {"4121", 6, 35, 0.8}, {"5999", 8, 120, 0.6}, {"5912", 3, 70, 0.2},
	{"5732", 3, 1500, 0.6}, {"5944", 1, 3000, 0.2}, {"7011", 3, 600, 0.7}, {"4511", 1, 1800, 1},
	{"5816", 2, 50, 1}, {"6051", 1, 500, 0.5}, {"7995", 1, 100, 0.9}, {"6540", 1, 300, 1},
}

type merchant struct {
	id   string
	city int
	mcc  int
}

type user struct {
	id        string
	city      int
	joined    int // day
	device    string
	tablet    string // a shared family device, or ""
	cards     []string
	bank      string
	spend     float64 // multiplier of merchant medians
	activity  float64 // purchases per day
	favs      []int   // merchants
	family    []int
	friends   []int
	landlord  int // -1 without
	rent      float64
	vendor    bool
	vpn       bool
	gps       bool
	trip      int // city index while travelling, -1 at home
	tripUntil int
	newDevice time.Time // when the user last logged in on a device new to them
	newDevID  string    // that device
	kind      int       // 0 person, 1 employer
	staff     []int
	payEvery  int // days between pay runs
	payFirst  int // the first pay run's day
}

type row struct {
	t     features.Txn
	label features.Label
}

type gen struct {
	cfg       Config
	r         *rand.Rand
	users     []*user
	merchants []*merchant
	byCity    [][]int // merchants per city
	vendors   []int
	rows      []row
	ids       map[string]bool
	mules     []int    // fraud-controlled accounts, reused across incidents
	persons   []int    // ordinary users
	kiosks    []string // shop and branch tablets on which staff register new users
}

// Result is a simulation's output in time order.
type Result struct {
	Txns   []features.Txn
	Labels []features.Label // one per transaction
}

// Run simulates.
func Run(cfg Config) (Result, error) {
	if cfg.Users < 20 || cfg.Days < 1 {
		return Result{}, fmt.Errorf("sim: need at least 20 users and 1 day, got %d and %d", cfg.Users, cfg.Days)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultConfig().Start
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5eed)), ids: map[string]bool{}}
	g.world()
	for d := range cfg.Days {
		g.day(d)
	}
	g.fraud()
	sort.SliceStable(g.rows, func(i, j int) bool { return g.rows[i].t.TS.Before(g.rows[j].t.TS) })
	res := Result{Txns: make([]features.Txn, len(g.rows)), Labels: make([]features.Label, len(g.rows))}
	for i, r := range g.rows {
		r.t.ID = fmt.Sprintf("t%08d", i+1)
		res.Txns[i], res.Labels[i] = r.t, r.label
	}
	return res, nil
}

// id returns a fresh random identifier with a prefix.
func (g *gen) id(prefix string, digits int) string {
	for {
		var b strings.Builder
		b.WriteString(prefix)
		for range digits {
			b.WriteByte("0123456789abcdef"[g.r.IntN(16)])
		}
		if s := b.String(); !g.ids[s] {
			g.ids[s] = true
			return s
		}
	}
}

func (g *gen) uid() string    { return g.id("u", 10) }
func (g *gen) device() string { return g.id("d", 16) }
func (g *gen) card() string   { return g.id("c", 12) }
func (g *gen) bank() string   { return g.id("b", 12) }

func (g *gen) logn(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.r.NormFloat64())
}

func (g *gen) pick(w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	x := g.r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

func (g *gen) poisson(mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= g.r.Float64()
		if p < l {
			return k
		}
		k++
	}
}

func (g *gen) homeCity() int {
	return g.pick([]float64{20, 16, 14, 12, 8, 8, 6, 4})
}

func (g *gen) newUser(joined int) int {
	u := &user{id: g.uid(), city: g.homeCity(), joined: joined, device: g.device(), bank: g.bank(),
		spend: g.logn(1, 0.4), activity: g.logn(1.6, 0.5), landlord: -1, trip: -1,
		vpn: g.r.Float64() < 0.03, gps: g.r.Float64() > 0.15}
	u.cards = []string{g.card()}
	if g.r.Float64() < 0.3 {
		u.cards = append(u.cards, g.card())
	}
	g.users = append(g.users, u)
	i := len(g.users) - 1
	g.persons = append(g.persons, i)
	return i
}

// world makes the users, merchants, employers and their relations.
func (g *gen) world() {
	g.byCity = make([][]int, len(cities))
	nm := max(60, g.cfg.Users/5)
	mw := make([]float64, len(mccs))
	for i, m := range mccs {
		mw[i] = m.weight
	}
	for range nm {
		c := g.homeCity()
		if g.r.Float64() < 0.15 {
			c = homeCities + g.r.IntN(len(cities)-homeCities)
		}
		m := &merchant{id: g.id("m", 8), city: c, mcc: g.pick(mw)}
		g.merchants = append(g.merchants, m)
		g.byCity[c] = append(g.byCity[c], len(g.merchants)-1)
	}
	for c := range cities { // every city has somewhere to eat and sleep
		for _, k := range []int{1, 10} {
			g.merchants = append(g.merchants, &merchant{id: g.id("m", 8), city: c, mcc: k})
			g.byCity[c] = append(g.byCity[c], len(g.merchants)-1)
		}
	}
	for range g.cfg.Users {
		g.newUser(-365) // registered before the run
	}
	joining := g.cfg.Users * 15 / 100
	for range joining {
		g.newUser(1 + g.r.IntN(g.cfg.Days))
	}
	n := len(g.persons)
	for _, i := range g.persons {
		u := g.users[i]
		for range 8 + g.r.IntN(18) {
			c := u.city
			if g.r.Float64() < 0.2 { // online shops anywhere
				c = g.r.IntN(homeCities)
			}
			if len(g.byCity[c]) > 0 {
				u.favs = append(u.favs, g.byCity[c][g.r.IntN(len(g.byCity[c]))])
			}
		}
		for range 1 + g.r.IntN(3) {
			u.family = append(u.family, g.persons[g.r.IntN(n)])
		}
		for range 3 + g.r.IntN(8) {
			u.friends = append(u.friends, g.persons[g.r.IntN(n)])
		}
		if g.r.Float64() < 0.4 {
			u.landlord = g.persons[g.r.IntN(n)]
			u.rent = g.logn(4000, 0.4)
		}
		if g.r.Float64() < 0.02 {
			u.vendor = true
			g.vendors = append(g.vendors, i)
		}
	}
	// Families sharing a tablet, and a parent's card topping up a child's wallet.
	for k := 0; k < n/20; k++ {
		a, b := g.users[g.persons[g.r.IntN(n)]], g.users[g.persons[g.r.IntN(n)]]
		if a != b && a.tablet == "" && b.tablet == "" {
			a.tablet = g.device()
			b.tablet = a.tablet
			b.cards = append(b.cards, a.cards[0])
		}
	}
	// Phone shops and bank branches register new users on their own tablets.
	for range max(2, g.cfg.Users/400) {
		g.kiosks = append(g.kiosks, g.device())
	}
	// Employers pay salaries to most people.
	ne := max(5, g.cfg.Users/100)
	for range ne {
		e := &user{id: g.uid(), city: g.homeCity(), device: g.device(), bank: g.bank(), kind: 1, trip: -1, gps: true,
			payEvery: []int{7, 14}[g.r.IntN(2)], payFirst: g.r.IntN(7), landlord: -1}
		e.cards = []string{g.card()}
		g.users = append(g.users, e)
	}
	for _, i := range g.persons {
		if g.r.Float64() < 0.7 {
			e := g.users[len(g.users)-1-g.r.IntN(ne)]
			e.staff = append(e.staff, i)
		}
	}
}

// at is a time on day d at a local hour (fractional).
func (g *gen) at(d int, hour float64) time.Time {
	return g.cfg.Start.AddDate(0, 0, d).Add(time.Duration(hour * float64(time.Hour)))
}

// hourOfDay draws a time of activity: commute, lunch, dinner, evening, and
// a few at night.
func (g *gen) hourOfDay() float64 {
	switch g.pick([]float64{15, 25, 25, 27, 5, 3}) {
	case 0:
		return 7.5 + g.r.NormFloat64()*0.8
	case 1:
		return 12.3 + g.r.NormFloat64()*0.8
	case 2:
		return 18.8 + g.r.NormFloat64()*1
	case 3:
		return 21 + g.r.NormFloat64()*1.2
	case 4:
		return 9 + g.r.Float64()*8
	default:
		return g.r.Float64() * 6
	}
}

func clampHour(h float64) float64 { return math.Min(math.Max(h, 0), 23.99) }

// money rounds a CNY amount into a currency's minor units; transfers
// between people are often round.
func (g *gen) money(cny float64, cur string, round bool) int64 {
	v := cny * rateOf[cur]
	switch {
	case round && v >= 500 && g.r.Float64() < 0.6:
		v = math.Round(v/100) * 100
	case round && g.r.Float64() < 0.6:
		v = math.Round(v/10) * 10
	case round:
		v = math.Round(v)
	}
	return max(1, int64(math.Round(v*100)))
}

// where is a user's position and network country now.
func (g *gen) where(u *user, place int) (lat, lon float64, has bool, country string) {
	c := cities[place]
	country = c.country
	if u.vpn && g.r.Float64() < 0.3 {
		country = []string{"US", "SG", "JP", "NL"}[g.r.IntN(4)]
	}
	if !u.gps || g.r.Float64() < 0.04 {
		return 0, 0, false, country
	}
	return c.lat + g.r.NormFloat64()*0.05, c.lon + g.r.NormFloat64()*0.05, true, country
}

// add appends a transaction by u at ts.
func (g *gen) add(u *user, ts time.Time, typ, cp string, amount int64, mccCode string, place int, device string, label string) {
	cur := currencyOf[cities[u.city].country]
	lat, lon, has, country := g.where(u, place)
	t := features.Txn{TS: ts.Truncate(time.Second), Type: typ, UserID: u.id, Counterparty: cp, Amount: amount, Currency: cur,
		DeviceID: device, IPCountry: country, Lat: lat, Lon: lon, HasLoc: has, MCC: mccCode}
	if device == u.newDevID && ts.Sub(u.newDevice) >= 0 && ts.Sub(u.newDevice) < time.Hour {
		t.NewDeviceLogin = true
	}
	g.rows = append(g.rows, row{t: t, label: features.Label{Fraud: label != "", Typology: label}})
}

// day simulates one day of the legitimate traffic.
func (g *gen) day(d int) {
	weekday := g.cfg.Start.AddDate(0, 0, d).Weekday()
	weekend := weekday == time.Saturday || weekday == time.Sunday
	dom := g.cfg.Start.AddDate(0, 0, d).Day()
	for _, u := range g.users {
		if u.joined > d {
			continue
		}
		if u.kind == 1 {
			g.employer(u, d)
			continue
		}
		first := true
		if u.joined == d {
			g.join(u, d)
			first = false
		}
		// Trips, some abroad.
		if u.trip >= 0 && d > u.tripUntil {
			u.trip = -1
		}
		if u.trip < 0 && g.r.Float64() < 1.0/120 {
			dest := g.r.IntN(len(cities))
			if dest >= len(cities)-3 && g.r.Float64() < 0.7 { // the rarest places, rarely
				dest = g.r.IntN(len(cities) - 3)
			}
			if dest != u.city {
				u.trip, u.tripUntil = dest, d+1+g.r.IntN(5)
				air := g.merchantWith(11)
				g.add(u, g.at(d, clampHour(8+g.r.Float64()*3)), features.TypePayment, g.merchants[air].id,
					g.money(g.logn(1800, 0.5)*u.spend, g.cur(u), false), mccs[11].code, u.city, u.device, "")
			}
		}
		place := u.city
		if u.trip >= 0 {
			place = u.trip
		}
		// A new phone now and then.
		if first && g.r.Float64() < 1.0/200 {
			u.device = g.device()
			h := clampHour(g.hourOfDay())
			u.newDevice, u.newDevID = g.at(d, h-0.05), u.device
		}
		mean := u.activity
		if weekend {
			mean *= 1.3
		}
		for range g.poisson(mean) {
			g.purchase(u, d, place)
		}
		cur := g.cur(u)
		// Transfers to people.
		if g.r.Float64() < 0.2 {
			h := clampHour(g.hourOfDay())
			var to *user
			amt := g.logn(300, 0.9)
			switch x := g.r.Float64(); {
			case x < 0.55:
				to = g.users[u.family[g.r.IntN(len(u.family))]]
				amt *= 1.5
			case x < 0.9:
				to = g.users[u.friends[g.r.IntN(len(u.friends))]]
			default: // someone new: a second-hand seller, a new colleague
				to = g.users[g.persons[g.r.IntN(len(g.persons))]]
				if g.r.Float64() < 0.1 {
					amt = g.logn(6000, 0.6) // a deposit, a used scooter
				}
			}
			if to != u && to.joined <= d {
				g.add(u, g.at(d, h), features.TypeP2P, to.id, g.money(amt, cur, true), "", place, g.dev(u), "")
			}
		}
		if len(g.vendors) > 0 && g.r.Float64() < 0.12 { // a street vendor's QR
			v := g.users[g.vendors[g.r.IntN(len(g.vendors))]]
			if v != u && v.joined <= d {
				g.add(u, g.at(d, clampHour(g.hourOfDay())), features.TypeP2P, v.id, g.money(g.logn(60, 0.8), cur, true), "", place, g.dev(u), "")
			}
		}
		if u.landlord >= 0 && dom == 1+int(u.spend*3)%5 {
			g.add(u, g.at(d, clampHour(19+g.r.Float64()*3)), features.TypeP2P, g.users[u.landlord].id, g.money(u.rent, cur, true), "", place, g.dev(u), "")
		}
		if g.r.Float64() < 1.0/150 {
			g.groupBill(u, d, place)
		}
		if g.r.Float64() < 1.0/250 { // once, from a friend's phone or a web browser
			g.borrowed(u, d, place)
		}
		if g.r.Float64() < 1.0/100 { // a new card, verified with a small top-up
			c := g.card()
			u.cards = append(u.cards, c)
			ts := g.at(d, clampHour(g.hourOfDay()))
			g.add(u, ts, features.TypeTopup, c, g.money(0.5+g.r.Float64()*2, cur, false), "", place, g.dev(u), "")
			g.add(u, ts.Add(g.minutes(1, 20)), features.TypeTopup, c, g.money(g.logn(800, 0.6), cur, true), "", place, g.dev(u), "")
		}
		if u.vendor && g.r.Float64() < 0.5 {
			g.add(u, g.at(d, clampHour(21+g.r.Float64()*2)), features.TypeWithdrawal, u.bank, g.money(g.logn(1500, 0.7), cur, true), "", place, g.dev(u), "")
		}
		if g.r.Float64() < 0.12 {
			amt := g.logn(900, 0.7)
			if g.r.Float64() < 0.08 {
				amt = 2 + g.r.Float64()*40 // a small top-up
			}
			g.add(u, g.at(d, clampHour(g.hourOfDay())), features.TypeTopup, u.cards[g.r.IntN(len(u.cards))], g.money(amt, cur, amt > 50), "", place, g.dev(u), "")
		}
		if g.r.Float64() < 0.04 {
			amt := g.logn(2500, 0.9)
			if g.r.Float64() < 0.01 { // a car, school fees: one large withdrawal
				amt = 30000 + g.r.Float64()*25000
			}
			g.add(u, g.at(d, clampHour(g.hourOfDay())), features.TypeWithdrawal, u.bank, g.money(amt, cur, true), "", place, g.dev(u), "")
		}
	}
}

// join is a new user's first day: registered on their phone (or on a
// shop's tablet, then their phone), they top up, or a relative sends them
// money which they spend or pass on, or they pay a deposit.
func (g *gen) join(u *user, d int) {
	h := clampHour(g.hourOfDay())
	ts := g.at(d, h)
	cur := g.cur(u)
	dev := u.device
	if len(g.kiosks) > 0 && g.r.Float64() < 0.25 {
		dev = g.kiosks[g.r.IntN(len(g.kiosks))]
	}
	u.newDevice, u.newDevID = ts.Add(-g.minutes(1, 10)), dev
	switch x := g.r.Float64(); {
	case x < 0.5:
		g.add(u, ts, features.TypeTopup, u.cards[0], g.money(g.logn(300, 0.7), cur, true), "", u.city, dev, "")
	case x < 0.8: // a welcome transfer from family, passed on or spent
		f := g.users[u.family[0]]
		amt := g.logn(2000, 0.8)
		if f.joined < d {
			g.add(f, ts.Add(-g.minutes(5, 60)), features.TypeP2P, u.id, g.money(amt, g.cur(f), true), "", f.city, f.device, "")
		}
		if g.r.Float64() < 0.5 {
			to := g.users[u.family[g.r.IntN(len(u.family))]]
			if to != u {
				g.add(u, ts, features.TypeP2P, to.id, g.money(amt*(0.3+0.6*g.r.Float64()), cur, true), "", u.city, dev, "")
			}
		} else {
			g.purchase(u, d, u.city)
		}
	default: // a new tenant pays the deposit
		to := g.users[g.persons[g.r.IntN(len(g.persons))]]
		if to != u && to.joined < d {
			g.add(u, ts, features.TypeP2P, to.id, g.money(g.logn(5000, 0.5), cur, true), "", u.city, dev, "")
		}
	}
}

// borrowed: one payment from a device the user never used, right after
// logging in on it.
func (g *gen) borrowed(u *user, d, place int) {
	ts := g.at(d, clampHour(g.hourOfDay()))
	dev := g.device()
	u.newDevice, u.newDevID = ts.Add(-g.minutes(1, 15)), dev
	if g.r.Float64() < 0.6 {
		to := g.users[u.family[g.r.IntN(len(u.family))]]
		if to != u && to.joined < d {
			g.add(u, ts, features.TypeP2P, to.id, g.money(g.logn(500, 0.9), g.cur(u), true), "", place, dev, "")
		}
		return
	}
	if len(u.favs) == 0 {
		return
	}
	k := u.favs[g.r.IntN(len(u.favs))]
	m := g.merchants[k]
	g.add(u, ts, features.TypePayment, m.id, g.money(g.logn(mccs[m.mcc].median, 0.6)*u.spend, g.cur(u), false), mccs[m.mcc].code, place, dev, "")
}

// groupBill: friends each send the organiser their share within the hour,
// and the organiser pays the restaurant or hotel.
func (g *gen) groupBill(u *user, d, place int) {
	ts := g.at(d, clampHour(18+g.r.Float64()*4))
	var total float64
	for _, k := range u.friends {
		f := g.users[k]
		if f == u || f.joined >= d {
			continue
		}
		share := g.logn(250, 0.5)
		total += share
		g.add(f, ts.Add(g.minutes(0, 60)), features.TypeP2P, u.id, g.money(share, g.cur(f), true), "", f.city, f.device, "")
	}
	if total == 0 {
		return
	}
	k := g.merchantWith([]int{1, 10, 3}[g.r.IntN(3)])
	m := g.merchants[k]
	g.add(u, ts.Add(g.minutes(60, 90)), features.TypePaycode, m.id, g.money(total*1.2, g.cur(u), false), mccs[m.mcc].code, place, g.dev(u), "")
}

func (g *gen) cur(u *user) string { return currencyOf[cities[u.city].country] }

// dev is the device a user pays from: their phone, sometimes the family tablet.
func (g *gen) dev(u *user) string {
	if u.tablet != "" && g.r.Float64() < 0.25 {
		return u.tablet
	}
	return u.device
}

func (g *gen) merchantWith(m int) int {
	for range 1000 {
		k := g.r.IntN(len(g.merchants))
		if g.merchants[k].mcc == m {
			return k
		}
	}
	return 0
}

func (g *gen) purchase(u *user, d, place int) {
	var k int
	switch {
	case place != u.city: // travelling: somewhere local
		k = g.byCity[place][g.r.IntN(len(g.byCity[place]))]
	case g.r.Float64() < 0.07 || len(u.favs) == 0: // trying somewhere new
		k = g.r.IntN(len(g.merchants))
	default: // favourites, the first ones most
		k = u.favs[min(len(u.favs)-1, int(math.Abs(g.r.NormFloat64())*float64(len(u.favs))/2.5))]
	}
	m := g.merchants[k]
	mc := mccs[m.mcc]
	typ := features.TypePaycode
	if g.r.Float64() < mc.online {
		typ = features.TypePayment
	}
	amt := g.logn(mc.median, 0.6) * u.spend
	h := g.hourOfDay()
	if m.mcc == 1 || m.mcc == 2 {
		h = []float64{12.3, 18.8}[g.r.IntN(2)] + g.r.NormFloat64()*0.7
	}
	g.add(u, g.at(d, clampHour(h)), typ, m.id, g.money(amt, g.cur(u), false), mc.code, place, g.dev(u), "")
}

// employer: a pay run every week or two, funded by a top-up from the
// company's card just before.
func (g *gen) employer(e *user, d int) {
	if d < e.payFirst || (d-e.payFirst)%e.payEvery != 0 || len(e.staff) == 0 {
		return
	}
	start := g.at(d, 10+g.r.Float64())
	ts := start
	var total float64
	for _, i := range e.staff {
		u := g.users[i]
		if u.joined > d {
			continue
		}
		ts = ts.Add(time.Duration(5+g.r.IntN(40)) * time.Second)
		pay := u.spend * 9000 * float64(e.payEvery) / 30 * (0.9 + 0.2*g.r.Float64())
		total += pay
		g.add(e, ts, features.TypeP2P, u.id, g.money(pay, g.cur(e), false), "", e.city, e.device, "")
	}
	g.add(e, start.Add(-g.minutes(30, 90)), features.TypeTopup, e.cards[0], g.money(total, g.cur(e), true), "", e.city, e.device, "")
}
