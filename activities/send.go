package activities

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/internal/telemetry"
	"github.com/textdesk/textdesk/sms"
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

// ErrTypeRateLimited marks an attempt deferred because its sender's next slot is still
// ahead; Temporal retries it when the slot comes (NextRetryDelay), so the wait holds
// no activity slot and no workflow task.
const ErrTypeRateLimited = "SenderRateLimited"

// DefaultValidityPeriod is how long a message may wait to be handed to Twilio (and then
// in Twilio's queue) before it is failed as stale, unless Activities.ValidityPeriod says
// otherwise. It matches the send activity's four-hour schedule-to-close timeout.
const DefaultValidityPeriod = 4 * time.Hour

// maxValidity is the longest validity period Twilio accepts (36000 s).
const maxValidity = 10 * time.Hour

// Reconciliation: Twilio messages to the same number, from the same sender, with the
// same body, created at most reconcileSkew before the message was written (Twilio's
// dates have whole seconds and its clock is not ours) are taken for an earlier attempt.
const (
	reconcileSkew  = time.Minute
	reconcileLimit = 100 // newest messages to the recipient looked at
)

// inlineWait: a slot this close is waited for in the activity rather than by a retry.
const inlineWait = 20 * time.Millisecond

// SendSMS hands one stored outbound message to Twilio, at most once per message id.
//
//  1. A message with a Twilio SID is done; a failed one stays failed.
//  2. If an earlier attempt was recorded but no SID stored, that attempt may have
//     reached Twilio (the worker died, or the answer was lost): the message is looked
//     for in Twilio's message list (same To and From, same body, created since the
//     message was written, not the SID of another of our messages) and adopted instead
//     of sent again. A failed list call fails the attempt (retried): better late than
//     twice.
//  3. A message to an opted-out or blocked contact, or older than the validity period,
//     fails with a reason the agent reads, before Twilio is called.
//  4. The message takes a slot on its sender's schedule (Store.ReserveSendSlot); a slot
//     still ahead fails this attempt with a retryable ErrTypeRateLimited error whose
//     NextRetryDelay is the wait, so a burst queues in Temporal, not in a worker.
//     The attempt is recorded before Twilio is called (Store.BeginSendAttempt).
//  5. Twilio's answer is classified (sms.Classify): a permanent refusal fails the
//     message with the code and a readable reason (21610 also opts the contact out);
//     anything transient is returned as a retryable error.
//  6. The SID is stored. Status callbacks carry the message id (?mid=), so a callback
//     that arrives before the SID is stored attaches it too.
//
// Remaining window: an attempt whose message Twilio accepted but does not list yet
// when the next attempt reconciles (Twilio's list lags creation), or whose body Twilio
// changed (a Messaging Service with Smart Encoding), is sent again. The next attempt
// comes at least a second later (the retry policy's initial interval) and usually much
// later (timeouts), which Twilio's list normally covers. Conversely, a message with the
// same body sent to the same number from the same sender by something other than
// textdesk in those minutes would be taken for ours, and ours not sent.
func (a *Activities) SendSMS(ctx context.Context, messageID string) (SendResult, error) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("textdesk.message_id", messageID)) // find the send by id
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
	// An earlier attempt may have reached Twilio: find out before anything else, so a
	// message that went out is never failed (as stale, or because the contact opted
	// out since) nor sent again.
	reconciled := m.SendAttempts > 0
	if reconciled {
		if found, err := a.reconcile(ctx, m); err != nil || found != nil {
			return a.adopt(ctx, messageID, found, err)
		}
	}
	validity := a.validity()
	remaining := validity - a.now().Sub(m.CreatedAt)
	switch {
	case m.ContactBlocked:
		return a.refuse(ctx, messageID, "blocked", "not sent: the contact is blocked")
	case m.ContactOptedOut:
		return a.refuse(ctx, messageID, "opted_out", "not sent: "+store.OptedOutReason(m.ConsentReason))
	case !strings.HasPrefix(m.To, "+"):
		// A short code or an alphanumeric sender id: its texts are kept, but it cannot
		// receive one.
		return a.refuse(ctx, messageID, "not_a_phone", "not sent: "+m.To+" is not a phone number (a short code or a sender name) and cannot receive texts")
	case remaining <= 0:
		return a.refuse(ctx, messageID, "stale", fmt.Sprintf(
			"not sent: it could not be handed to Twilio within %s of being written, and would have arrived stale", validity))
	}

	if res, refused, err := a.checkLimits(ctx, m); err != nil || refused {
		return res, err
	}

	wait, err := a.Store.ReserveSendSlot(ctx, messageID, a.sendRate(), validity)
	if err != nil {
		return SendResult{}, temporalError(err)
	}
	if wait > inlineWait {
		return SendResult{}, rateLimited(m.From, messageID, wait)
	}
	if wait > 0 {
		time.Sleep(wait)
	}

	previous, err := a.Store.BeginSendAttempt(ctx, messageID)
	if conversation.ErrorCode(err) == conversation.EConflict {
		return a.stored(ctx, messageID) // a status callback stored the SID meanwhile
	}
	if err != nil {
		return SendResult{}, temporalError(err)
	}
	if previous > 0 && !reconciled { // an attempt started since we looked
		if found, err := a.reconcile(ctx, m); err != nil || found != nil {
			return a.adopt(ctx, messageID, found, err)
		}
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To).SetFrom(m.From).SetBody(m.Body)
	if m.MessagingServiceSID != "" {
		// Twilio takes the service in addition to From: the service's features and
		// reporting apply, while the sender stays the conversation's number, which
		// the rate schedule and the reconciliation (by To and From) rely on.
		params.SetMessagingServiceSid(m.MessagingServiceSID)
	}
	params.SetValidityPeriod(validitySeconds(remaining))
	if cb := a.statusCallback(ctx, messageID); cb != "" {
		params.SetStatusCallback(cb)
	}
	// twilio-go takes no context; its HTTP client's timeout bounds the call instead
	// (sms.API carries the trace to it).
	resp, err := sms.API(ctx, a.Twilio).CreateMessage(params)
	if err != nil {
		f := sms.Classify(err)
		if !f.Permanent {
			countSend("retried", retryReason(f), f.Code)
			return SendResult{}, fmt.Errorf("send message %s to Twilio (retried): %s: %w", messageID, f.Reason, err)
		}
		if f.OptedOut {
			if _, err := a.Store.SenderOptOut(ctx, m.To, m.From, a.now().UTC()); err != nil {
				return SendResult{}, temporalError(err)
			}
		}
		countSend("failed", "twilio", f.Code)
		return a.fail(ctx, messageID, f.Code, "not sent: "+f.Reason)
	}
	res, err := a.handedOff(ctx, messageID, resp)
	if err == nil {
		countSend("sent", "created", 0)
	}
	return res, err
}

// adopt stores the SID of the Twilio message a reconciliation found, or fails the
// attempt (retried) if Twilio could not be asked.
func (a *Activities) adopt(ctx context.Context, messageID string, found *openapi.ApiV2010Message, err error) (SendResult, error) {
	if err != nil {
		return SendResult{}, fmt.Errorf("message %s: an earlier attempt may have reached Twilio, and listing Twilio's messages failed: %w", messageID, err)
	}
	res, err := a.handedOff(ctx, messageID, found)
	if err == nil {
		countSend("sent", "reconciled", 0)
	}
	return res, err
}

// rateLimited defers an attempt until its slot: Temporal retries it after wait, and the
// worker holds nothing meanwhile. Benign: expected, so the SDK logs it at debug level.
func rateLimited(sender, messageID string, wait time.Duration) error {
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s is at its send rate; message %s goes in %s", sender, messageID, wait.Round(time.Millisecond)),
		ErrTypeRateLimited, temporal.ApplicationErrorOptions{
			NextRetryDelay: wait,
			Category:       temporal.ApplicationErrorCategoryBenign,
		})
}

// handedOff stores the SID of the Twilio message that carries messageID.
func (a *Activities) handedOff(ctx context.Context, messageID string, tm *openapi.ApiV2010Message) (SendResult, error) {
	sid, status := deref(tm.Sid), deref(tm.Status)
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("twilio.message_sid", sid))
	if sid == "" {
		return SendResult{}, temporal.NewNonRetryableApplicationError("Twilio answered without a message SID", ErrTypeSendRefused, nil)
	}
	err := a.Store.MarkHandedOff(ctx, messageID, sid, status, segmentsOf(tm.NumSegments))
	if errors.Is(err, store.ErrSIDTaken) {
		// Another message adopted this SID first (two identical messages reconciled at
		// once); look again on the next attempt.
		return SendResult{}, fmt.Errorf("message %s: Twilio message %s belongs to another message: %w", messageID, sid, err)
	}
	if err != nil {
		return SendResult{}, err
	}
	return SendResult{SID: sid, Status: status}, nil
}

func (a *Activities) stored(ctx context.Context, messageID string) (SendResult, error) {
	m, err := a.Store.Message(ctx, messageID)
	if err != nil {
		return SendResult{}, temporalError(err)
	}
	return SendResult{SID: deref(m.TwilioSID), Status: m.Status, Reason: deref(m.ErrorMessage)}, nil
}

// retryReason: Twilio answered with an error that may pass, or did not answer.
func retryReason(f sms.Failure) string {
	if f.HTTPStatus == 0 {
		return "no_answer"
	}
	return "twilio"
}

// refuse fails a message textdesk does not hand to Twilio, counted under reason.
func (a *Activities) refuse(ctx context.Context, messageID, reason, message string) (SendResult, error) {
	countSend("refused", reason, 0)
	return a.fail(ctx, messageID, 0, message)
}

func (a *Activities) fail(ctx context.Context, messageID string, code int, reason string) (SendResult, error) {
	if err := a.Store.MarkFailed(ctx, messageID, code, reason); err != nil {
		return SendResult{}, temporalError(err)
	}
	return SendResult{Status: store.MsgFailed, Reason: reason}, nil
}

// reconcile looks for a Twilio message an earlier attempt created for m: same To,
// From and body, created since m was written (less reconcileSkew), and not the SID of
// another of our messages; the oldest such message wins. Twilio's DateSent filter is
// not used on purpose: a message still queued at Twilio has no DateSent yet.
func (a *Activities) reconcile(ctx context.Context, m store.OutboundToSend) (*openapi.ApiV2010Message, error) {
	list, err := sms.API(ctx, a.Twilio).ListMessage((&openapi.ListMessageParams{}).
		SetTo(m.To).SetFrom(m.From).SetPageSize(50).SetLimit(reconcileLimit))
	if err != nil {
		return nil, err
	}
	since := m.CreatedAt.Add(-reconcileSkew)
	type candidate struct {
		msg     openapi.ApiV2010Message
		created time.Time
	}
	var found []candidate
	var sids []string
	for _, tm := range list {
		created, err := time.Parse(time.RFC1123Z, deref(tm.DateCreated))
		if err != nil || created.Before(since) || deref(tm.Body) != m.Body || deref(tm.Direction) == "inbound" {
			continue
		}
		found = append(found, candidate{tm, created})
		sids = append(sids, deref(tm.Sid))
	}
	if len(found) == 0 {
		return nil, nil
	}
	taken, err := a.Store.SIDsOfOtherMessages(ctx, m.ID, sids)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(found, func(x, y candidate) int { return x.created.Compare(y.created) })
	for _, c := range found {
		if !taken[deref(c.msg.Sid)] {
			return &c.msg, nil
		}
	}
	return nil, nil
}

// statusCallback is the status callback URL for a message: it names the message, so a
// callback can find a message whose SID was not stored yet.
func (a *Activities) statusCallback(ctx context.Context, messageID string) string {
	if a.StatusCallbackURL == "" {
		return ""
	}
	u, err := url.Parse(a.StatusCallbackURL)
	if err != nil {
		return a.StatusCallbackURL
	}
	q := u.Query()
	q.Set("mid", messageID)
	if tp := telemetry.Traceparent(ctx); tp != "" {
		q.Set("tp", tp) // the status callback's span links back to this send
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (a *Activities) validity() time.Duration {
	if a.ValidityPeriod > 0 {
		return min(a.ValidityPeriod, maxValidity)
	}
	return DefaultValidityPeriod
}

func (a *Activities) sendRate() float64 {
	if a.DefaultSendRate > 0 {
		return a.DefaultSendRate
	}
	return 1
}

// validitySeconds is Twilio's ValidityPeriod for what is left of the validity period.
func validitySeconds(remaining time.Duration) int {
	return int(min(max(math.Ceil(remaining.Seconds()), 1), maxValidity.Seconds()))
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
