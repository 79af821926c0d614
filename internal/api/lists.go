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
