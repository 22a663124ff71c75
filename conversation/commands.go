package conversation

import "time"

// Command is a side effect the workflow must carry out, in order.
type Command interface{ command() }

// ReserveAgent: atomically pick and reserve an Available agent of TeamID with free
// capacity (longest idle first); answer with AgentReserved.
type ReserveAgent struct {
	Attempt int64
	TeamID  string
	// VisibleTo, if not empty, limits the choice to these users.
	VisibleTo []string
}

// MarkRONA: the agent did not answer an offer made at OfferedAt; set their presence to
// RONA (unless they changed it themselves since).
type MarkRONA struct {
	UserID    string
	OfferedAt time.Time
}

// SendMessage: store an outbound message and hand it to Twilio.
type SendMessage struct {
	MessageID   string
	Kind        MessageKind
	AuthorID    string // empty for system messages
	Body        string
	ScheduledID string // set when a scheduled message falls due
}

// RecordNote: store an internal note.
type RecordNote struct {
	MessageID string
	AuthorID  string
	Body      string
}

// NotifyKind names what an agent is told.
type NotifyKind string

const (
	NotifyOffer          NotifyKind = "offer"
	NotifyOfferExpired   NotifyKind = "offer_expired"
	NotifyOfferWithdrawn NotifyKind = "offer_withdrawn"
	NotifyAssigned       NotifyKind = "assigned"
	NotifyUnassigned     NotifyKind = "unassigned"
	NotifyTransferFailed NotifyKind = "transfer_not_accepted"
	NotifyTransferred    NotifyKind = "transfer_accepted"
	NotifyConferenceJoin NotifyKind = "conference_joined"
	NotifyReopened       NotifyKind = "reopened"
)

// Notify: tell an agent something (persisted for their event stream).
type Notify struct {
	UserID string
	Kind   NotifyKind
	Text   string
}

// StoreScheduled: persist a newly scheduled message as pending.
type StoreScheduled struct{ Scheduled Scheduled }

// CancelScheduled: mark a pending scheduled message cancelled.
type CancelScheduled struct {
	ID     string
	Reason string
}

// RehomeScheduled and NudgeWaiting come after SaveState: they reach other
// conversations, which must see this one's new state in Postgres.

// RehomeScheduled: the conversation closed with messages still pending; hand them to
// the contact's next conversation with the team so none is lost.
type RehomeScheduled struct{ Items []Scheduled }

// NudgeWaiting: capacity freed up in TeamID; offer its waiting conversations.
type NudgeWaiting struct{ TeamID string }

// SaveState: mirror the state into Postgres (status, assignees, pending offer).
type SaveState struct{}

func (ReserveAgent) command()    {}
func (MarkRONA) command()        {}
func (SendMessage) command()     {}
func (RecordNote) command()      {}
func (Notify) command()          {}
func (StoreScheduled) command()  {}
func (CancelScheduled) command() {}
func (RehomeScheduled) command() {}
func (NudgeWaiting) command()    {}
func (SaveState) command()       {}
