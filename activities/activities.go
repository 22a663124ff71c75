// Package activities holds the conversation workflow's side effects: Postgres writes,
// Twilio sends, and nudges to other conversations. Each one is idempotent, because
// Temporal retries activities and a worker can die at any instruction.
package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/twilio/twilio-go"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
)

// Activities carries the dependencies; the workflow refers to its methods.
type Activities struct {
	Store  *store.Store
	Twilio *twilio.RestClient
	// Dispatch reaches other conversations (re-homing scheduled messages, nudges).
	Dispatch Conversations
	// StatusCallbackURL is where Twilio reports delivery (PUBLIC_URL + /webhooks/twilio/status).
	StatusCallbackURL string
	// DefaultSendRate is how many segments per second a sender may hand Twilio when its
	// number has no rate of its own (team_numbers.send_rate); 0 means 1, a long code.
	DefaultSendRate float64
	// ValidityPeriod bounds how long after it was written a message may still be handed
	// to Twilio, and is passed on to Twilio as the message's validity period, so a long
	// retry chain never delivers a stale message; 0 means DefaultValidityPeriod.
	ValidityPeriod time.Duration
	// DailySendQuota is a team's messages per UTC day when it sets none (0: 5000).
	DailySendQuota int
	// EventRetention is how long Prune keeps agent events (prune.go).
	EventRetention time.Duration
	// Now is the clock (tests may fix it).
	Now func() time.Time
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Conversations is what activities need to reach other conversations; package dispatch
// provides it (an interface here keeps workflows → activities → dispatch acyclic).
type Conversations interface {
	ScheduleForContact(ctx context.Context, team store.Team, contact store.Contact, sc conversation.Scheduled) (string, error)
	Nudge(ctx context.Context, teamIDs []string, limit int) error
	Redeliver(ctx context.Context, m InboundMessage) error
	NudgeBatch(ctx context.Context, teamID string, after NudgeCursor, limit int) (NudgeCursor, int, error)
}

// InboundMessage is a customer's SMS as the webhook received it.
type InboundMessage struct {
	ConversationID string
	TeamID         string
	MessageSid     string
	From           string // E.164
	To             string // E.164
	Body           string
	NumSegments    int
	ReceivedAt     time.Time
}

// RecordInboundResult says what storing the message found.
type RecordInboundResult struct {
	MessageID string
	// Duplicate: Twilio retried a webhook whose message is already stored.
	Duplicate bool
	// The team's chat state and rules at the moment the message was stored.
	ChatOn       bool
	AutoResponse string
	Settings     conversation.Settings
	// Consent is store.ConsentOptOut or store.ConsentOptIn when the message was a STOP or
	// START keyword; the contact's consent is already updated (and, on opt-out, their
	// pending scheduled messages cancelled).
	Consent string
	// HelpReply is the text to send back when the message was HELP or INFO: the team's
	// help text (or a default naming the team and the STOP/START keywords).
	HelpReply string
}

// OptedOut reports whether the message opted the contact out (STOP and the like).
func (r RecordInboundResult) OptedOut() bool { return r.Consent == store.ConsentOptOut }

// inboundNamespace derives a message id from Twilio's MessageSid, so every retry of a
// webhook names the same message.
var inboundNamespace = uuid.MustParse("0b8f5d2c-1c3e-4d77-8f0e-3a6c1d9e2b44")

// InboundMessageID is the id textdesk gives the inbound message with this MessageSid.
func InboundMessageID(messageSid string) string {
	return uuid.NewSHA1(inboundNamespace, []byte(messageSid)).String()
}

// RecordInbound stores an inbound message once per MessageSid and reads the team's chat
// state and rules, so the workflow decides with current data.
//
// A message that is a consent keyword (the whole message, case and spaces ignored) is
// stored like any other, and in the same transaction STOP, STOPALL, UNSUBSCRIBE,
// CANCEL, END, QUIT, REVOKE or OPTOUT opt the contact out (cancelling their pending
// scheduled messages) and START, UNSTOP or YES opt them back in; HELP or INFO set
// HelpReply. A duplicate (Twilio retried the webhook) changes nothing.
func (a *Activities) RecordInbound(ctx context.Context, in InboundMessage) (RecordInboundResult, error) {
	opts := store.InboundOptions{RecordedBy: recordedBy(ctx)}
	keyword := sms.ParseKeyword(in.Body)
	switch keyword {
	case sms.OptOut:
		opts.Consent = store.ConsentOptOut
	case sms.OptIn:
		opts.Consent = store.ConsentOptIn
	}
	if opts.Consent != "" {
		opts.ConsentReason = fmt.Sprintf("they replied %q", strings.TrimSpace(in.Body))
	}
	id, dup, err := a.Store.RecordInbound(ctx, store.Message{
		ID:             InboundMessageID(in.MessageSid),
		ConversationID: in.ConversationID,
		From:           in.From,
		To:             in.To,
		Body:           in.Body,
		TwilioSID:      &in.MessageSid,
		Segments:       max(in.NumSegments, 1),
		CreatedAt:      in.ReceivedAt,
	}, opts)
	if err != nil {
		return RecordInboundResult{}, temporalError(err)
	}
	team, err := a.Store.Team(ctx, in.TeamID)
	if err != nil {
		return RecordInboundResult{}, temporalError(err)
	}
	res := RecordInboundResult{
		MessageID: id, Duplicate: dup,
		ChatOn: team.ChatOpen(in.ReceivedAt), AutoResponse: team.AutoResponse, Settings: team.Settings(),
	}
	if !dup {
		res.Consent = opts.Consent
		if keyword == sms.Help {
			res.HelpReply = HelpText(team)
		}
	}
	return res, nil
}

// HelpText is the answer to HELP or INFO: the team's help text, or a default that names
// the team and the keywords.
func HelpText(team store.Team) string {
	if t := strings.TrimSpace(team.HelpText); t != "" {
		return t
	}
	return team.Name + ": reply STOP to stop receiving messages, START to receive them again."
}

// recordedBy names the running activity (workflow run and activity id), so a retry of
// the same activity is told apart from a second delivery of the same webhook.
func recordedBy(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	info := activity.GetInfo(ctx)
	return info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID + "/" + info.ActivityID
}

// SaveConversation mirrors the workflow's state into the read model.
func (a *Activities) SaveConversation(ctx context.Context, st conversation.State) error {
	return temporalError(a.Store.SaveConversation(ctx, st))
}

// ReserveAgentInput asks for an agent for a conversation.
type ReserveAgentInput struct {
	ConversationID string
	TeamID         string
	VisibleTo      []string // a restricted conversation goes only to these users
}

// ReserveAgentResult names the reserved agent ("" if none is free) and when.
type ReserveAgentResult struct {
	UserID string
	At     time.Time
}

// ReserveAgent atomically picks and reserves an Available agent with free capacity.
func (a *Activities) ReserveAgent(ctx context.Context, in ReserveAgentInput) (ReserveAgentResult, error) {
	team, err := a.Store.Team(ctx, in.TeamID)
	if err != nil {
		return ReserveAgentResult{}, temporalError(err)
	}
	now := a.now().UTC()
	user, err := a.Store.ReserveAgent(ctx, in.ConversationID, in.TeamID, in.VisibleTo, team.Capacity, now, now.Add(team.Settings().OfferTimeout))
	if err != nil {
		return ReserveAgentResult{}, temporalError(err)
	}
	return ReserveAgentResult{UserID: user, At: now}, nil
}

// MarkRONAInput names the agent who let an offer expire.
type MarkRONAInput struct {
	UserID    string
	OfferedAt time.Time
}

// MarkRONA sets the agent's presence to RONA.
func (a *Activities) MarkRONA(ctx context.Context, in MarkRONAInput) error {
	return temporalError(a.Store.MarkRONA(ctx, in.UserID, in.OfferedAt))
}

// NotifyInput is something an agent is told about a conversation.
type NotifyInput struct {
	ConversationID string
	UserID         string
	Kind           conversation.NotifyKind
	Text           string
}

// Notify records a notification for the agent's event stream.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	if in.UserID == "" {
		return nil
	}
	return temporalError(a.Store.AddAgentEvent(ctx, in.UserID, in.ConversationID, in.Kind, in.Text))
}

// OutboundMessage is a message (or note) the workflow decided to store.
type OutboundMessage struct {
	ConversationID string
	MessageID      string
	Kind           conversation.MessageKind
	AuthorID       string
	From           string
	To             string
	Body           string
	ScheduledID    string
	CreatedAt      time.Time
}

// RecordOutboundResult: Skipped says why a scheduled message was not stored (cancelled
// meanwhile, contact opted out, conversation deleted); empty means stored.
type RecordOutboundResult struct {
	Skipped string
}

// RecordOutbound stores the message as queued before anything is sent (notes as
// internal), so the agent sees it at once and a crash before the send leaves a
// visible, resumable intent.
func (a *Activities) RecordOutbound(ctx context.Context, m OutboundMessage) (RecordOutboundResult, error) {
	var author *string
	if m.AuthorID != "" {
		author = &m.AuthorID
	}
	skipped, err := a.Store.InsertOutbound(ctx, store.Message{
		ID:             m.MessageID,
		ConversationID: m.ConversationID,
		Kind:           string(m.Kind),
		AuthorID:       author,
		From:           m.From,
		To:             m.To,
		Body:           m.Body,
		Segments:       1,
		CreatedAt:      m.CreatedAt,
	}, m.ScheduledID)
	return RecordOutboundResult{Skipped: skipped}, temporalError(err)
}

// ScheduledInput carries scheduled messages of a conversation.
type ScheduledInput struct {
	ConversationID string
	TeamID         string
	ContactID      string
	Items          []conversation.Scheduled
	Reason         string // for cancellation
}

// StoreScheduled persists newly scheduled messages as pending.
func (a *Activities) StoreScheduled(ctx context.Context, in ScheduledInput) error {
	for _, sc := range in.Items {
		if err := a.Store.UpsertScheduled(ctx, in.ConversationID, in.TeamID, in.ContactID, sc); err != nil {
			return temporalError(err)
		}
	}
	return nil
}

// CancelScheduled marks scheduled messages cancelled.
func (a *Activities) CancelScheduled(ctx context.Context, in ScheduledInput) error {
	for _, sc := range in.Items {
		if err := a.Store.CancelScheduled(ctx, sc.ID, in.Reason); err != nil {
			return temporalError(err)
		}
	}
	return nil
}

// RehomeScheduled hands the pending scheduled messages of a closing conversation to
// the contact's next conversation with the team, so a scheduler's message is never
// lost because an agent closed the conversation first.
func (a *Activities) RehomeScheduled(ctx context.Context, in ScheduledInput) error {
	team, err := a.Store.Team(ctx, in.TeamID)
	if err != nil {
		return temporalError(err)
	}
	contact, err := a.Store.ContactByID(ctx, in.ContactID)
	if err != nil {
		return temporalError(err)
	}
	for _, sc := range in.Items {
		if _, err := a.Dispatch.ScheduleForContact(ctx, team, contact, sc); err != nil {
			return temporalError(err)
		}
	}
	return nil
}

// Redeliver hands an inbound message that reached a conversation as it closed to the
// contact's next conversation, so no message is lost at the instant of closing.
func (a *Activities) Redeliver(ctx context.Context, m InboundMessage) error {
	return temporalError(a.Dispatch.Redeliver(ctx, m))
}

// NudgeWaiting wakes the team's waiting conversations after capacity freed up.
func (a *Activities) NudgeWaiting(ctx context.Context, teamID string) error {
	return temporalError(a.Dispatch.Nudge(ctx, []string{teamID}, 20))
}

// temporalError turns a domain error into an ApplicationError typed by its code, so
// retry policies stop on errors that retrying cannot fix.
func temporalError(err error) error {
	var e *conversation.Error
	if !errors.As(err, &e) {
		return err
	}
	retryable := e.Code == conversation.EUnavailable || e.Code == conversation.EInternal
	return temporal.NewApplicationErrorWithOptions(e.Message, e.Code, temporal.ApplicationErrorOptions{NonRetryable: !retryable})
}
