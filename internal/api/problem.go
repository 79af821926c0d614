package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// Problem is an RFC 9457 problem details object with a stable
// machine-readable code. Every error the API returns is one.
type Problem struct {
	Type     string              `json:"type,omitempty" doc:"A URI reference that identifies the problem type."`
	Title    string              `json:"title" doc:"A short summary of the problem type."`
	Status   int                 `json:"status" doc:"The HTTP status code."`
	Code     string              `json:"code" doc:"A stable machine-readable code, e.g. invalid_request or account_not_found."`
	Detail   string              `json:"detail,omitempty" doc:"An explanation specific to this occurrence."`
	Instance string              `json:"instance,omitempty" doc:"A URI reference that identifies this occurrence."`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty" doc:"The individual problems with the request, with their location."`
	// Extensions are further members a client can act on (RFC 9457 §3.2),
	// such as remaining_tries of a wrong PIN or the limit that was hit.
	Extensions map[string]any `json:"-"`
}

// MarshalJSON writes the extension members beside the standard ones.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal((*plain)(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	ext, err := json.Marshal(p.Extensions)
	if err != nil {
		return nil, err
	}
	// Both are objects: join them, the standard members first.
	return append(append(b[:len(b)-1], ','), ext[1:]...), nil
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Code + ": " + p.Detail
	}
	return p.Code
}

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter: problems are sent as
// application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// Stable codes for the problems the HTTP layer itself finds. Business
// outcomes (a transfer that exceeds credits) are not problems: they are
// per-transfer statuses in a successful answer.
const (
	CodeMalformedRequest = "malformed_request" // the body is not JSON, or not of the right shape
	CodeInvalidRequest   = "invalid_request"   // well-formed, but a field is missing or invalid
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeTooLarge         = "request_too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeConflict         = "conflict"
	CodeUnavailable      = "service_unavailable"
	CodeInternal         = "internal_error"
)

var statusCodes = map[int]string{
	http.StatusBadRequest:            CodeMalformedRequest,
	http.StatusUnprocessableEntity:   CodeInvalidRequest,
	http.StatusUnauthorized:          CodeUnauthorized,
	http.StatusForbidden:             CodeForbidden,
	http.StatusNotFound:              CodeNotFound,
	http.StatusMethodNotAllowed:      CodeMethodNotAllowed,
	http.StatusRequestEntityTooLarge: CodeTooLarge,
	http.StatusUnsupportedMediaType:  CodeUnsupportedMedia,
	http.StatusConflict:              CodeConflict,
	http.StatusServiceUnavailable:    CodeUnavailable,
	http.StatusInternalServerError:   CodeInternal,
}

// codeFor returns the default code of a status.
func codeFor(status int) string {
	if c, ok := statusCodes[status]; ok {
		return c
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeInvalidRequest
}

// problem returns a problem with a specific code.
func problem(status int, code, detail string, errs ...*huma.ErrorDetail) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Code: code, Detail: detail, Errors: errs}
}

// newHumaError replaces huma.NewError, so that errors huma finds itself
// (bad JSON, schema violations, bodies too large) are problems with codes.
func newHumaError(status int, msg string, errs ...error) huma.StatusError {
	if status >= 500 {
		for _, err := range errs {
			var p *Problem
			if errors.As(err, &p) {
				return p
			}
		}
		// An error no handler mapped: log it, tell the client nothing of
		// the internals.
		slog.Error("api: unexpected error", "status", status, "msg", msg, "err", errors.Join(errs...))
		return problem(status, codeFor(status), "an unexpected error occurred; it has been logged")
	}
	var details []*huma.ErrorDetail
	for _, err := range errs {
		if err == nil {
			continue
		}
		var p *Problem
		if errors.As(err, &p) {
			return p
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			details = append(details, d.ErrorDetail())
		} else {
			details = append(details, &huma.ErrorDetail{Message: err.Error()})
		}
	}
	for _, d := range details {
		d.Value = clip(d.Value)
	}
	if status == http.StatusBadRequest && msg == "" && len(details) > 0 {
		msg = details[0].Message
	}
	return problem(status, codeFor(status), msg, details...)
}

func init() {
	// huma's error constructor is a package variable; this package is the
	// only user of huma, so it sets it once for every API.
	huma.NewError = newHumaError
}

// invalid returns a 422 problem for a field.
func invalid(location, format string, args ...any) *Problem {
	msg := fmt.Sprintf(format, args...)
	return problem(http.StatusUnprocessableEntity, CodeInvalidRequest, msg,
		&huma.ErrorDetail{Location: location, Message: msg})
}

// clip keeps an echoed value short: a problem names what was wrong, it does
// not send the request back.
func clip(v any) any {
	const most = 128
	if s, ok := v.(string); ok && len(s) > most {
		return s[:most] + "…"
	}
	return v
}
