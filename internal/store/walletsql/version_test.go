package walletsql

import (
	"context"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Every change to a merchant, its keys or its webhook moves the merchants'
// version on, in the store itself (servers' caches trust it); other writes
// leave it.
func TestMerchantsVersionMovesWithEveryMerchantChange(t *testing.T) {
	ctx := context.Background()
	for name, open := range bothStores(ctx) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			now := time.Now()
			last, err := s.MerchantsVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			step := func(what string, moves bool, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				v, err := s.MerchantsVersion(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if moves && v <= last {
					t.Errorf("%s: the version stayed at %d", what, v)
				}
				if !moves && v != last {
					t.Errorf("%s: the version moved from %d to %d", what, last, v)
				}
				last = v
			}
			u := &wallet.User{ID: "u1", Phone: "+8613800138000", Name: "王芳", Role: wallet.RoleUser, CreatedAt: now}
			step("a user", false, s.CreateUser(ctx, u, wallet.WalletAccount{UserID: "u1", Currency: "CNY", AccountID: ledger.NewID(), CreatedAt: now}))
			m := wallet.Merchant{ID: "m1", OwnerID: "u1", Name: "Shop", DisplayName: "Shop", MCC: "5411", Country: "CN", City: "Beijing", FeeBPS: 60, Status: "pending", CreatedAt: now}
			step("a new merchant", true, s.CreateMerchant(ctx, m))
			step("approval", true, s.ApproveMerchant(ctx, "m1", ledger.NewID().String()))
			step("a settlement card", true, s.SetSettlementCard(ctx, "m1", "card1"))
			step("a new key", true, s.CreateMerchantKey(ctx, wallet.MerchantKey{ID: "k1", MerchantID: "m1", Kind: "hmac", Secret: "sealed", Status: "active", CreatedAt: now}))
			step("a nonce", false, s.UseNonce(ctx, "k1", "n1", now))
			step("a revoked key", true, s.RevokeMerchantKey(ctx, "m1", "k1"))
			step("a webhook", true, s.SetWebhook(ctx, wallet.Webhook{MerchantID: "m1", URL: "https://shop.example/hook", Secret: "sealed", CreatedAt: now}))
			step("a webhook replaced", true, s.SetWebhook(ctx, wallet.Webhook{MerchantID: "m1", URL: "https://shop.example/hook2", Secret: "sealed", CreatedAt: now}))
		})
	}
}
