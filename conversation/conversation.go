// Package conversation is the domain core: what a conversation is and how it reacts to
// events. It is pure: no Temporal, no SQL, no clock. The workflow feeds it events (each
// carrying the time it happened) and carries out the commands it returns, so every rule
// here is testable with a table.
package conversation

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Status is where a conversation is in its life.
type Status string

const (
	StatusOutbound Status = "outbound" // started by us (scheduled/ad-hoc message); shown once the customer replies
	StatusNew      Status = "new"      // waiting for an agent (offered or queued)
	StatusMissed   Status = "missed"   // arrived while the team's chat was off
	StatusActive   Status = "active"   // assigned to one or more agents
	StatusWrapUp   Status = "wrap_up"  // ended, waiting for a wrap-up reason
	StatusClosed   Status = "closed"   // archived and read-only
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
	KindHelp         MessageKind = "help" // the team's answer to HELP/INFO
	KindScheduled    MessageKind = "scheduled"
	KindClosing      MessageKind = "closing"
	KindNote         MessageKind = "note" // internal, never sent
)

// Close reasons.
const (
	ClosedWrappedUp = "wrapped_up"
	ClosedInactive  = "inactive"
	ClosedArchived  = "archived"
	ClosedDeleted   = "deleted"
)

// Limits.
const (
	MaxBodyLength = 1000 // compose limit for one outbound message, in characters
	MaxScheduled  = 1000 // pending scheduled messages per conversation before the caps below
	// The caps on pending scheduled messages per conversation: the state (workflow
	// history, continue-as-new input) holds them all and must stay far below Temporal's
	// 2 MB payload limit. 1000 characters are at most 4000 bytes.
	MaxScheduledCount = 100
	MaxScheduledBytes = 128 << 10 // sum of the pending bodies' bytes
)

// Settings are the team's rules a conversation follows. They travel in the state so
// the workflow decides without reading the database.
type Settings struct {
	OfferTimeout         time.Duration
	WrapUpTimeout        time.Duration
	InactivityWindow     time.Duration
	AutoResponseInterval time.Duration
	DefaultWrapUpReason  string
}

// DefaultSettings are used for any setting a team leaves at zero.
func DefaultSettings() Settings {
	return Settings{
		OfferTimeout:         30 * time.Second,
		WrapUpTimeout:        10 * time.Minute,
		InactivityWindow:     7 * 24 * time.Hour,
		AutoResponseInterval: 24 * time.Hour,
		DefaultWrapUpReason:  "No reason given",
	}
}

// WithDefaults fills zero fields from DefaultSettings.
func (s Settings) WithDefaults() Settings {
	d := DefaultSettings()
	if s.OfferTimeout <= 0 {
		s.OfferTimeout = d.OfferTimeout
	}
	if s.WrapUpTimeout <= 0 {
		s.WrapUpTimeout = d.WrapUpTimeout
	}
	if s.InactivityWindow <= 0 {
		s.InactivityWindow = d.InactivityWindow
	}
	if s.AutoResponseInterval <= 0 {
		s.AutoResponseInterval = d.AutoResponseInterval
	}
	if s.DefaultWrapUpReason == "" {
		s.DefaultWrapUpReason = d.DefaultWrapUpReason
	}
	return s
}

// OfferKind says why an agent is offered a conversation.
type OfferKind string

const (
	OfferRoute      OfferKind = "route"      // routing: becomes the assignee
	OfferTransfer   OfferKind = "transfer"   // replaces the current owner
	OfferConference OfferKind = "conference" // joins the current assignees
)

// Offer is a pending invitation for one agent to take the conversation.
type Offer struct {
	Seq        int64 // unique within the conversation
	Kind       OfferKind
	UserID     string
	FromUserID string // who asked, for transfer and conference
	OfferedAt  time.Time
	ExpiresAt  time.Time
}

// Scheduled is a message waiting for its time.
type Scheduled struct {
	ID       string
	Body     string
	SendAt   time.Time
	AuthorID string // empty for messages queued by a scheduler system
}

// State is everything the workflow knows about a conversation. It is serialised into
// workflow history (and continue-as-new input), so fields are exported and plain, and
// every deadline is absolute.
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

	Settings           Settings
	AutoResponseSentAt time.Time

	// Assignees[0] owns the conversation; the others joined by conference.
	Assignees []string
	// VisibleTo restricts the conversation to these users (and admins); empty: the
	// whole team sees it. Assignees and offers stay within it.
	VisibleTo []string
	// DefaultAssignees are the contact's default assignees who qualified when the
	// conversation was created (members of its team, on VisibleTo if restricted). When
	// the conversation opens (the customer's first message reaches it) unassigned, they
	// become its assignees instead of it being routed; either way the list is then
	// dropped: it applies once. Empty (all conversations before the feature): routing.
	DefaultAssignees []string
	Offer            *Offer
	// ExpiredOffer is the last offer that expired unaccepted, so a late accept is told
	// why it failed.
	ExpiredOffer *Offer
	// RouteAttempt is the Seq of the agent reservation in flight (0: none). A result
	// for any other attempt is stale.
	RouteAttempt int64
	Seq          int64

	WrapUpDeadline time.Time
	WrapUpReason   string
	CloseReason    string

	// Scheduled holds pending scheduled messages, ordered by SendAt then ID.
	Scheduled []Scheduled

	// Version increases with every change so the Postgres mirror never applies an
	// older snapshot over a newer one.
	Version int64
}

// Owner is the assignee who owns the conversation ("" when unassigned).
func (s State) Owner() string {
	if len(s.Assignees) == 0 {
		return ""
	}
	return s.Assignees[0]
}

// IsAssignee reports whether userID is among the assignees.
func (s State) IsAssignee(userID string) bool { return slices.Contains(s.Assignees, userID) }

// VisibleToUser reports whether a (non-admin) user may see the conversation.
func (s State) VisibleToUser(userID string) bool {
	return len(s.VisibleTo) == 0 || slices.Contains(s.VisibleTo, userID)
}

// Closed reports whether the conversation is over; the workflow ends then.
func (s State) Closed() bool { return s.Status == StatusClosed }

// NextDeadline is the earliest moment the conversation must act without an event
// from outside (zero: none). The workflow keeps one timer for it and sends Tick.
func (s State) NextDeadline() time.Time {
	if s.Closed() {
		return time.Time{}
	}
	var next time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if s.Offer != nil {
		earliest(s.Offer.ExpiresAt)
	}
	if s.Status == StatusWrapUp {
		earliest(s.WrapUpDeadline)
	}
	earliest(s.InactiveAt())
	if len(s.Scheduled) > 0 {
		earliest(s.Scheduled[0].SendAt)
	}
	return next
}

// InactiveAt is when the conversation closes for inactivity if nothing happens.
func (s State) InactiveAt() time.Time {
	if s.Settings.InactivityWindow <= 0 {
		return time.Time{}
	}
	last := s.OpenedAt
	if s.LastMessageAt.After(last) {
		last = s.LastMessageAt
	}
	if last.IsZero() {
		return time.Time{}
	}
	return last.Add(s.Settings.InactivityWindow)
}

func (s State) clone() State {
	s.Assignees = slices.Clone(s.Assignees)
	s.VisibleTo = slices.Clone(s.VisibleTo)
	s.DefaultAssignees = slices.Clone(s.DefaultAssignees)
	s.Scheduled = slices.Clone(s.Scheduled)
	if s.Offer != nil {
		o := *s.Offer
		s.Offer = &o
	}
	if s.ExpiredOffer != nil {
		o := *s.ExpiredOffer
		s.ExpiredOffer = &o
	}
	return s
}

// Derived ids: pure functions of what caused a message, so a replayed or retried step
// can never mint a second message.
var (
	autoResponseNamespace = uuid.MustParse("6f1c3f0e-4a8e-4f55-9d0a-5b2c7f1e9a10")
	helpReplyNamespace    = uuid.MustParse("a4e2b6c8-1d3f-4a5b-8c7d-9e0f1a2b3c4d")
	scheduledNamespace    = uuid.MustParse("3c0d9a77-2b1e-4f4a-8e55-6a7b8c9d0e1f")
)

// AutoResponseID is the id of the auto-response triggered by inbound message id.
func AutoResponseID(inboundMessageID string) string {
	return uuid.NewSHA1(autoResponseNamespace, []byte(inboundMessageID)).String()
}

// HelpReplyID is the id of the answer to the HELP message inboundMessageID.
func HelpReplyID(inboundMessageID string) string {
	return uuid.NewSHA1(helpReplyNamespace, []byte(inboundMessageID)).String()
}

// ScheduledMessageID is the id of the message a scheduled message becomes when sent.
func ScheduledMessageID(scheduledID string) string {
	return uuid.NewSHA1(scheduledNamespace, []byte(scheduledID)).String()
}
