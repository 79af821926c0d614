package sim

import (
	"math"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// fraud schedules the incidents over the days from FraudFrom on.
func (g *gen) fraud() {
	days := g.cfg.Days - g.cfg.FraudFrom
	if days <= 0 {
		return
	}
	w := make([]float64, len(Typologies))
	var sum float64
	for i, t := range Typologies {
		w[i] = g.cfg.Mix[t]
		sum += w[i]
	}
	if sum == 0 {
		return
	}
	n := int(math.Round(g.cfg.Incidents * float64(g.cfg.Users) * float64(days) / 1000))
	for range n {
		d := g.cfg.FraudFrom + g.r.IntN(days)
		switch Typologies[g.pick(w)] {
		case ATO:
			g.ato(d)
		case CardTesting:
			g.cardTesting(d)
		case Mule:
			g.mule(d)
		case Scam:
			g.scam(d)
		case Structuring:
			g.structuring(d)
		case PromoAbuse:
			g.promo(d)
		}
	}
}

// actor is who acts in an incident: the account and the device, place and
// network it acts from.
type actor struct {
	u        *user
	device   string
	place    int
	login    time.Time // a login from a new device, or zero
	noGPS    bool
	country  string
	sameAsOK bool // the account's own device and place (a recruited mule, a victim)
	isNew    bool // a new account: its first use follows a login on its device
}

// emit appends a labelled transaction by an actor.
func (g *gen) emit(a *actor, ts time.Time, typ, cp string, amount int64, mccCode, label string) {
	if a.sameAsOK {
		g.add(a.u, ts, typ, cp, amount, mccCode, a.place, a.device, label)
		return
	}
	c := cities[a.place]
	t := features.Txn{TS: ts.Truncate(time.Second), Type: typ, UserID: a.u.id, Counterparty: cp, Amount: amount,
		Currency: g.cur(a.u), DeviceID: a.device, IPCountry: a.country, MCC: mccCode}
	if t.IPCountry == "" {
		t.IPCountry = c.country
	}
	if !a.noGPS && g.r.Float64() > 0.04 {
		t.Lat, t.Lon, t.HasLoc = c.lat+g.r.NormFloat64()*0.05, c.lon+g.r.NormFloat64()*0.05, true
	}
	if !a.login.IsZero() && ts.Sub(a.login) >= 0 && ts.Sub(a.login) < time.Hour {
		t.NewDeviceLogin = true
	}
	g.rows = append(g.rows, row{t: t, label: features.Label{Fraud: true, Typology: label}})
}

// victim picks an ordinary user with some history by day d.
func (g *gen) victim(d int) *user {
	for range 1000 {
		u := g.users[g.persons[g.r.IntN(len(g.persons))]]
		if u.joined <= d-3 && !u.vendor {
			return u
		}
	}
	return g.users[g.persons[0]]
}

// account is a fraud-controlled account: one used before (kept in a pool)
// or a new one, on its own device, in a home city.
func (g *gen) account(d int, reuse float64) *actor {
	if len(g.mules) > 0 && g.r.Float64() < reuse {
		u := g.users[g.mules[g.r.IntN(len(g.mules))]]
		return &actor{u: u, device: u.device, place: u.city, noGPS: !u.gps}
	}
	u := &user{id: g.uid(), city: g.homeCity(), joined: d, device: g.device(), bank: g.bank(), trip: -1, landlord: -1,
		gps: g.r.Float64() > 0.3, kind: 2}
	u.cards = []string{g.card()}
	g.users = append(g.users, u)
	if g.r.Float64() < 0.5 {
		g.mules = append(g.mules, len(g.users)-1)
	}
	return &actor{u: u, device: u.device, place: u.city, noGPS: !u.gps, isNew: true}
}

// fresh marks a new account's first use as following a login from its new
// device.
func (g *gen) fresh(a *actor, ts time.Time) {
	if a.isNew && a.login.IsZero() {
		a.login = ts.Add(-g.minutes(1, 10))
	}
}

func (g *gen) minutes(lo, hi float64) time.Duration {
	return time.Duration((lo + g.r.Float64()*(hi-lo)) * float64(time.Minute))
}

// ato: someone logs in to a victim's account from a new device, often
// far away, and drains it within the hour.
func (g *gen) ato(d int) {
	v := g.victim(d)
	h := clampHour(g.hourOfDay())
	if g.r.Float64() < 0.4 {
		h = g.r.Float64() * 6
	}
	ts := g.at(d, h)
	a := &actor{u: v, device: g.device(), login: ts.Add(-g.minutes(1, 10)), noGPS: g.r.Float64() < 0.4}
	if g.r.Float64() < 0.2 { // some wait before they move the money
		a.login = ts.Add(-g.minutes(70, 360))
	}
	switch x := g.r.Float64(); {
	case x < 0.25:
		a.place = v.city
	case x < 0.7:
		a.place = []int{0, 1, 2, 3, 4, 5, 11, 12}[g.r.IntN(8)]
	default:
		a.place = 8 + g.r.IntN(len(cities)-8)
	}
	base := g.logn(5000, 0.7) * math.Sqrt(v.spend)
	if g.r.Float64() < 0.2 {
		base = g.logn(800, 0.5)
	}
	mule := g.account(d, 0.5)
	bank := g.bank()
	for range 1 + g.r.IntN(4) {
		amt := base * (0.5 + g.r.Float64())
		switch x := g.r.Float64(); {
		case x < 0.55:
			g.emit(a, ts, features.TypeP2P, mule.u.id, g.money(amt, g.cur(v), true), "", ATO)
		case x < 0.8:
			g.emit(a, ts, features.TypeWithdrawal, bank, g.money(amt, g.cur(v), true), "", ATO)
		default:
			k := g.merchantWith([]int{13, 15, 8, 9}[g.r.IntN(4)])
			g.emit(a, ts, features.TypePayment, g.merchants[k].id, g.money(amt, g.cur(v), false), mccs[g.merchants[k].mcc].code, ATO)
		}
		ts = ts.Add(g.minutes(1, 15))
	}
}

// cardTesting: an account tries many stolen cards with small top-ups,
// then tops up more from the cards that worked and cashes out.
func (g *gen) cardTesting(d int) {
	a := g.account(d, 0.4)
	ts := g.at(d, clampHour(g.r.Float64()*24))
	g.fresh(a, ts)
	cur := g.cur(a.u)
	var cards []string
	for range 8 + g.r.IntN(30) {
		c := g.card()
		cards = append(cards, c)
		g.emit(a, ts, features.TypeTopup, c, g.money(1+g.r.Float64()*9, cur, false), "", CardTesting)
		ts = ts.Add(time.Duration(15+g.r.IntN(135)) * time.Second)
	}
	var total float64
	for range 1 + g.r.IntN(2) {
		ts = ts.Add(g.minutes(5, 30))
		amt := g.logn(1200, 0.5)
		total += amt
		g.emit(a, ts, features.TypeTopup, cards[g.r.IntN(len(cards))], g.money(amt, cur, true), "", CardTesting)
	}
	ts = ts.Add(g.minutes(5, 60))
	if g.r.Float64() < 0.5 {
		g.emit(a, ts, features.TypeWithdrawal, g.bank(), g.money(total*0.95, cur, true), "", CardTesting)
	} else {
		g.emit(a, ts, features.TypeP2P, g.account(d, 0.6).u.id, g.money(total*0.95, cur, true), "", CardTesting)
	}
}

// recruit is an ordinary user lending their account as a mule, from their
// own phone.
func (g *gen) recruit(d int) *actor {
	u := g.victim(d)
	return &actor{u: u, device: u.device, place: u.city, sameAsOK: true}
}

// mule: several accounts pay one hub within hours (fan-in), and the hub
// passes the money on quickly to further accounts and bank accounts
// (fan-out), which withdraw it.
func (g *gen) mule(d int) {
	var hub *actor
	switch x := g.r.Float64(); {
	case x < 0.5:
		hub = g.recruit(d)
	default:
		hub = g.account(d, 0.6)
	}
	ts := g.at(d, 8+g.r.Float64()*12)
	cur := g.cur(hub.u)
	var in float64
	for range 4 + g.r.IntN(10) {
		var f *actor
		if g.r.Float64() < 0.3 { // someone told to pass money on, from their own phone
			f = g.recruit(d)
		} else {
			f = g.account(d, 0.5)
		}
		g.fresh(f, ts)
		amt := g.logn(4000, 0.6)
		in += amt
		g.emit(f, ts, features.TypeP2P, hub.u.id, g.money(amt, g.cur(f.u), true), "", Mule)
		ts = ts.Add(g.minutes(3, 40))
	}
	ts = ts.Add(g.minutes(5, 90))
	g.fresh(hub, ts)
	m := 2 + g.r.IntN(5)
	for range m {
		amt := in * 0.95 / float64(m) * (0.8 + 0.4*g.r.Float64())
		if g.r.Float64() < 0.6 {
			next := g.account(d, 0.3)
			g.emit(hub, ts, features.TypeP2P, next.u.id, g.money(amt, cur, true), "", Mule)
			g.emit(next, ts.Add(g.minutes(5, 60)), features.TypeWithdrawal, next.u.bank, g.money(amt*0.98, g.cur(next.u), true), "", Mule)
		} else {
			g.emit(hub, ts, features.TypeWithdrawal, g.bank(), g.money(amt, cur, true), "", Mule)
		}
		ts = ts.Add(g.minutes(1, 10))
	}
}

// scam: victims, persuaded by someone they have never paid, send large
// amounts from their own phones; the scammer cashes out.
func (g *gen) scam(d int) {
	s := g.account(d, 0.4)
	var got float64
	for range 2 + g.r.IntN(5) {
		v := g.victim(d)
		day := d + g.r.IntN(3)
		if day >= g.cfg.Days {
			day = d
		}
		ts := g.at(day, clampHour(9+g.r.Float64()*13))
		a := &actor{u: v, device: v.device, place: v.city, sameAsOK: true}
		if v.trip >= 0 {
			a.place = v.trip
		}
		for range 1 + g.r.IntN(2) {
			amt := g.logn(7000, 0.7) * math.Sqrt(v.spend)
			got += amt
			g.emit(a, ts, features.TypeP2P, s.u.id, g.money(amt, g.cur(v), true), "", Scam)
			ts = ts.Add(g.minutes(10, 180))
		}
		if g.r.Float64() < 0.5 {
			g.emit(s, ts.Add(g.minutes(10, 120)), features.TypeWithdrawal, s.u.bank, g.money(got*0.9, g.cur(s.u), true), "", Scam)
			got = 0
		}
	}
}

// structuring: money-outs just under the reporting threshold, spread over
// a few days.
func (g *gen) structuring(d int) {
	var a *actor
	if g.r.Float64() < 0.5 {
		a = g.recruit(d)
	} else {
		a = g.account(d, 0.5)
	}
	for range 3 + g.r.IntN(6) {
		day := min(g.cfg.Days-1, d+g.r.IntN(4))
		ts := g.at(day, clampHour(9+g.r.Float64()*12))
		g.fresh(a, ts)
		amt := 40000 + g.r.Float64()*9900
		if g.r.Float64() < 0.5 {
			g.emit(a, ts, features.TypeWithdrawal, a.u.bank, g.money(amt, g.cur(a.u), true), "", Structuring)
		} else {
			g.emit(a, ts, features.TypeP2P, g.account(d, 0.5).u.id, g.money(amt, g.cur(a.u), true), "", Structuring)
		}
	}
}

// promo: many new accounts on one device each make the small first
// payment that earns the new-user bonus and pass the bonus on to one
// collector.
func (g *gen) promo(d int) {
	dev := g.device()
	collector := g.account(d, 0.5)
	c := g.homeCity()
	ts := g.at(d, clampHour(10+g.r.Float64()*10))
	for range 4 + g.r.IntN(14) {
		u := &user{id: g.uid(), city: c, joined: d, device: dev, bank: g.bank(), trip: -1, landlord: -1, gps: true, kind: 2}
		g.users = append(g.users, u)
		a := &actor{u: u, device: dev, place: c, login: ts.Add(-g.minutes(1, 5))}
		k := g.byCity[c][g.r.IntN(len(g.byCity[c]))]
		m := g.merchants[k]
		g.emit(a, ts, features.TypePayment, m.id, g.money(10+g.r.Float64()*50, g.cur(u), false), mccs[m.mcc].code, PromoAbuse)
		ts = ts.Add(g.minutes(1, 8))
		g.emit(a, ts, features.TypeP2P, collector.u.id, g.money(10+g.r.Float64()*20, g.cur(u), true), "", PromoAbuse)
		ts = ts.Add(g.minutes(5, 90))
	}
}
