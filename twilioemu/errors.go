package twilioemu

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Twilio error codes the emulator returns.
const (
	codeInvalidParam     = 20001
	codeAuthenticate     = 20003
	codeTooManyRequests  = 20429
	codeInternal         = 20500
	codeMethodNotAllowed = 20004
	codeNotFound         = 20404
	codeInvalidTo        = 21211
	codeBodyRequired     = 21602
	codeFromRequired     = 21603
	codeToRequired       = 21604
	codeBadCallbackURL   = 21609
	codeBodyTooLong      = 21617
	codeBadMediaURL      = 21620
	codeTooManyMedia     = 21623
)

// apiError is a Twilio REST error; twilio-go decodes the JSON form into
// *client.TwilioRestError.
type apiError struct {
	Status  int    // HTTP status
	Code    int    // Twilio error code
	Message string // human-readable message
}

func errorf(status, code int, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *apiError) Error() string {
	return fmt.Sprintf("twilio error %d (HTTP %d): %s", e.Code, e.Status, e.Message)
}

type errorBody struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Code == codeAuthenticate {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	writeJSON(w, e.Status, errorBody{
		Code:     e.Code,
		Message:  e.Message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", e.Code),
		Status:   e.Status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // page URIs keep a literal "&", as Twilio's do
	// Encoding our own types cannot fail; a write error means the client
	// went away, which the handler cannot do anything about.
	_ = enc.Encode(v)
}
