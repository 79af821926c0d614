package emvqr

import "testing"

// TestCRC16CheckValues checks the catalogue values and those the vectors
// file collected from go-khqr and vietqr.
func TestCRC16CheckValues(t *testing.T) {
	f := loadVectors(t)
	if len(f.CRCAlgorithm.CheckValues) != 7 {
		t.Fatalf("got %d check values, want 7", len(f.CRCAlgorithm.CheckValues))
	}
	for _, c := range f.CRCAlgorithm.CheckValues {
		if got := Checksum(c.Input); got != c.CRC {
			t.Errorf("Checksum(%q) = %s, want %s", c.Input, got, c.CRC)
		}
	}
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Errorf("CRC16(123456789) = %04X, want 29B1 (CRC-16/CCITT-FALSE check value)", got)
	}
}

// TestCRC16WorkedExample is the spec's Annex B example: the CRC runs over
// UTF-8 bytes although the lengths count characters.
func TestCRC16WorkedExample(t *testing.T) {
	ex := loadVectors(t).CRCAlgorithm.WorkedExample
	if got := Checksum(ex.Input); got != ex.CRC || got != "A13A" {
		t.Errorf("Checksum(worked example) = %s, want %s", got, ex.CRC)
	}
}
