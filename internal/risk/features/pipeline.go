package features

import (
	"math"
	"time"
)

// Config are the pipeline's fixed parameters.
type Config struct {
	// Zone is the local time zone of the users (for the hour of day).
	Zone *time.Location
	// Rates convert one major unit of a currency into reference units (CNY).
	Rates map[string]float64
	// Decimals are the minor-unit digits of currencies that differ from 2.
	Decimals map[string]int
	// ReportAbove is the reporting threshold in reference units: amounts
	// at or above it are reported, so structuring stays just below.
	ReportAbove float64
	// HighRiskMCC are merchant categories with a high fraud and
	// money-laundering exposure (quasi-cash, money transfer, gambling,
	// gift cards, crypto); MediumRiskMCC a lesser one (electronics,
	// jewellery, digital goods).
	HighRiskMCC, MediumRiskMCC map[string]bool
}

// DefaultConfig is for a wallet whose users live in China Standard Time.
func DefaultConfig() Config {
	return Config{
		Zone:          time.FixedZone("CST", 8*3600),
		Rates:         map[string]float64{"CNY": 1, "HKD": 0.92, "USD": 7.2, "EUR": 7.8, "SGD": 5.4, "JPY": 0.048, "GBP": 9.1},
		Decimals:      map[string]int{"JPY": 0, "KRW": 0, "VND": 0, "IDR": 0},
		ReportAbove:   50_000,
		HighRiskMCC:   map[string]bool{"4829": true, "6051": true, "6540": true, "7995": true, "6211": true},
		MediumRiskMCC: map[string]bool{"5732": true, "5944": true, "5816": true, "5818": true, "5045": true},
	}
}

// The features, in the vector's order. Names must stay in step.
const (
	FLogAmount = iota
	FTypeP2P
	FTypePayment
	FTypePaycode
	FTypeWithdrawal
	FTypeTopup
	FLocalHour
	FAmountZ
	FAmountOverMax
	FUserTxns
	FUserAgeH
	FSinceLastMin
	FFirstOut
	FHourSurprisal
	FNewPayee
	FPayeeTimes
	FNewMCC
	FMCCRisk
	FNewDevice
	FDeviceAgeH
	FNewDeviceLogin
	FDeviceUsers
	FDeviceNewUsers24h
	FDeviceCnt1m
	FDeviceAmt1m
	FDeviceCnt1h
	FDeviceAmt1h
	FDeviceCnt24h
	FDeviceAmt24h
	FNewCountry
	FCountryMismatch
	FNoLocation
	FKmFromLast
	FSpeedKmh
	FImpossibleTravel
	FKmFromHome
	FUserCnt1m
	FUserAmt1m
	FUserCnt1h
	FUserAmt1h
	FUserCnt24h
	FUserAmt24h
	FUserPayees1h
	FUserCards24h
	FUserTopups1h
	FCardUsers
	FCardCnt1m
	FCardAmt1m
	FCardCnt1h
	FCardAmt1h
	FCardCnt24h
	FCardAmt24h
	FInAmt24h
	FInPayers24h
	FSinceInMin
	FOutOverIn24h
	FPayeeAgeH
	FPayeeOut24h
	FPayeeCnt1m
	FPayeeAmt1m
	FPayeeCnt1h
	FPayeeAmt1h
	FPayeeCnt24h
	FPayeeAmt24h
	FPayeePayers24h
	FPayeeNewPayers24h
	FPayeePayersEver
	FNearThreshold
	FNear7d
	FOut24hOverReport
	FAnomaly
	NumFeatures
)

// Names are the features' names, in the vector's order.
var Names = [NumFeatures]string{
	"log_amount", "type_p2p", "type_payment", "type_paycode", "type_withdrawal", "type_topup", "local_hour",
	"amount_z", "amount_over_max", "user_txns", "user_age_h", "since_last_min", "first_out", "hour_surprisal",
	"new_payee", "payee_times", "new_mcc", "mcc_risk",
	"new_device", "device_age_h", "new_device_login", "device_users", "device_new_users_24h",
	"device_cnt_1m", "device_amt_1m", "device_cnt_1h", "device_amt_1h", "device_cnt_24h", "device_amt_24h",
	"new_country", "country_mismatch", "no_location", "km_from_last", "speed_kmh", "impossible_travel", "km_from_home",
	"user_cnt_1m", "user_amt_1m", "user_cnt_1h", "user_amt_1h", "user_cnt_24h", "user_amt_24h", "user_payees_1h",
	"user_cards_24h", "user_topups_1h", "card_users",
	"card_cnt_1m", "card_amt_1m", "card_cnt_1h", "card_amt_1h", "card_cnt_24h", "card_amt_24h",
	"in_amt_24h", "in_payers_24h", "since_in_min", "out_over_in_24h",
	"payee_age_h", "payee_out_24h",
	"payee_cnt_1m", "payee_amt_1m", "payee_cnt_1h", "payee_amt_1h", "payee_cnt_24h", "payee_amt_24h",
	"payee_payers_24h", "payee_new_payers_24h", "payee_payers_ever",
	"near_threshold", "near_7d", "out_24h_over_report",
	"anomaly",
}

// Pipeline computes feature vectors from a State. It is not safe for
// concurrent use: callers serialise Extract and Observe (the risk adapter
// holds a mutex).
type Pipeline struct {
	Cfg   Config
	State *State
	seen  map[string]struct{} // scratch for distinct counts
}

// New returns a pipeline with an empty state.
func New(cfg Config) *Pipeline {
	return &Pipeline{Cfg: cfg, State: NewState()}
}

// Ref converts a transaction's amount into reference units; unknown
// currencies count one to one.
func (p *Pipeline) Ref(t *Txn) float64 {
	d := 2
	if v, ok := p.Cfg.Decimals[t.Currency]; ok {
		d = v
	}
	r, ok := p.Cfg.Rates[t.Currency]
	if !ok {
		r = 1
	}
	return float64(t.Amount) / math.Pow10(d) * r
}

func l1p(x float64) float64 { return math.Log1p(max(x, 0)) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Prior of a user's log amount before their history says otherwise: about
// 150 reference units, spread over a factor of e^1.3 either way.
const (
	priorMean = 5.0
	priorSD   = 1.3
	priorN    = 3.0
)

// Extract writes the features of t into dst (of length NumFeatures) from
// the state before t; it does not change the state. It also returns the
// profile anomaly score (the same as dst[FAnomaly]).
func (p *Pipeline) Extract(t *Txn, dst []float64) float64 {
	if p.seen == nil {
		p.seen = make(map[string]struct{}, maxWindow)
	}
	return p.ExtractWith(t, dst, p.seen)
}

// ExtractWith is Extract with the caller's scratch map: it only reads the
// pipeline, so that several goroutines may extract at once while nothing
// observes (the risk adapter holds a read lock).
func (p *Pipeline) ExtractWith(t *Txn, dst []float64, scratch map[string]struct{}) float64 {
	s := p.State
	now := t.TS.Unix()
	amt := p.Ref(t)
	la := math.Log(max(amt, 0.01))
	for i := range dst[:NumFeatures] {
		dst[i] = 0
	}
	dst[FLogAmount] = la
	for i, ty := range Types {
		if t.Type == ty {
			dst[FTypeP2P+i] = 1
		}
	}
	hour := t.TS.In(p.Cfg.Zone).Hour()
	dst[FLocalHour] = float64(hour)

	u := s.Users[t.UserID]
	if u == nil {
		u = &Profile{}
	}
	out := t.Out()
	var anomaly float64

	// The amount against the user's own history, shrunk towards the prior.
	mean := (priorN*priorMean + u.N*u.MeanLog) / (priorN + u.N)
	variance := (priorN*priorSD*priorSD + u.M2Log) / (priorN + u.N)
	z := (la - mean) / math.Sqrt(variance)
	dst[FAmountZ] = z
	if u.Max > 0 {
		dst[FAmountOverMax] = amt / u.Max
	} else {
		dst[FAmountOverMax] = amt / math.Exp(priorMean)
	}
	dst[FUserTxns] = l1p(u.N)
	if u.First > 0 {
		dst[FUserAgeH] = l1p(float64(now-u.First) / 3600)
	}
	if u.Last > 0 {
		dst[FSinceLastMin] = l1p(float64(now-u.Last) / 60)
	} else {
		dst[FSinceLastMin] = l1p(7 * 24 * 60)
	}
	dst[FFirstOut] = b2f(u.N == 0)
	hs := -math.Log((float64(u.Hours[hour]) + 0.5) / (u.N + 12))
	dst[FHourSurprisal] = hs
	if out {
		anomaly += max(z, 0) * max(z, 0) / 2
		anomaly += hs
	}

	// Payee and merchant.
	if out {
		times := u.Payees[t.Counterparty]
		dst[FPayeeTimes] = l1p(float64(times))
		if times == 0 {
			dst[FNewPayee] = 1
			pNew := (float64(len(u.Payees)) + 1) / (u.N + 2)
			anomaly += -math.Log(pNew)
		}
	}
	if t.MCC != "" {
		if u.MCCs[t.MCC] == 0 {
			dst[FNewMCC] = 1
		}
		switch {
		case p.Cfg.HighRiskMCC[t.MCC]:
			dst[FMCCRisk] = 2
		case p.Cfg.MediumRiskMCC[t.MCC]:
			dst[FMCCRisk] = 1
		}
	}

	// Device.
	first, known := u.Devices[t.DeviceID]
	if !known {
		dst[FNewDevice] = 1
		if u.N > 0 {
			anomaly += -math.Log((float64(len(u.Devices)) + 0.5) / (u.N + 1))
		}
	} else {
		dst[FDeviceAgeH] = l1p(float64(now-first) / 3600)
	}
	dst[FNewDeviceLogin] = b2f(t.NewDeviceLogin)
	if d := s.Devices[t.DeviceID]; d != nil {
		users := len(d.Users)
		if _, ok := d.Users[t.UserID]; !ok {
			users++
		}
		dst[FDeviceUsers] = float64(users)
		n := 0
		for _, at := range d.Users {
			if now-at <= day {
				n++
			}
		}
		dst[FDeviceNewUsers24h] = float64(n)
		spans(dst, FDeviceCnt1m, &d.Win, now)
	} else {
		dst[FDeviceUsers] = 1
	}

	// Where.
	if t.IPCountry != "" {
		if u.Countries[t.IPCountry] == 0 && u.N > 0 {
			dst[FNewCountry] = 1
			anomaly += -math.Log((float64(len(u.Countries)) + 0.5) / (u.N + 1))
		}
		top, topN := "", int32(0)
		for c, n := range u.Countries {
			if n > topN || (n == topN && c < top) {
				top, topN = c, n
			}
		}
		dst[FCountryMismatch] = b2f(top != "" && top != t.IPCountry)
	}
	if !t.HasLoc {
		dst[FNoLocation] = 1
	} else if u.LastLoc > 0 {
		km := haversine(u.LastLat, u.LastLon, t.Lat, t.Lon)
		hours := max(float64(now-u.LastLoc), 60) / 3600
		speed := km / hours
		dst[FKmFromLast] = l1p(km)
		dst[FSpeedKmh] = l1p(speed)
		dst[FImpossibleTravel] = b2f(km > 300 && speed > 900)
		home := haversine(u.HomeLat, u.HomeLon, t.Lat, t.Lon)
		dst[FKmFromHome] = l1p(home)
		if home > 100 {
			anomaly += math.Log1p(home / 100)
		}
	}

	// The user's velocity.
	d := spans(dst, FUserCnt1m, &u.Out, now)
	dst[FUserPayees1h] = u.Out.distinct(now, 3600, scratch)
	dst[FUserCards24h] = u.Cards.distinct(now, day, scratch)
	_, th, _ := u.Cards.spans(now)
	dst[FUserTopups1h] = th.n

	// Money in: to the user (mule fan-in), and to the counterparty.
	if me := s.Parties[t.UserID]; me != nil {
		_, _, in := me.In.spans(now)
		dst[FInAmt24h] = l1p(in.amt)
		dst[FInPayers24h] = me.In.distinct(now, day, scratch)
		if me.LastIn > 0 {
			dst[FSinceInMin] = l1p(float64(now-me.LastIn) / 60)
		} else {
			dst[FSinceInMin] = l1p(7 * 24 * 60)
		}
		if out {
			dst[FOutOverIn24h] = min(amt/(in.amt+1), 10)
		}
	} else {
		dst[FSinceInMin] = l1p(7 * 24 * 60)
		if out {
			dst[FOutOverIn24h] = min(amt, 10)
		}
	}
	if cp := s.Parties[t.Counterparty]; cp != nil {
		age := now - cp.First
		if pu := s.Users[t.Counterparty]; pu != nil && pu.First < cp.First {
			age = now - pu.First
		}
		dst[FPayeeAgeH] = l1p(float64(age) / 3600)
		if out {
			spans(dst, FPayeeCnt1m, &cp.In, now)
		} else {
			spans(dst, FCardCnt1m, &cp.In, now)
			dst[FCardUsers] = float64(cp.Users)
		}
		dst[FPayeePayers24h] = cp.In.distinct(now, day, scratch)
		_, _, nd := cp.NewIn.spans(now)
		dst[FPayeeNewPayers24h] = nd.n
		dst[FPayeePayersEver] = l1p(float64(cp.Payers))
	} else if pu := s.Users[t.Counterparty]; pu != nil {
		dst[FPayeeAgeH] = l1p(float64(now-pu.First) / 3600)
	}
	if pu := s.Users[t.Counterparty]; pu != nil && t.Type == TypeP2P {
		_, _, po := pu.Out.spans(now)
		dst[FPayeeOut24h] = l1p(po.amt)
	}

	// Structuring.
	if out && p.Cfg.ReportAbove > 0 {
		dst[FNearThreshold] = b2f(amt >= 0.8*p.Cfg.ReportAbove && amt < p.Cfg.ReportAbove)
		n := 0
		for _, at := range u.Near {
			if now-at <= 7*day {
				n++
			}
		}
		dst[FNear7d] = float64(n)
		dst[FOut24hOverReport] = (d.amt + amt) / p.Cfg.ReportAbove
	}
	dst[FAnomaly] = anomaly
	return anomaly
}

// spans writes the count and amount within 1 minute, 1 hour and 24 hours
// into the six features from base on, and returns the 24-hour span.
func spans(dst []float64, base int, w *Window, now int64) span {
	m, h, d := w.spans(now)
	dst[base], dst[base+1] = m.n, l1p(m.amt)
	dst[base+2], dst[base+3] = h.n, l1p(h.amt)
	dst[base+4], dst[base+5] = d.n, l1p(d.amt)
	return d
}

// Observe adds t to the state. Call it after Extract, for every
// transaction that happened.
func (p *Pipeline) Observe(t *Txn) {
	s := p.State
	now := t.TS.Unix()
	s.Clock = max(s.Clock, now)
	amt := p.Ref(t)
	u := s.Users[t.UserID]
	if u == nil {
		u = &Profile{First: now}
		s.Users[t.UserID] = u
	}
	u.init()
	if _, ok := u.Devices[t.DeviceID]; !ok {
		bump(u.Devices, t.DeviceID, now)
	}
	if t.IPCountry != "" {
		bump(u.Countries, t.IPCountry, 1)
	}
	if t.HasLoc {
		u.LastLat, u.LastLon, u.LastLoc = t.Lat, t.Lon, now
		w := 1 / (u.HomeN + 1)
		if u.HomeN >= 50 {
			w = 1.0 / 50
		}
		u.HomeLat += (t.Lat - u.HomeLat) * w
		u.HomeLon += (t.Lon - u.HomeLon) * w
		u.HomeN++
	}
	d := s.Devices[t.DeviceID]
	if d == nil {
		d = &Device{First: now}
		s.Devices[t.DeviceID] = d
	}
	if d.Users == nil {
		d.Users = map[string]int64{}
	}
	if _, ok := d.Users[t.UserID]; !ok {
		bump(d.Users, t.UserID, now)
	}
	d.Win.add(Ev{T: now, A: amt, K: t.UserID})

	cp := s.Parties[t.Counterparty]
	if cp == nil {
		cp = &Party{First: now}
		s.Parties[t.Counterparty] = cp
	}
	if !t.Out() {
		if u.CardsSeen[t.Counterparty] == 0 {
			cp.Users++
		}
		bump(u.CardsSeen, t.Counterparty, 1)
		u.Cards.add(Ev{T: now, A: amt, K: t.Counterparty})
		cp.In.add(Ev{T: now, A: amt, K: t.UserID})
		return
	}
	la := math.Log(max(amt, 0.01))
	u.N++
	delta := la - u.MeanLog
	u.MeanLog += delta / u.N
	u.M2Log += delta * (la - u.MeanLog)
	u.Max = max(u.Max, amt)
	u.Hours[t.TS.In(p.Cfg.Zone).Hour()]++
	u.Last = now
	if u.Payees[t.Counterparty] == 0 {
		cp.Payers++
		cp.NewIn.add(Ev{T: now, A: amt, K: t.UserID})
	}
	bump(u.Payees, t.Counterparty, 1)
	if t.MCC != "" {
		bump(u.MCCs, t.MCC, 1)
	}
	u.Out.add(Ev{T: now, A: amt, K: t.Counterparty})
	cp.In.add(Ev{T: now, A: amt, K: t.UserID})
	cp.LastIn = now
	if p.Cfg.ReportAbove > 0 && amt >= 0.8*p.Cfg.ReportAbove && amt < p.Cfg.ReportAbove {
		i := 0
		for i < len(u.Near) && now-u.Near[i] > 7*day {
			i++
		}
		u.Near = append(u.Near[i:], now)
	}
}
