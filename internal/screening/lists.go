package screening

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Entry is one listed person, entity, vessel or aircraft, with every
// name it is known by (the primary name first).
type Entry struct {
	Source   string   `json:"source"` // SourceOFAC or SourceUN
	Ref      string   `json:"ref"`    // the list's own id: OFAC's ent_num, the UN's reference number
	Kind     string   `json:"kind"`   // individual, entity, vessel, aircraft
	Names    []string `json:"names"`
	Programs string   `json:"programs,omitempty"`
	Remarks  string   `json:"remarks,omitempty"`
}

// The lists this package reads.
const (
	SourceOFAC = "ofac-sdn"
	SourceUN   = "un-consolidated"
)

// ErrFormat is wrapped by every parse error.
var ErrFormat = errors.New("screening list")

// maxField bounds a field of a list file (the longest remarks of the real
// lists are a few kB).
const maxField = 64 << 10

// ofacNull is how OFAC's CSV files write an empty field.
const ofacNull = "-0-"

func ofacField(s string) string {
	s = strings.TrimSpace(s)
	if s == ofacNull {
		return ""
	}
	return s
}

// ParseSDN reads OFAC's Specially Designated Nationals list in its CSV
// form: SDN.CSV (ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
// Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; no header;
// "-0-" for empty) and, if alt is not nil, ALT.CSV (ent_num, alt_num,
// alt_type, alt_name, alt_remarks) whose aliases join their entries.
// Errors name the file's line.
func ParseSDN(sdn, alt io.Reader) ([]Entry, error) {
	var entries []Entry
	byNum := map[string]int{}
	err := readOFAC(sdn, "SDN.CSV", 12, func(line int, f []string) error {
		num := strings.TrimSpace(f[0])
		if _, err := strconv.ParseUint(num, 10, 32); err != nil {
			return fmt.Errorf("%w: SDN.CSV line %d: ent_num %q is not a number", ErrFormat, line, num)
		}
		name := ofacField(f[1])
		if name == "" {
			return fmt.Errorf("%w: SDN.CSV line %d: entry %s has no name", ErrFormat, line, num)
		}
		if _, dup := byNum[num]; dup {
			return fmt.Errorf("%w: SDN.CSV line %d: entry %s listed twice", ErrFormat, line, num)
		}
		kind := strings.ToLower(ofacField(f[2]))
		if kind == "" {
			kind = "entity"
		}
		byNum[num] = len(entries)
		entries = append(entries, Entry{Source: SourceOFAC, Ref: num, Kind: kind, Names: []string{name},
			Programs: ofacField(f[3]), Remarks: ofacField(f[11])})
		return nil
	})
	if err != nil || alt == nil {
		return entries, err
	}
	err = readOFAC(alt, "ALT.CSV", 5, func(line int, f []string) error {
		num := strings.TrimSpace(f[0])
		i, ok := byNum[num]
		if !ok {
			return fmt.Errorf("%w: ALT.CSV line %d: alias of entry %s, which SDN.CSV does not list", ErrFormat, line, num)
		}
		if name := ofacField(f[3]); name != "" {
			entries[i].Names = append(entries[i].Names, name)
		}
		return nil
	})
	return entries, err
}

// readOFAC calls fn for every record of one of OFAC's CSV files, which
// end with a DOS end-of-file character (0x1A) on a line of its own.
func readOFAC(r io.Reader, file string, fields int, fn func(line int, f []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrFormat, file, err)
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \r\n\t") == "" {
			continue // the end-of-file marker, or a blank line
		}
		if len(rec) < fields {
			return fmt.Errorf("%w: %s line %d: %d fields, want %d", ErrFormat, file, line, len(rec), fields)
		}
		for _, f := range rec {
			if len(f) > maxField {
				return fmt.Errorf("%w: %s line %d: a field longer than %d bytes", ErrFormat, file, line, maxField)
			}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// unPerson is an INDIVIDUAL or an ENTITY of the UN Security Council's
// consolidated list (https://scsanctions.un.org/resources/xml/en/consolidated.xml).
type unPerson struct {
	DataID     string   `xml:"DATAID"`
	First      string   `xml:"FIRST_NAME"`
	Second     string   `xml:"SECOND_NAME"`
	Third      string   `xml:"THIRD_NAME"`
	Fourth     string   `xml:"FOURTH_NAME"`
	ListType   string   `xml:"UN_LIST_TYPE"`
	Reference  string   `xml:"REFERENCE_NUMBER"`
	Original   string   `xml:"NAME_ORIGINAL_SCRIPT"`
	Comments   string   `xml:"COMMENTS1"`
	Aliases    []string `xml:"INDIVIDUAL_ALIAS>ALIAS_NAME"`
	EntAliases []string `xml:"ENTITY_ALIAS>ALIAS_NAME"`
}

// ParseUN reads the UN Security Council's consolidated sanctions list in
// its XML form (CONSOLIDATED_LIST with INDIVIDUALS/INDIVIDUAL and
// ENTITIES/ENTITY): the name parts joined, the aliases, and the name in
// its original script (screened transliterated).
func ParseUN(r io.Reader) ([]Entry, error) {
	d := xml.NewDecoder(io.LimitReader(r, 1<<30))
	var entries []Entry
	seen := map[string]bool{}
	root := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: UN XML line %d: %v", ErrFormat, lineOf(d), err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "CONSOLIDATED_LIST":
			root = true
			continue
		case "INDIVIDUALS", "ENTITIES":
			continue
		case "INDIVIDUAL", "ENTITY":
		default:
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("%w: UN XML line %d: %v", ErrFormat, lineOf(d), err)
			}
			continue
		}
		if !root {
			return nil, fmt.Errorf("%w: UN XML line %d: %s outside CONSOLIDATED_LIST", ErrFormat, lineOf(d), se.Name.Local)
		}
		line := lineOf(d)
		var p unPerson
		if err := d.DecodeElement(&p, &se); err != nil {
			return nil, fmt.Errorf("%w: UN XML line %d: %v", ErrFormat, line, err)
		}
		e, err := p.entry(se.Name.Local)
		if err != nil {
			return nil, fmt.Errorf("%w: UN XML line %d: %v", ErrFormat, line, err)
		}
		if seen[e.Ref] {
			return nil, fmt.Errorf("%w: UN XML line %d: %s listed twice", ErrFormat, line, e.Ref)
		}
		seen[e.Ref] = true
		entries = append(entries, e)
	}
	if !root {
		return nil, fmt.Errorf("%w: UN XML: no CONSOLIDATED_LIST", ErrFormat)
	}
	return entries, nil
}

func (p unPerson) entry(element string) (Entry, error) {
	var parts []string
	for _, s := range []string{p.First, p.Second, p.Third, p.Fourth} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	ref := strings.TrimSpace(p.Reference)
	if ref == "" {
		ref = strings.TrimSpace(p.DataID)
	}
	if ref == "" || len(parts) == 0 {
		return Entry{}, fmt.Errorf("%s without a reference number or a name", element)
	}
	kind := "individual"
	if element == "ENTITY" {
		kind = "entity"
	}
	e := Entry{Source: SourceUN, Ref: ref, Kind: kind, Names: []string{strings.Join(parts, " ")},
		Programs: strings.TrimSpace(p.ListType), Remarks: strings.TrimSpace(p.Comments)}
	for _, a := range append(p.Aliases, p.EntAliases...) {
		if a = strings.TrimSpace(a); a != "" {
			e.Names = append(e.Names, a)
		}
	}
	if o := strings.TrimSpace(p.Original); o != "" {
		e.Names = append(e.Names, o)
	}
	for _, n := range e.Names {
		if len(n) > maxField {
			return Entry{}, fmt.Errorf("%s %s: a name longer than %d bytes", element, ref, maxField)
		}
	}
	return e, nil
}

func lineOf(d *xml.Decoder) int {
	line, _ := d.InputPos()
	return line
}

// Sniff tells the list format of a file's first bytes: SourceUN for XML,
// SourceOFAC otherwise.
func Sniff(head []byte) string {
	if bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("<")) {
		return SourceUN
	}
	return SourceOFAC
}
