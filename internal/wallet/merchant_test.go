package wallet

import "testing"

// The worked example of docs/merchant.md, computed independently with
// sha256sum and openssl (see the doc): the signature a merchant's code
// must produce.
func TestSignatureWorkedExample(t *testing.T) {
	body := []byte(`{"out_trade_no":"20261125-0042","amount":3550,"currency":"CNY","description":"两笼小笼包"}`)
	base := SignatureBase("POST", "/v1/merchant/orders", "1764072000", "7f3c9a1e2b", body)
	wantBase := "POST\n/v1/merchant/orders\n1764072000\n7f3c9a1e2b\nb152362dfb7cde86f8c1b626994dd3881492d543ba0478e0fed33c7e5362905d\n"
	if base != wantBase {
		t.Errorf("base %q, want %q", base, wantBase)
	}
	got := Sign("sk_live_demo0000000000000000000000000000000000", "POST", "/v1/merchant/orders", "1764072000", "7f3c9a1e2b", body)
	if want := "5Ja03sIrGcUA3VhScztH3yyOk3KBbjRh1ULbIji6h2U="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

func TestFeeRounding(t *testing.T) {
	for _, c := range []struct {
		amount int64
		bps    int
		want   int64
	}{{3550, 60, 21}, {1000, 60, 6}, {1, 60, 0}, {83, 60, 0}, {84, 60, 1}, {100_000_000, 60, 600_000}, {1_000_000_000_000, 10_000, 1_000_000_000_000}} {
		if got := fee(c.amount, c.bps); got != c.want {
			t.Errorf("fee(%d, %d) = %d, want %d", c.amount, c.bps, got, c.want)
		}
	}
}

func TestFeeShareDoesNotOverflow(t *testing.T) {
	// An order of 10¹² minor units with a 100 % fee: the product is 10²⁴.
	const amount = 1_000_000_000_000
	if got := feeShare(amount, amount/2, amount); got != amount/2 {
		t.Errorf("feeShare = %d, want %d", got, amount/2)
	}
	if got := feeShare(21, 1000, 3550); got != 5 {
		t.Errorf("feeShare(21, 1000, 3550) = %d, want 5", got)
	}
	if got := feeShare(21, 3550, 3550); got != 21 {
		t.Errorf("all refunded: %d, want the whole fee 21", got)
	}
}
