// Package features turns a stream of wallet transactions into the feature
// vectors the fraud model scores: a per-user behaviour profile kept as
// streaming statistics, velocity windows per user, device, payee and card,
// and payee, merchant, device and travel signals. Every feature of a
// transaction is computed from the transactions before it only; the state
// is plain data that can be snapshotted and restored.
package features

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The transaction types.
const (
	TypeP2P        = "p2p"
	TypePayment    = "payment"
	TypePaycode    = "paycode"
	TypeWithdrawal = "withdrawal"
	TypeTopup      = "topup"
)

// Types lists the transaction types in a fixed order.
var Types = []string{TypeP2P, TypePayment, TypePaycode, TypeWithdrawal, TypeTopup}

// Txn is one transaction as the pipeline sees it (one row of the CSV).
type Txn struct {
	TS             time.Time
	ID             string
	Type           string
	UserID         string
	Counterparty   string // payee user, merchant, bank account (withdrawal) or card (top-up)
	Amount         int64  // minor units
	Currency       string
	DeviceID       string
	IPCountry      string
	Lat, Lon       float64
	HasLoc         bool // lat and lon were given
	MCC            string
	NewDeviceLogin bool // a login from a device unseen for this user within the last hour
}

// Out reports whether the transaction moves money out of the user's wallet.
func (t *Txn) Out() bool { return t.Type != TypeTopup }

// Header is the exact header of a transactions file.
var Header = []string{"ts", "txn_id", "type", "user_id", "counterparty_id", "amount_minor", "currency", "device_id", "ip_country", "lat", "lon", "mcc", "new_device_login"}

// LabelHeader is the exact header of a labels file.
var LabelHeader = []string{"txn_id", "is_fraud", "typology"}

// Reader reads a transactions CSV strictly: the exact header, every field
// valid, errors naming the line.
type Reader struct {
	r    *csv.Reader
	line int
}

// NewReader checks the header and returns a reader of the rows.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // the header's count is checked below
	cr.ReuseRecord = true
	rd := &Reader{r: cr}
	rec, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("transactions: empty file, want a header")
		}
		return nil, fmt.Errorf("transactions: line 1: %w", err)
	}
	if err := checkHeader(rec, Header); err != nil {
		return nil, fmt.Errorf("transactions: line 1: %w", err)
	}
	cr.FieldsPerRecord = len(Header)
	rd.line = 1
	return rd, nil
}

func checkHeader(rec, want []string) error {
	if len(rec) != len(want) {
		return fmt.Errorf("header has %d columns, want %d (%s)", len(rec), len(want), strings.Join(want, ","))
	}
	for i := range want {
		if rec[i] != want[i] {
			return fmt.Errorf("header column %d is %q, want %q", i+1, rec[i], want[i])
		}
	}
	return nil
}

// Read returns the next transaction, or io.EOF after the last.
func (rd *Reader) Read() (Txn, error) {
	rec, err := rd.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Txn{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Txn{}, fmt.Errorf("transactions: line %d: %w", pe.Line, pe.Err)
		}
		return Txn{}, fmt.Errorf("transactions: after line %d: %w", rd.line, err)
	}
	line, _ := rd.r.FieldPos(0)
	rd.line = line
	t, err := parseTxn(rec)
	if err != nil {
		return Txn{}, fmt.Errorf("transactions: line %d: %w", line, err)
	}
	return t, nil
}

func parseTxn(rec []string) (Txn, error) {
	var t Txn
	var err error
	if t.TS, err = time.Parse(time.RFC3339, rec[0]); err != nil {
		return t, fmt.Errorf("ts %q: not RFC 3339", rec[0])
	}
	if t.ID = rec[1]; t.ID == "" {
		return t, errors.New("empty txn_id")
	}
	t.Type = rec[2]
	switch t.Type {
	case TypeP2P, TypePayment, TypePaycode, TypeWithdrawal, TypeTopup:
	default:
		return t, fmt.Errorf("type %q: want one of %s", t.Type, strings.Join(Types, ", "))
	}
	if t.UserID = rec[3]; t.UserID == "" {
		return t, errors.New("empty user_id")
	}
	if t.Counterparty = rec[4]; t.Counterparty == "" {
		return t, errors.New("empty counterparty_id")
	}
	if t.Amount, err = strconv.ParseInt(rec[5], 10, 64); err != nil || t.Amount <= 0 {
		return t, fmt.Errorf("amount_minor %q: want a positive integer", rec[5])
	}
	t.Currency = rec[6]
	if len(t.Currency) != 3 || strings.ToUpper(t.Currency) != t.Currency || !isAlpha(t.Currency) {
		return t, fmt.Errorf("currency %q: want an ISO 4217 code", rec[6])
	}
	if t.DeviceID = rec[7]; t.DeviceID == "" {
		return t, errors.New("empty device_id")
	}
	t.IPCountry = rec[8]
	if t.IPCountry != "" && (len(t.IPCountry) != 2 || !isAlpha(t.IPCountry)) {
		return t, fmt.Errorf("ip_country %q: want a two-letter code or empty", rec[8])
	}
	switch {
	case rec[9] == "" && rec[10] == "":
	case rec[9] == "" || rec[10] == "":
		return t, errors.New("lat and lon must both be given or both be empty")
	default:
		t.HasLoc = true
		if t.Lat, err = strconv.ParseFloat(rec[9], 64); err != nil || math.IsNaN(t.Lat) || t.Lat < -90 || t.Lat > 90 {
			return t, fmt.Errorf("lat %q: want a number in [-90, 90]", rec[9])
		}
		if t.Lon, err = strconv.ParseFloat(rec[10], 64); err != nil || math.IsNaN(t.Lon) || t.Lon < -180 || t.Lon > 180 {
			return t, fmt.Errorf("lon %q: want a number in [-180, 180]", rec[10])
		}
	}
	t.MCC = rec[11]
	if t.MCC != "" && (len(t.MCC) != 4 || !isDigits(t.MCC)) {
		return t, fmt.Errorf("mcc %q: want four digits or empty", rec[11])
	}
	if (t.Type == TypePayment || t.Type == TypePaycode) != (t.MCC != "") {
		return t, fmt.Errorf("mcc %q: a merchant category is given exactly for payment and paycode", rec[11])
	}
	switch rec[12] {
	case "0":
	case "1":
		t.NewDeviceLogin = true
	default:
		return t, fmt.Errorf("new_device_login %q: want 0 or 1", rec[12])
	}
	return t, nil
}

func isAlpha(s string) bool {
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ReadAll reads a whole transactions file.
func ReadAll(r io.Reader) ([]Txn, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var out []Txn
	seen := map[string]int{}
	for {
		t, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[t.ID]; ok {
			return nil, fmt.Errorf("transactions: line %d: txn_id %q already on line %d", rd.line, t.ID, prev)
		}
		seen[t.ID] = rd.line
		out = append(out, t)
	}
}

// Writer writes a transactions CSV.
type Writer struct {
	w   *csv.Writer
	rec []string
}

// NewWriter writes the header and returns the writer.
func NewWriter(w io.Writer) (*Writer, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	return &Writer{w: cw, rec: make([]string, len(Header))}, nil
}

// Write writes one row.
func (w *Writer) Write(t *Txn) error {
	r := w.rec
	r[0] = t.TS.UTC().Format(time.RFC3339)
	r[1], r[2], r[3], r[4] = t.ID, t.Type, t.UserID, t.Counterparty
	r[5] = strconv.FormatInt(t.Amount, 10)
	r[6], r[7], r[8] = t.Currency, t.DeviceID, t.IPCountry
	r[9], r[10] = "", ""
	if t.HasLoc {
		r[9] = strconv.FormatFloat(t.Lat, 'f', 4, 64)
		r[10] = strconv.FormatFloat(t.Lon, 'f', 4, 64)
	}
	r[11] = t.MCC
	r[12] = "0"
	if t.NewDeviceLogin {
		r[12] = "1"
	}
	if err := w.w.Write(r); err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	return nil
}

// Flush flushes the rows written and reports a write error.
func (w *Writer) Flush() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	return nil
}

// Label is the outcome of one transaction: fraud or not, and which kind.
type Label struct {
	Fraud    bool
	Typology string // empty when not fraud
}

// ReadLabels reads a labels file (txn_id,is_fraud,typology) into a map.
// Files read later into the same map override earlier labels: review
// outcomes and insurance claims given after the simulator's or last
// training's labels win.
func ReadLabels(r io.Reader, into map[string]Label) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("labels: empty file, want a header")
		}
		return fmt.Errorf("labels: line 1: %w", err)
	}
	if err := checkHeader(rec, LabelHeader); err != nil {
		return fmt.Errorf("labels: line 1: %w", err)
	}
	cr.FieldsPerRecord = len(LabelHeader)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("labels: line %d: %w", pe.Line, pe.Err)
			}
			return fmt.Errorf("labels: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if rec[0] == "" {
			return fmt.Errorf("labels: line %d: empty txn_id", line)
		}
		var l Label
		switch rec[1] {
		case "0":
		case "1":
			l.Fraud = true
		default:
			return fmt.Errorf("labels: line %d: is_fraud %q: want 0 or 1", line, rec[1])
		}
		l.Typology = rec[2]
		if !l.Fraud && l.Typology != "" {
			return fmt.Errorf("labels: line %d: typology %q given for a legitimate transaction", line, l.Typology)
		}
		into[rec[0]] = l
	}
}

// WriteLabels writes the header of a labels file and returns a function
// writing one row.
func WriteLabels(w *csv.Writer) (func(id string, l Label) error, error) {
	if err := w.Write(LabelHeader); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	rec := make([]string, 3)
	return func(id string, l Label) error {
		rec[0], rec[1], rec[2] = id, "0", l.Typology
		if l.Fraud {
			rec[1] = "1"
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		return nil
	}, nil
}
