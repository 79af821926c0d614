package kyc

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCountryTable(t *testing.T) {
	codes := strings.Fields(iso3166Alpha3)
	if len(codes) != 249 || len(countries) != 249 {
		t.Errorf("%d codes, %d in the set; want 249", len(codes), len(countries))
	}
	if !slices.IsSorted(codes) {
		t.Error("codes are not sorted")
	}
	for i, code := range codes {
		if len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Errorf("code %q is not three letters A-Z", code)
		}
		if i > 0 && codes[i-1] == code {
			t.Errorf("code %q is listed twice", code)
		}
	}
}

// isoCodesJSON is the ISO 3166-1 list of Debian's iso-codes package.
const isoCodesJSON = "/usr/share/iso-codes/json/iso_3166-1.json"

// TestCountryTableMatchesISOCodes compares the table with the iso-codes
// package's copy of ISO 3166-1 where it is installed.
func TestCountryTableMatchesISOCodes(t *testing.T) {
	data, err := os.ReadFile(isoCodesJSON)
	if err != nil {
		t.Skipf("no iso-codes list to compare with: %v", err)
	}
	var list struct {
		Countries []struct {
			Alpha3 string `json:"alpha_3"`
		} `json:"3166-1"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range list.Countries {
		want = append(want, c.Alpha3)
	}
	slices.Sort(want)
	if got := strings.Fields(iso3166Alpha3); !slices.Equal(got, want) {
		t.Errorf("table differs from %s:\n got %v\nwant %v", isoCodesJSON, got, want)
	}
}
