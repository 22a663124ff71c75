// Package activities holds the conversation workflow's side effects: Postgres writes
// and Twilio sends. Each one is idempotent, because Temporal retries activities and a
// worker can die at any instruction.
package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/twilio/twilio-go"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Activities carries the dependencies; the workflow refers to its methods.
type Activities struct {
	Store  *store.Store
	Twilio *twilio.RestClient
	// StatusCallbackURL is where Twilio reports delivery (PUBLIC_URL + /webhooks/twilio/status).
	StatusCallbackURL string
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
	// The team's chat settings at the moment the message was stored.
	ChatOn       bool
	AutoResponse string
}

// inboundNamespace derives a message id from Twilio's MessageSid, so every retry of a
// webhook names the same message.
var inboundNamespace = uuid.MustParse("0b8f5d2c-1c3e-4d77-8f0e-3a6c1d9e2b44")

// InboundMessageID is the id textdesk gives the inbound message with this MessageSid.
func InboundMessageID(messageSid string) string {
	return uuid.NewSHA1(inboundNamespace, []byte(messageSid)).String()
}

// RecordInbound stores an inbound message once per MessageSid and reads the team's chat
// settings, so the workflow decides on auto-responses with current data.
func (a *Activities) RecordInbound(ctx context.Context, in InboundMessage) (RecordInboundResult, error) {
	id, dup, err := a.Store.InsertInbound(ctx, store.Message{
		ID:             InboundMessageID(in.MessageSid),
		ConversationID: in.ConversationID,
		From:           in.From,
		To:             in.To,
		Body:           in.Body,
		TwilioSID:      &in.MessageSid,
		Segments:       max(in.NumSegments, 1),
		CreatedAt:      in.ReceivedAt,
	})
	if err != nil {
		return RecordInboundResult{}, temporalError(err)
	}
	team, err := a.Store.Team(ctx, in.TeamID)
	if err != nil {
		return RecordInboundResult{}, temporalError(err)
	}
	return RecordInboundResult{MessageID: id, Duplicate: dup, ChatOn: team.ChatOn, AutoResponse: team.AutoResponse}, nil
}

// SaveConversation mirrors the workflow's state into the read model.
func (a *Activities) SaveConversation(ctx context.Context, st conversation.State) error {
	return temporalError(a.Store.SaveConversation(ctx, st))
}

// OutboundMessage is a message the workflow decided to send.
type OutboundMessage struct {
	ConversationID string
	MessageID      string
	Kind           conversation.MessageKind
	AuthorID       string
	From           string
	To             string
	Body           string
	CreatedAt      time.Time
}

// RecordOutbound stores the message as queued before anything is sent, so the agent
// sees it at once and a crash before the send leaves a visible, resumable intent.
func (a *Activities) RecordOutbound(ctx context.Context, m OutboundMessage) error {
	var author *string
	if m.AuthorID != "" {
		author = &m.AuthorID
	}
	return temporalError(a.Store.InsertOutbound(ctx, store.Message{
		ID:             m.MessageID,
		ConversationID: m.ConversationID,
		Kind:           string(m.Kind),
		AuthorID:       author,
		From:           m.From,
		To:             m.To,
		Body:           m.Body,
		Segments:       1,
		CreatedAt:      m.CreatedAt,
	}))
}

// temporalError turns a domain error into an ApplicationError typed by its code, so
// retry policies can name the codes that retrying will not fix.
func temporalError(err error) error {
	var e *conversation.Error
	if !errors.As(err, &e) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(e.Message, e.Code, temporal.ApplicationErrorOptions{
		NonRetryable: e.Code == conversation.EInvalid || e.Code == conversation.ENotFound,
	})
}
