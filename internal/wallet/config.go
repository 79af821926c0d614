package wallet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/shiliantong/shiliantong/internal/screening"
	"time"

	"github.com/shiliantong/shiliantong/internal/money"
)

// Tier is a user's know-your-customer level.
type Tier int

// The tiers: what a user has proved decides how much they may hold and move.
const (
	Tier0 Tier = 0 // a verified mobile number only
	Tier1 Tier = 1 // real name verified against an identity document
	Tier2 Tier = 2 // and a bank card in that name verified with its bank
)

// TierLimits are the limits of one tier in one currency, in minor units.
// Zero means "no money-out at all" for DailyOutflow and "no cap" for
// BalanceCap.
type TierLimits struct {
	BalanceCap    int64 `json:"balance_cap"`    // most a wallet may hold; 0 = no cap
	DailyOutflow  int64 `json:"daily_outflow"`  // most that may leave the wallet per day (transfers, withdrawals)
	WithdrawalFee int64 `json:"withdrawal_fee"` // flat fee per withdrawal
}

// Limits are the tier limits per currency: Limits["CNY"][Tier1].
type Limits map[string][3]TierLimits

// Config is the wallet's configuration: one typed struct, no globals.
type Config struct {
	// Limits per currency and tier. A currency absent here can not be held.
	Limits Limits
	// PINMaxTries wrong PINs in a row lock the PIN for PINLockFor.
	PINMaxTries int
	PINLockFor  time.Duration
	// SessionTTL is how long a session lasts without logging in again.
	SessionTTL time.Duration
	// Day is the time zone whose midnight starts a new day for daily limits.
	Day *time.Location
	// NoPINMaxPerTx and NoPINMaxDaily bound what a user may set for
	// password-free payments (per currency, minor units of CNY scale).
	NoPINMaxPerTx map[string]int64
	NoPINMaxDaily map[string]int64
	// PaycodeStep, if set, replaces the payment codes' 60-second time
	// step (benchmarks: a simulated phone may pay once per step).
	PaycodeStep time.Duration
	// WebhookBackoff is the wait before a failed webhook's second attempt;
	// it doubles at each attempt (0: one second).
	WebhookBackoff time.Duration
	// PasswordParams and PINParams are the argon2id costs.
	PasswordParams HashParams
	PINParams      HashParams
	// Disputes (disputes.go): the merchant answers a ticket within
	// DisputeMerchantSLA and is reminded DisputeReminderBefore its end;
	// the operators decide within DisputeOperatorSLA; a ticket holds at
	// most DisputeMaxAttachments images of at most
	// DisputeAttachmentMaxBytes each. Zero means the default.
	DisputeMerchantSLA        time.Duration
	DisputeOperatorSLA        time.Duration
	DisputeReminderBefore     time.Duration
	DisputeMaxAttachments     int
	DisputeAttachmentMaxBytes int
	// ScreeningThreshold is the score (0..1) from which a name matches a
	// sanctions list entry; zero means screening.DefaultThreshold.
	ScreeningThreshold float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c Config) screeningThreshold() float64 {
	if c.ScreeningThreshold > 0 {
		return c.ScreeningThreshold
	}
	return screening.DefaultThreshold
}

// DefaultConfig returns limits of the kind a Chinese wallet operator
// publishes (class I/II/III accounts), in CNY and a few other currencies.
func DefaultConfig() Config {
	// tiers builds the three tiers from major units: the tier-0 balance cap
	// and the daily outflows, and the withdrawal fees in minor units.
	tiers := func(minor, cap0, out0, out1, out2, fee1, fee2 int64) [3]TierLimits {
		return [3]TierLimits{
			{BalanceCap: cap0 * minor, DailyOutflow: out0 * minor},
			{DailyOutflow: out1 * minor, WithdrawalFee: fee1},
			{DailyOutflow: out2 * minor, WithdrawalFee: fee2},
		}
	}
	return Config{
		Limits: Limits{
			"CNY": tiers(100, 1_000, 500, 20_000, 200_000, 2_00, 1_00),
			"HKD": tiers(100, 1_100, 550, 22_000, 220_000, 2_00, 1_00),
			"USD": tiers(100, 140, 70, 2_800, 28_000, 30, 15),
			"EUR": tiers(100, 130, 65, 2_600, 26_000, 30, 15),
			"SGD": tiers(100, 190, 95, 3_800, 38_000, 40, 20),
			"JPY": tiers(1, 21_000, 10_500, 420_000, 4_200_000, 40, 20),
		},
		PINMaxTries:    5,
		PINLockFor:     3 * time.Hour,
		SessionTTL:     30 * 24 * time.Hour,
		Day:            time.FixedZone("CST", 8*3600),
		NoPINMaxPerTx:  map[string]int64{"CNY": 2_000_00},
		NoPINMaxDaily:  map[string]int64{"CNY": 5_000_00},
		PasswordParams: DefaultPasswordParams,
		PINParams:      DefaultPINParams,

		DisputeMerchantSLA:        DefaultDisputeMerchantSLA,
		DisputeOperatorSLA:        DefaultDisputeOperatorSLA,
		DisputeReminderBefore:     DefaultDisputeReminderBefore,
		DisputeMaxAttachments:     DefaultDisputeMaxAttachments,
		DisputeAttachmentMaxBytes: DefaultDisputeAttachmentMaxBytes,
	}
}

// Validate reports a configuration that can not work.
func (c *Config) Validate() error {
	if len(c.Limits) == 0 {
		return fmt.Errorf("wallet config: no currency has limits")
	}
	for cur, tiers := range c.Limits {
		if _, err := money.Lookup(cur); err != nil {
			return fmt.Errorf("wallet config: limits for unknown currency %q", cur)
		}
		for t := 1; t < len(tiers); t++ {
			if tiers[t].DailyOutflow < tiers[t-1].DailyOutflow {
				return fmt.Errorf("wallet config: %s tier %d daily outflow is below tier %d's", cur, t, t-1)
			}
		}
		for t, l := range tiers {
			if l.BalanceCap < 0 || l.DailyOutflow < 0 || l.WithdrawalFee < 0 {
				return fmt.Errorf("wallet config: %s tier %d has a negative limit", cur, t)
			}
		}
	}
	if c.PINMaxTries < 1 || c.PINLockFor <= 0 || c.SessionTTL <= 0 || c.Day == nil {
		return fmt.Errorf("wallet config: PIN tries, PIN lock, session lifetime and day zone must be set")
	}
	if c.DisputeMerchantSLA < 0 || c.DisputeOperatorSLA < 0 || c.DisputeReminderBefore < 0 || c.DisputeMaxAttachments < 0 || c.DisputeAttachmentMaxBytes < 0 {
		return fmt.Errorf("wallet config: dispute deadlines and attachment bounds must not be negative")
	}
	if c.DisputeAttachmentMaxBytes > 8<<20 {
		return fmt.Errorf("wallet config: dispute attachments of more than 8 MiB are not served")
	}
	return nil
}

// ParseLimits reads tier limits from JSON: for each currency, the three
// tiers' balance_cap, daily_outflow and withdrawal_fee in minor units,
// e.g. {"CNY": [{"balance_cap": 100000, "daily_outflow": 50000}, …]}.
// Unknown fields, currencies and anything but three tiers are errors.
func ParseLimits(data []byte) (Limits, error) {
	var raw map[string][]TierLimits
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	out := Limits{}
	for cur, tiers := range raw {
		if len(tiers) != 3 {
			return nil, fmt.Errorf("limits: %s has %d tiers, want 3 (tier 0, 1, 2)", cur, len(tiers))
		}
		out[cur] = [3]TierLimits{tiers[0], tiers[1], tiers[2]}
	}
	c := DefaultConfig()
	c.Limits = out
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}
