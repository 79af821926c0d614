package api

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/segmentio/encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// decodeStrict decodes a JSON body into v in one pass: unknown fields,
// wrong types and trailing data are refused with a problem that says
// where. The hot write endpoints use it instead of the schema validator,
// which parses every body twice.
func decodeStrict(body []byte, v any) error {
	rest, err := json.Parse(body, v, json.DisallowUnknownFields)
	if err != nil {
		return jsonProblem(err, body)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return problem(http.StatusBadRequest, CodeMalformedRequest, "the body has data after its JSON value")
	}
	return nil
}

func jsonProblem(err error, body []byte) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return problem(http.StatusBadRequest, CodeMalformedRequest, "the request has no body")
	case errors.As(err, &syn):
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		if syn.Offset > 0 {
			msg += fmt.Sprintf(" (at byte %d)", syn.Offset)
		}
		return problem(http.StatusBadRequest, CodeMalformedRequest, "the body is not valid JSON: "+msg)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem(http.StatusBadRequest, CodeMalformedRequest, "the body is not valid JSON: it ends too early")
	case errors.As(err, &typ):
		loc := "body"
		if typ.Field != "" {
			loc += "." + jsonPath(typ.Field)
		}
		got := jsonValueKind(typ.Value)
		msg := fmt.Sprintf("expected %s, got %s", jsonKind(typ.Type.Kind().String()), got)
		if got == "a number" && strings.Contains(typ.Type.String(), "int") {
			msg = "expected an integer within range (amounts are integers in minor units)"
		}
		return problem(http.StatusUnprocessableEntity, CodeInvalidRequest, loc+": "+msg,
			&huma.ErrorDetail{Location: loc, Message: msg})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		msg := "unknown field " + field
		return problem(http.StatusUnprocessableEntity, CodeInvalidRequest, msg, &huma.ErrorDetail{Location: "body", Message: msg})
	}
	return problem(http.StatusBadRequest, CodeMalformedRequest, "the body could not be decoded: "+err.Error())
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "an integer"
	case goKind == "string":
		return "a string"
	case goKind == "slice":
		return "an array"
	case goKind == "struct", goKind == "map":
		return "an object"
	case goKind == "bool":
		return "true or false"
	}
	return goKind
}

// jsonPath writes a decoder's field path (transfers.0.amount) the way
// the other errors name fields (transfers[0].amount).
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// jsonValueKind names the kind of the offending JSON value. The decoder
// reports it as the quoted rest of the input from that value on, or as
// "number … overflows".
func jsonValueKind(raw string) string {
	if u, err := strconv.Unquote(raw); err == nil {
		raw = u
	} else if strings.HasPrefix(raw, "number") {
		return "a number"
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "a value"
	}
	switch c := raw[0]; {
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == 't' || c == 'f':
		return "true or false"
	case c == 'n':
		return "null"
	}
	return "a value"
}
