package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// decodeStrict decodes a JSON body into v in one pass: unknown fields,
// wrong types and trailing data are refused with a problem that says
// where. The hot write endpoints use it instead of the schema validator,
// which parses every body twice.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err, body)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
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
		return problem(http.StatusBadRequest, CodeMalformedRequest, fmt.Sprintf("the body is not valid JSON: %v (at byte %d)", syn, syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem(http.StatusBadRequest, CodeMalformedRequest, "the body is not valid JSON: it ends too early")
	case errors.As(err, &typ):
		loc := "body"
		if typ.Field != "" {
			loc += "." + typ.Field
		}
		msg := fmt.Sprintf("expected %s, got %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		if typ.Value == "number" && strings.Contains(typ.Type.String(), "int") {
			msg = "expected an integer (amounts are integers in minor units)"
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
