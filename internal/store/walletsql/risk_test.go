package walletsql

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Decisions written in full chunks (the prepared INSERT, used again) and a
// shorter rest read back as they were written.
func TestRiskDecisionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, open := range bothStores(ctx) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			var all []wallet.RiskDecision
			for _, n := range []int{250, 100, 1} {
				ds := make([]wallet.RiskDecision, n)
				for i := range ds {
					k := len(all) + i
					ds[i] = wallet.RiskDecision{ID: ledger.NewID().String(), At: at.Add(time.Duration(k) * time.Millisecond), Kind: "paycode",
						UserID: fmt.Sprintf("u-%d", k%7), Counterparty: "merchant:m-1", Ref: ledger.NewID().String(), Device: fmt.Sprintf("paycode:%d", k),
						MCC: "5411", Amount: int64(100 + k), Currency: "CNY", NewDevice: k%3 == 0, Action: "allow", Score: float64(k%1000) / 1000,
						Model: "rules", Reasons: []string{fmt.Sprintf("r%d", k%4)}}
				}
				if err := s.InsertRiskDecisions(ctx, ds); err != nil {
					t.Fatal(err)
				}
				all = append(all, ds...)
			}
			got, err := s.RiskDecisions(ctx, at, at.Add(time.Hour), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(all) {
				t.Fatalf("read %d decisions, wrote %d", len(got), len(all))
			}
			for i := range all {
				if !reflect.DeepEqual(got[i], all[i]) {
					t.Fatalf("decision %d reads back as\n%+v\nwant\n%+v", i, got[i], all[i])
				}
			}
			// A decision already recorded is refused, not doubled.
			if err := s.InsertRiskDecisions(ctx, all[:100]); err == nil {
				t.Fatal("a second record of the same decisions was taken")
			}
		})
	}
}
