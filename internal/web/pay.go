package web

import (
	"errors"
	"image"
	_ "image/gif" // photos of QR codes
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// 扫一扫: the payer scans a code — pasted, a photo decoded here, or the
// camera where the browser can read codes (BarcodeDetector) — and the
// wallet says who is paid before the PIN pays it.

func (a *App) routesPay(get, post func(string, http.HandlerFunc)) {
	get("/app/scan", a.scanPage)
	get("/app/pay", a.payPage)
	post("/app/pay", a.pay)
	a.routesPaycode(get, post)
}

// routesUpload are the routes that take a file.
func (a *App) routesUpload(mux *http.ServeMux) {
	mux.HandleFunc("POST /app/scan", a.upload(a.authed(a.scan)))
}

// upload wraps a POST handler that takes a file: the body is bounded by
// maxUploadBytes, and the CSRF token checked.
func (a *App) upload(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			err = r.ParseMultipartForm(1 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			a.renderError(w, r, http.StatusRequestEntityTooLarge, "err.too_large")
			return
		}
		if !a.csrf.valid(r) {
			a.renderError(w, r, http.StatusForbidden, "err.csrf")
			return
		}
		h(w, r)
	}
}

func (a *App) scanView(w http.ResponseWriter, r *http.Request) *view {
	v := a.newView(w, r, "scan.title")
	v.Nav = "home"
	v.Scripts = []string{"scan.js"}
	return v
}

func (a *App) scanPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "scan", a.scanView(w, r))
}

// scan takes a pasted payload or a photo, and goes on to pay a merchant
// or to send money to a person's receive code.
func (a *App) scan(w http.ResponseWriter, r *http.Request) {
	v := a.scanView(w, r)
	payload := strings.TrimSpace(r.PostFormValue("payload"))
	if payload == "" && r.MultipartForm != nil {
		files := r.MultipartForm.File["photo"]
		if len(files) == 0 {
			a.invalid(w, r, "scan", v, "err.no_code")
			return
		}
		text, err := decodeQR(files[0])
		if err != nil {
			a.invalid(w, r, "scan", v, "err.no_qr")
			return
		}
		payload = text
	}
	if payload == "" {
		a.invalid(w, r, "scan", v, "err.no_code")
		return
	}
	if strings.HasPrefix(payload, "http://") || strings.HasPrefix(payload, "https://") {
		// A person's receive code: a URL of this wallet.
		http.Redirect(w, r, "/app/transfer?to="+url.QueryEscape(payload), http.StatusSeeOther)
		return
	}
	if _, err := a.w.Scan(r.Context(), payload); err != nil {
		v.Form.Set("payload", payload)
		a.formError(w, r, "scan", v, err)
		return
	}
	http.Redirect(w, r, "/app/pay?code="+url.QueryEscape(payload), http.StatusSeeOther)
}

// decodeQR reads the QR code in a photo.
func decodeQR(fh *multipart.FileHeader) (string, error) {
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return "", errors.New("image too large")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

type payData struct {
	Code    string
	Scanned wallet.Scanned
	Key     string
	Amount  int64 // the order's; 0 for a store code (the payer enters it)
}

func (a *App) payView(w http.ResponseWriter, r *http.Request, code string) (*view, error) {
	sc, err := a.w.Scan(r.Context(), code)
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "pay.title")
	v.Nav = "home"
	v.Scripts = []string{"app.js", "passkey.js"}
	key := r.PostFormValue("key")
	if key == "" {
		key = newKey()
	}
	d := payData{Code: code, Scanned: sc, Key: key}
	if sc.Order != nil {
		d.Amount = sc.Order.Amount
	}
	v.D = d
	return v, nil
}

func (a *App) payPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.payView(w, r, r.URL.Query().Get("code"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if o := v.D.(payData).Scanned.Order; o != nil && o.Status != wallet.OrderNotPay {
		v.Error = v.T("pay.not_payable")
	}
	a.render(w, r, http.StatusOK, "pay", v)
}

func (a *App) pay(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("code")
	v, err := a.payView(w, r, code)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(payData)
	amount := d.Amount
	if d.Scanned.Order == nil {
		var ok bool
		if amount, ok = amountOf(r.PostFormValue("amount"), "CNY"); !ok {
			a.invalid(w, r, "pay", v, "err.amount")
			return
		}
	}
	rc, err := a.w.PayMerchant(r.Context(), userOf(r), wallet.ScanPayment{Payload: code, Amount: amount, PIN: r.PostFormValue("pin"),
		Passkey: []byte(r.PostFormValue("passkey")), IdempotencyKey: r.PostFormValue("key"), SessionStarted: sessionOf(r).CreatedAt, Device: sessionOf(r).DeviceID})
	if err != nil {
		a.formError(w, r, "pay", v, err)
		return
	}
	http.Redirect(w, r, "/app/bills/"+rc.TransferID+"?done=1", http.StatusSeeOther)
}
