package paycode_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// The device derives a code offline; the server parses it, finds the
// device, verifies and records the counter so the code cannot be reused.
func Example() {
	cfg := paycode.DefaultConfig()
	dev := paycode.Device{Number: 1234567890, Secret: bytes.Repeat([]byte{1}, 32)}
	at := time.Date(2023, 11, 14, 22, 14, 10, 0, time.UTC)

	code, _ := paycode.Generate(dev, at, cfg)
	fmt.Println("code:", code)

	p, _ := paycode.Parse(code, cfg)
	fmt.Println("device:", p.Device)

	last := int64(0) // the stored last used counter of p.Device
	counter, err := paycode.VerifyAfter(dev, p, at.Add(20*time.Second), last, cfg)
	fmt.Println("counter:", counter, err)

	_, err = paycode.VerifyAfter(dev, p, at.Add(30*time.Second), counter, cfg)
	fmt.Println("again:", errors.Is(err, paycode.ErrReplay))
	// Output:
	// code: 770841298284111985
	// device: 1234567890
	// counter: 28333334 <nil>
	// again: true
}
