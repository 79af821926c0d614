package web

import "time"

// Every bound of the web app, with why.
const (
	// A person mistypes a password a few times; a script guessing one
	// account's password is stopped after loginFailuresPerAccount wrong
	// ones in the window (whatever addresses it comes from) …
	loginFailuresPerAccount = 5
	loginAccountWindow      = 15 * time.Minute
	// … and one address guessing many accounts after loginTriesPerIP tries.
	// Generous: many people may share an address (a carrier's NAT).
	loginTriesPerIP = 30
	loginIPWindow   = 10 * time.Minute
	// Registrations from one address: people sign up once.
	signupsPerIP   = 10
	signupIPWindow = time.Hour

	// maxFormBytes bounds a form body; maxUploadBytes a photo of a QR code.
	maxFormBytes   = 64 << 10
	maxUploadBytes = 8 << 20
	// maxImagePixels bounds a decoded photo (a 12-megapixel phone camera
	// fits), so that a small file that claims a huge size is refused
	// before it is decoded.
	maxImagePixels = 25_000_000

	// sessionCookieAge is how long the browser keeps the session cookie;
	// the session itself ends when the wallet says (30 days).
	sessionCookieAge = 30 * 24 * time.Hour
	langCookieAge    = 365 * 24 * time.Hour

	// billsPerPage is how many bills the list shows at a time.
	billsPerPage = 20
)
