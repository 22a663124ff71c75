package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/textdesk/textdesk/conversation"
)

var (
	errNotFoundRoute    = conversation.Errorf(conversation.ENotFound, "no such endpoint; see docs/api.md or GET /openapi.yaml")
	errMethodNotAllowed = &conversation.Error{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}
)

// unavailableRetryAfter is the Retry-After, in seconds, of a 503.
const unavailableRetryAfter = 5

// statusOf is the one place error codes become HTTP statuses.
func statusOf(code string) int {
	switch code {
	case conversation.EInvalid:
		return http.StatusBadRequest
	case conversation.EUnprocessable:
		return http.StatusUnprocessableEntity
	case conversation.EUnauthorized:
		return http.StatusUnauthorized
	case conversation.EForbidden:
		return http.StatusForbidden
	case conversation.ENotFound:
		return http.StatusNotFound
	case conversation.EConflict:
		return http.StatusConflict
	case "method_not_allowed":
		return http.StatusMethodNotAllowed
	case codeTooManyRequests:
		return http.StatusTooManyRequests
	case conversation.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers {"error": {"code", "message"}}. Internal errors are logged with the
// request id and answered with a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var body errorBody
	body.Error.Code = conversation.ErrorCode(err)
	body.Error.Message = conversation.ErrorMessage(err)
	status := statusOf(body.Error.Code)
	var later *retryLater
	if errors.As(err, &later) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(later.after.Seconds())))))
	} else if status == http.StatusServiceUnavailable {
		// A dependency (Temporal, its workers) did not answer in time: a client that
		// retries at once only adds load.
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
	}
	if status >= 500 {
		loggerFrom(r).Error("request failed", "error", err)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
