package bank

import "testing"

// TestBINTable checks that every row is well formed and that no two rows
// of the same length overlap, so the longest-prefix match is never a tie.
func TestBINTable(t *testing.T) {
	for i, r := range binTable {
		if _, ok := binDigits(r.lo); !ok || len(r.lo) != len(r.hi) || r.lo > r.hi {
			t.Errorf("row %d: bad range %q-%q", i, r.lo, r.hi)
		}
		if r.network == "" || (r.issuer == "") != (r.typ == CardUnknown) {
			t.Errorf("row %d (%s): issuer %q, network %q, type %q", i, r.lo, r.issuer, r.network, r.typ)
		}
		for j, o := range binTable[:i] {
			if len(o.lo) == len(r.lo) && o.lo <= r.hi && r.lo <= o.hi {
				t.Errorf("rows %d (%s-%s) and %d (%s-%s) overlap", j, o.lo, o.hi, i, r.lo, r.hi)
			}
		}
	}
}

// TestIssuerRowsMatchNetwork checks that each issuer BIN lies in its
// network's range, so the issuer rows cannot contradict the networks.
func TestIssuerRowsMatchNetwork(t *testing.T) {
	for _, r := range binTable {
		if r.typ == CardUnknown {
			continue
		}
		found := false
		for _, n := range binTable {
			if n.typ == CardUnknown && n.matches(r.lo) {
				found = found || n.network == r.network
			}
		}
		// 60xxxx UnionPay BINs predate the 62 range.
		if !found && !(r.network == NetworkUnionPay && r.lo[:2] == "60") {
			t.Errorf("issuer BIN %s (%s) is outside the %s ranges", r.lo, r.issuer, r.network)
		}
	}
}
