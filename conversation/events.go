package conversation

import "time"

// Caller is the user asking for an agent action.
type Caller struct {
	UserID string
	Admin  bool
	// Supervisor: a supervisor of the conversation's team (issue 11). They may assign
	// its conversations to anyone. Older histories lack the field (false): they replay
	// the same decisions.
	Supervisor bool `json:",omitempty"`
	// TeamID: the team Supervisor was decided for (the conversation's, when the API
	// looked). The workflow refuses a supervisor of another team (issue 13).
	TeamID string `json:",omitempty"`
}

// Event is something that happened to a conversation. Every event carries the time it
// happened, so the machine never reads a clock.
type Event interface{ event() }

// InboundReceived: the customer texted; the message is already stored.
type InboundReceived struct {
	MessageID    string
	At           time.Time
	ChatOn       bool     // the team's chat is on (and within business hours) now
	AutoResponse string   // the team's auto-response text ("" = none)
	Settings     Settings // the team's current settings (zero: keep the ones in state)
	HelpReply    string   // the message was HELP/INFO: answer with this text
	OptedOut     bool     // the message was STOP (or similar): the contact gets nothing more
}

// RouteRequested: something changed that may let a waiting conversation be offered
// (an agent became available, chat turned on, capacity freed up).
type RouteRequested struct {
	At     time.Time
	ChatOn bool
}

// AgentReserved answers the ReserveAgent command: UserID was reserved for attempt
// Attempt, or nobody was available (UserID "").
type AgentReserved struct {
	Attempt int64
	UserID  string
	At      time.Time
}

// Tick: the earliest deadline (NextDeadline) has passed.
type Tick struct{ At time.Time }

// Accepted: the offered agent accepts.
type Accepted struct {
	By Caller
	At time.Time
}

// ReplyRequested: an agent wants to send a message.
type ReplyRequested struct {
	MessageID string
	AuthorID  string
	Admin     bool
	Body      string
	At        time.Time
}

// NoteAdded: an internal note, never sent to the customer.
type NoteAdded struct {
	MessageID string
	By        Caller
	Body      string
	At        time.Time
}

// AssignRequested: an admin assigns members, or an agent takes an unassigned
// conversation (UserIDs == [themselves]).
type AssignRequested struct {
	By      Caller
	UserIDs []string
	At      time.Time
}

// VisibilitySet restricts the conversation to UserIDs (empty: the whole team). The
// caller checks that they are users of the team.
type VisibilitySet struct {
	By      Caller
	UserIDs []string
	At      time.Time
}

// TransferRequested: the owner hands the conversation to an agent (ToUserID) or to
// another team's queue (ToTeamID).
type TransferRequested struct {
	By       Caller
	ToUserID string
	ToTeamID string
	At       time.Time
	// NotifyAfterSave: the offer is told after SaveState writes it, so an agent who
	// reacts to the event finds it in GET /v1/me/offers (false: transfers recorded
	// before that change, which replay telling first).
	NotifyAfterSave bool `json:",omitempty"`
}

// ConferenceRequested: the owner invites another agent to join.
type ConferenceRequested struct {
	By     Caller
	UserID string
	At     time.Time
	// NotifyAfterSave: as for TransferRequested.
	NotifyAfterSave bool `json:",omitempty"`
}

// ConferenceLeft: a conferenced agent leaves (themselves, or removed by the owner).
type ConferenceLeft struct {
	By     Caller
	UserID string
	At     time.Time
}

// EndRequested: an assignee ends the conversation; wrap-up starts.
type EndRequested struct {
	By Caller
	At time.Time
}

// WrapUpSubmitted: the wrap-up reason (validated against the team's list by the
// caller), with an optional closing message to the customer.
type WrapUpSubmitted struct {
	By               Caller
	Reason           string
	ClosingMessageID string
	ClosingMessage   string
	At               time.Time
}

// ArchiveRequested: close now, without wrap-up.
type ArchiveRequested struct {
	By Caller
	At time.Time
}

// DeleteRequested: an admin deletes the conversation.
type DeleteRequested struct {
	By Caller
	At time.Time
}

// ScheduleRequested: send Body at SendAt.
type ScheduleRequested struct {
	Scheduled Scheduled
	At        time.Time
	// Capped applies MaxScheduledCount and MaxScheduledBytes; runs recorded before the
	// caps replay without them (MaxScheduled only).
	Capped bool
}

// ScheduleCancelled: drop a pending scheduled message.
type ScheduleCancelled struct {
	ID     string
	Reason string
	At     time.Time
}

func (InboundReceived) event()     {}
func (RouteRequested) event()      {}
func (VisibilitySet) event()       {}
func (AgentReserved) event()       {}
func (Tick) event()                {}
func (Accepted) event()            {}
func (ReplyRequested) event()      {}
func (NoteAdded) event()           {}
func (AssignRequested) event()     {}
func (TransferRequested) event()   {}
func (ConferenceRequested) event() {}
func (ConferenceLeft) event()      {}
func (EndRequested) event()        {}
func (WrapUpSubmitted) event()     {}
func (ArchiveRequested) event()    {}
func (DeleteRequested) event()     {}
func (ScheduleRequested) event()   {}
func (ScheduleCancelled) event()   {}
