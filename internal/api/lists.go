package api

// The answers that are lists, each under its own name.
type (
	cardsOutput struct {
		Body struct {
			Cards []CardView `json:"cards"`
		}
	}
	ordersOutput struct {
		Body struct {
			Orders []OrderView `json:"orders"`
		}
	}
	requestsOutput struct {
		Body struct {
			Requests []PaymentRequestView `json:"requests"`
		}
	}
	notificationsOutput struct {
		Body struct {
			Notifications []NotificationView `json:"notifications"`
		}
	}
	sessionsOutput struct {
		Body struct {
			Sessions []SessionView `json:"sessions"`
		}
	}
)

// mapSlice returns f applied to each element: a domain list as its view.
func mapSlice[A, B any](xs []A, f func(A) B) []B {
	out := make([]B, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Answers with a few fields.
type (
	merchantKeyOutput struct {
		Body struct {
			KeyID  string `json:"key_id"`
			Secret string `json:"secret,omitempty" doc:"Sign requests with it (HMAC-SHA256); it is not shown again. Absent for Ed25519 keys."`
		}
	}
	storeQROutput struct {
		Body struct {
			Payload string `json:"payload"`
			Balance int64  `json:"balance" doc:"The merchant's CNY balance, minor units."`
		}
	}
	enrolmentOutput struct {
		Body struct {
			Device      uint64 `json:"device"`
			Secret      string `json:"secret" doc:"base32; shown once."`
			Prefix      string `json:"prefix"`
			StepSeconds int    `json:"step_seconds"`
		}
	}
	webhookSecretOutput struct {
		Body struct {
			Secret string `json:"secret"`
		}
	}
	eventsOutput struct {
		Body struct {
			Events []WebhookEventView `json:"events"`
		}
	}
)
