package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

const maxJSONBody = 64 << 10

// decodeJSON reads exactly one JSON object into v, refusing unknown fields so a typo
// in a field name is an error rather than a silently ignored setting.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONUpTo(w, r, v, maxJSONBody)
}

// decodeJSONUpTo is decodeJSON with a body limit of its own (a batch's is larger).
func decodeJSONUpTo(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return conversation.Errorf(conversation.EInvalid, "Content-Type must be application/json")
		}
	}
	return decodeJSONFrom(http.MaxBytesReader(w, r.Body, limit), v, limit)
}

// decodeJSONFrom decodes one JSON object from rd into v with decodeJSON's rules and
// messages; limit only words the message when rd was cut by an http.MaxBytesReader.
func decodeJSONFrom(rd io.Reader, v any, limit int64) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var when *time.ParseError
		switch {
		case errors.As(err, &tooBig):
			return conversation.Errorf(conversation.EUnprocessable, "request body is larger than %d bytes", limit)
		case errors.Is(err, io.EOF):
			return conversation.Errorf(conversation.EInvalid, "request body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return conversation.Errorf(conversation.EInvalid, "request body is not valid JSON (at byte %d)", syntax.Offset)
		case errors.As(err, &typ):
			return conversation.Errorf(conversation.EInvalid, "field %q must be %s", typ.Field, typ.Type)
		case errors.As(err, &when):
			return conversation.Errorf(conversation.EInvalid, "%q is not a time: send RFC 3339, e.g. 2030-01-02T09:00:00Z", strings.Trim(when.Value, `"`))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return conversation.Errorf(conversation.EInvalid, "%s", strings.TrimPrefix(err.Error(), "json: "))
		default:
			return conversation.Errorf(conversation.EInvalid, "request body is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return conversation.Errorf(conversation.EInvalid, "request body must hold a single JSON object")
	}
	return nil
}

// optional is a request field that tells apart absent, null and a value, for PATCH
// bodies where absent means "unchanged" and null may mean "clear".
type optional[T any] struct {
	Set   bool // the field was in the body
	Null  bool // it was null
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// ptr returns the value as a pointer: nil when absent. A null is refused, naming the
// field, unless the caller handles Null itself first.
func (o optional[T]) ptr(field string) (*T, error) {
	if !o.Set {
		return nil, nil
	}
	if o.Null {
		return nil, conversation.Errorf(conversation.EInvalid, "%s must not be null", field)
	}
	return &o.Value, nil
}
