package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/store"
)

// SendResult is the message's state after the hand-off to Twilio.
type SendResult struct {
	SID    string
	Status string
	// Reason is set when the message was not sent, in words the agent can act on.
	Reason string
}

// ErrTypeSendRefused marks a send Twilio refused for good; the workflow must not retry it.
const ErrTypeSendRefused = "SendRefused"

// SendSMS hands one stored outbound message to Twilio. It is safe to retry: a message
// that already has a Twilio SID is not sent again.
//
// Remaining window: if the worker dies after Twilio accepted the message but before the
// SID is stored, a retry sends it again. Messaging correctness (issue 5) closes this by
// reconciling against Twilio's message list before re-sending.
func (a *Activities) SendSMS(ctx context.Context, messageID string) (SendResult, error) {
	m, err := a.Store.MessageForSend(ctx, messageID)
	if err != nil {
		return SendResult{}, temporalError(err)
	}
	if m.TwilioSID != nil {
		return SendResult{SID: *m.TwilioSID, Status: m.Status}, nil
	}
	if m.Status == store.MsgFailed {
		return SendResult{Status: m.Status, Reason: deref(m.ErrorMessage)}, nil
	}
	if m.ContactOptedOut || m.ContactBlocked {
		reason := "not sent: the contact has opted out of messages"
		if m.ContactBlocked {
			reason = "not sent: the contact is blocked"
		}
		return SendResult{Status: store.MsgFailed, Reason: reason}, a.Store.MarkFailed(ctx, messageID, 0, reason)
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To).SetFrom(m.From).SetBody(m.Body)
	if a.StatusCallbackURL != "" {
		params.SetStatusCallback(a.StatusCallbackURL)
	}
	// twilio-go takes no context; its HTTP client's timeout bounds the call instead.
	resp, err := a.Twilio.Api.CreateMessage(params)
	if err != nil {
		var rest *client.TwilioRestError
		if errors.As(err, &rest) && permanent(rest) {
			reason := fmt.Sprintf("Twilio refused the message (error %d): %s", rest.Code, rest.Message)
			if err := a.Store.MarkFailed(ctx, messageID, rest.Code, reason); err != nil {
				return SendResult{}, err
			}
			return SendResult{Status: store.MsgFailed, Reason: reason}, nil
		}
		return SendResult{}, fmt.Errorf("send message %s to Twilio: %w", messageID, err)
	}
	sid, status := deref(resp.Sid), deref(resp.Status)
	if sid == "" {
		return SendResult{}, temporal.NewNonRetryableApplicationError("Twilio answered without a message SID", ErrTypeSendRefused, nil)
	}
	if err := a.Store.MarkHandedOff(ctx, messageID, sid, status, segmentsOf(resp.NumSegments)); err != nil {
		return SendResult{}, err
	}
	return SendResult{SID: sid, Status: status}, nil
}

// permanent reports whether Twilio will refuse this request however often it is
// retried: a 4xx other than rate limiting.
func permanent(e *client.TwilioRestError) bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != 429 && e.Code != 20429
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// segmentsOf parses Twilio's num_segments string.
func segmentsOf(s *string) int {
	n, err := strconv.Atoi(deref(s))
	if err != nil || n < 1 {
		return 1
	}
	return n
}
