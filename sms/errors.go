package sms

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/twilio/twilio-go/client"
)

// Twilio error codes textdesk acts on. The full list is at
// https://www.twilio.com/docs/api/errors.
const (
	CodeAuthenticate     = 20003 // wrong account SID or auth token
	CodeTooManyRequests  = 20429
	CodeInvalidTo        = 21211
	CodeToUnreachable    = 21214
	CodeRegionNotEnabled = 21408
	CodeBodyRequired     = 21602
	CodeFromNotCapable   = 21606
	CodeTrialUnverified  = 21608
	CodeUnsubscribed     = 21610
	CodeQueueFull        = 21611 // the sender's queue at Twilio holds 10 hours of messages
	CodeCannotRoute      = 21612
	CodeNotMobile        = 21614
	CodeBodyTooLong      = 21617
)

// reasons are what an agent reads when Twilio refuses or cannot deliver a message.
var reasons = map[int]string{
	CodeAuthenticate:     "textdesk could not authenticate with Twilio (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
	CodeTooManyRequests:  "Twilio is rate limiting the account",
	CodeInvalidTo:        "the recipient's number is not a valid phone number",
	CodeToUnreachable:    "the recipient's number cannot be reached",
	CodeRegionNotEnabled: "sending to the recipient's country is not enabled on the Twilio account",
	CodeBodyRequired:     "the message is empty",
	CodeFromNotCapable:   "the team's number cannot send SMS to this recipient",
	CodeTrialUnverified:  "a Twilio trial account can only send to verified numbers",
	CodeUnsubscribed:     "the recipient has unsubscribed from this number (they replied STOP)",
	CodeQueueFull:        "the team's number has more messages queued at Twilio than it can send in 10 hours",
	CodeCannotRoute:      "Twilio cannot route messages between the team's number and this recipient",
	CodeNotMobile:        "the recipient's number is not a mobile number and cannot receive SMS",
	CodeBodyTooLong:      "the message is longer than Twilio accepts (1600 characters)",
	30001:                "Twilio's queue for the number overflowed",
	30002:                "the Twilio account is suspended",
	30003:                "the recipient's phone is unreachable (switched off or out of coverage)",
	30004:                "the message was blocked by the recipient or their carrier",
	30005:                "the recipient's number is unknown or no longer in service",
	30006:                "the recipient's number is a landline or its carrier cannot receive SMS",
	30007:                "the carrier filtered the message as spam",
	30008:                "the carrier reported an unknown delivery error",
	30032:                "the team's toll-free number is not verified",
	30034:                "the team's number is not registered for A2P 10DLC",
}

// Reason is a readable explanation of a Twilio error code, or "" when textdesk does
// not know the code.
func Reason(code int) string { return reasons[code] }

// Failure is a classified failed Twilio request.
type Failure struct {
	// Permanent: Twilio will refuse this message however often it is retried.
	Permanent bool
	// Code is Twilio's error code; 0 when Twilio did not answer (network, timeout).
	Code int
	// HTTPStatus is Twilio's HTTP status; 0 when Twilio did not answer.
	HTTPStatus int
	// Reason is written for the agent: what happened, in words.
	Reason string
	// OptedOut: Twilio refused because the recipient unsubscribed (21610).
	OptedOut bool
}

// Classify sorts a twilio-go error into permanent and transient:
//
//   - transient, retried with backoff: no answer (network errors, timeouts), HTTP 429
//     or Twilio error 20429, 21611 (the sender's queue at Twilio is full), any 5xx, and
//     authentication failures (401/20003: the credentials are wrong, not the message;
//     messages flow again once an operator fixes them, within the validity period);
//   - permanent: every other 4xx, e.g. 21211 invalid To, 21614 not a mobile number,
//     21610 unsubscribed, 21408 region not enabled, 21606 From not capable.
func Classify(err error) Failure {
	var rest *client.TwilioRestError
	if !errors.As(err, &rest) {
		return Failure{Reason: fmt.Sprintf("Twilio did not answer: %v", err)}
	}
	f := Failure{Code: rest.Code, HTTPStatus: rest.Status, OptedOut: rest.Code == CodeUnsubscribed}
	transient := rest.Status == http.StatusTooManyRequests || rest.Code == CodeTooManyRequests || rest.Code == CodeQueueFull ||
		rest.Status >= 500 || rest.Status < 400 ||
		rest.Status == http.StatusUnauthorized || rest.Code == CodeAuthenticate
	f.Permanent = !transient
	reason := Reason(rest.Code)
	if reason == "" {
		reason = rest.Message
	}
	if reason == "" {
		reason = http.StatusText(rest.Status)
	}
	f.Reason = fmt.Sprintf("%s (Twilio error %d)", reason, rest.Code)
	return f
}
