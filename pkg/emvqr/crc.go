package emvqr

import "fmt"

// CRC16 returns the CRC-16/CCITT-FALSE of data: polynomial 0x1021,
// initial value 0xFFFF, input and output not reflected, no final XOR. This
// is the checksum of EMV QRCPS section 4.7.3 (ISO/IEC 13239).
func CRC16(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// Checksum returns the CRC16 of the UTF-8 bytes of s as four upper-case
// hexadecimal digits. For a payload, s is everything before the CRC value,
// ending with "6304".
func Checksum(s string) string {
	return fmt.Sprintf("%04X", CRC16([]byte(s)))
}
