// Package conversation is the domain core: what a conversation is and how it reacts to
// events. It is pure: no Temporal, no SQL, no clock. The workflow feeds it events and
// carries out the commands it returns, so every rule here is testable with a table.
package conversation

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Status is where a conversation is in its life.
type Status string

const (
	StatusNew    Status = "new"     // waiting for an agent
	StatusMissed Status = "missed"  // arrived while the team's chat was off
	StatusActive Status = "active"  // an agent has replied
	StatusWrapUp Status = "wrap_up" // ended, waiting for a wrap-up reason
	StatusClosed Status = "closed"  // archived and read-only
)

// Actor says who must act next.
type Actor string

const (
	ActorAgent    Actor = "agent"
	ActorCustomer Actor = "customer"
	ActorNone     Actor = "none"
)

// MessageKind distinguishes agent-written text from system messages.
type MessageKind string

const (
	KindText         MessageKind = "text"
	KindAutoResponse MessageKind = "auto_response"
)

// MaxBodyLength is the compose limit for one outbound message, in characters.
const MaxBodyLength = 1000

// State is everything the workflow knows about a conversation. It is serialised into
// workflow history (and continue-as-new input), so fields are exported and plain.
type State struct {
	ID         string
	TeamID     string
	ContactID  string
	TeamNumber string // E.164 the customer texts; outbound messages come from it
	Contact    string // customer's E.164 number (never used as an identifier)

	Status          Status
	NextAction      Actor
	NextActionSince time.Time
	LastMessageAt   time.Time
	OpenedAt        time.Time
	ClosedAt        time.Time

	AutoResponseSentAt time.Time

	// Version increases with every change so the Postgres mirror never applies an
	// older snapshot over a newer one.
	Version int64
}

// Events ---------------------------------------------------------------------------

// Event is something that happened to a conversation.
type Event interface{ event() }

// InboundReceived: the customer texted; the message is already stored.
type InboundReceived struct {
	MessageID    string
	At           time.Time
	ChatOn       bool   // the team's chat state when the message was stored
	AutoResponse string // the team's auto-response text ("" = none)
}

// ReplyRequested: an agent wants to send a message.
type ReplyRequested struct {
	MessageID string
	AuthorID  string
	Body      string
	At        time.Time
}

func (InboundReceived) event() {}
func (ReplyRequested) event()  {}

// Commands -------------------------------------------------------------------------

// Command is a side effect the workflow must carry out, in order.
type Command interface{ command() }

// SendMessage: store an outbound message and hand it to Twilio.
type SendMessage struct {
	MessageID string
	Kind      MessageKind
	AuthorID  string // empty for system messages
	Body      string
}

// SaveState: mirror the state into Postgres for inboxes and search.
type SaveState struct{}

func (SendMessage) command() {}
func (SaveState) command()   {}

// Apply returns the state after ev and the commands it requires. It never mutates s.
// An error means the event is refused and nothing changed.
func Apply(s State, ev Event) (State, []Command, error) {
	switch ev := ev.(type) {
	case InboundReceived:
		return applyInbound(s, ev)
	case ReplyRequested:
		return applyReply(s, ev)
	}
	return s, nil, Errorf(EInternal, "unknown event %T", ev)
}

func applyInbound(s State, ev InboundReceived) (State, []Command, error) {
	if s.Status == StatusClosed {
		return s, nil, Errorf(EConflict, "conversation is closed")
	}
	var cmds []Command
	s.LastMessageAt = ev.At
	s.setNextAction(ActorAgent, ev.At)

	if s.Status == StatusNew && !ev.ChatOn {
		s.Status = StatusMissed
	}
	// A conversation nobody has picked up gets the auto-response once; one an agent is
	// already working keeps going to that agent whatever the chat state.
	if s.Status == StatusMissed && ev.AutoResponse != "" && s.AutoResponseSentAt.IsZero() {
		s.AutoResponseSentAt = ev.At
		cmds = append(cmds, SendMessage{
			MessageID: AutoResponseID(ev.MessageID),
			Kind:      KindAutoResponse,
			Body:      ev.AutoResponse,
		})
	}
	s.Version++
	return s, append(cmds, SaveState{}), nil
}

func applyReply(s State, ev ReplyRequested) (State, []Command, error) {
	if err := ValidateReply(s, ev); err != nil {
		return s, nil, err
	}
	if s.Status == StatusNew || s.Status == StatusMissed {
		s.Status = StatusActive
	}
	s.LastMessageAt = ev.At
	s.setNextAction(ActorCustomer, ev.At)
	s.Version++
	return s, []Command{
		SendMessage{MessageID: ev.MessageID, Kind: KindText, AuthorID: ev.AuthorID, Body: ev.Body},
		SaveState{},
	}, nil
}

// ValidateReply says whether a reply may be sent now, without changing anything. The
// workflow's update validator calls it so a refused reply leaves no trace in history.
func ValidateReply(s State, ev ReplyRequested) error {
	if s.Status == StatusClosed || s.Status == StatusWrapUp {
		return Errorf(EConflict, "conversation is %s; it is read-only", s.Status)
	}
	if ev.MessageID == "" {
		return Errorf(EInvalid, "message id is required")
	}
	return ValidateBody(ev.Body)
}

// ValidateBody checks an outbound message body against the compose rules.
func ValidateBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return Errorf(EInvalid, "body must not be empty")
	}
	if !utf8.ValidString(body) {
		return Errorf(EInvalid, "body must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyLength {
		return Errorf(EUnprocessable, "body is %d characters; the limit is %d", n, MaxBodyLength)
	}
	return nil
}

func (s *State) setNextAction(a Actor, at time.Time) {
	if s.NextAction != a {
		s.NextAction = a
		s.NextActionSince = at
	}
}

// autoResponseNamespace makes auto-response ids a pure function of the inbound message
// that caused them, so a replayed or retried step can never produce a second message.
var autoResponseNamespace = uuid.MustParse("6f1c3f0e-4a8e-4f55-9d0a-5b2c7f1e9a10")

// AutoResponseID is the id of the auto-response triggered by inbound message id.
func AutoResponseID(inboundMessageID string) string {
	return uuid.NewSHA1(autoResponseNamespace, []byte(inboundMessageID)).String()
}
