package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// demoUsers are the people --demo creates: a newcomer logs in as one of
// them and sees a living wallet — verified identity, a verified bank card
// (through the sandbox bank), and a balance.
var demoUsers = []struct {
	phone, name string
	docType     string
	country     string
	doc         string // resident id without its check character, or a passport number
	cardPrefix  string // 18 digits; the check digit is added
	cny         int64
}{
	{"+8613800138000", "王小明", "resident_id", "", "11010519900307123", "622202020011223344", 5_000_00},
	{"+8613900139000", "李华", "resident_id", "", "31010419920815246", "621700123456789012", 3_000_00},
	{"+6591234567", "Tan Mei Ling", "passport", "SGP", "E1234567K", "455952123456789012", 1_000_00},
}

const (
	demoPassword = "demo-Pass-2026"
	demoPIN      = "258036"
)

// seedDemo creates the demo users; on a database that has them, it
// changes nothing.
func seedDemo(ctx context.Context, w *wallet.Service, log *slog.Logger) error {
	for _, d := range demoUsers {
		u, err := w.Register(ctx, wallet.Registration{Phone: d.phone, Password: demoPassword, Name: d.name})
		if e, ok := wallet.AsError(err); ok && e.Code == wallet.CodePhoneTaken {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := demoSetup(ctx, w, u, d.docType, d.country, d.doc, d.cardPrefix, d.cny); err != nil {
			return fmt.Errorf("demo %s: %w", d.phone, err)
		}
	}
	log.Info("demo data: log in with any of these", "phones", phonesOf(), "password", demoPassword, "payment_pin", demoPIN)
	return nil
}

func demoSetup(ctx context.Context, w *wallet.Service, u wallet.User, docType, country, doc, cardPrefix string, cny int64) error {
	if err := w.SetPIN(ctx, u, demoPassword, demoPIN); err != nil {
		return err
	}
	if docType == "resident_id" {
		doc += string(kyc.IDCheckChar(doc))
	}
	u, err := w.VerifyIdentity(ctx, u, wallet.IdentityRequest{Name: u.Name, Type: docType, Country: country, Number: doc})
	if err != nil {
		return err
	}
	card, err := w.LinkCard(ctx, u, cardPrefix+luhnDigit(cardPrefix), u.Name)
	if err != nil {
		return err
	}
	if _, err := w.VerifyCard(ctx, u, card.ID, card.SandboxCode); err != nil {
		return err
	}
	return w.DemoFund(ctx, u.ID, "CNY", cny)
}

// luhnDigit is the check digit that makes digits+it pass the Luhn check.
func luhnDigit(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return string(rune('0' + (10-sum%10)%10))
}

func phonesOf() []string {
	out := make([]string, len(demoUsers))
	for i, d := range demoUsers {
		out[i] = d.phone
	}
	return out
}
