package workflows

import (
	"time"

	"github.com/textdesk/textdesk/conversation"
)

// Action is the payload of every update. Which fields matter depends on the update
// name; the API fills them from the request and the authenticated caller.
type Action struct {
	// ConversationID guards against an action meant for one conversation reaching a
	// later one (it must equal the workflow's conversation id).
	ConversationID string
	Caller         conversation.Caller
	// CallerSig is the API's signature of Caller for this conversation and update
	// (CallerMAC); the validator refuses an update whose caller it does not verify.
	CallerSig string `json:",omitempty"`

	MessageID string   // reply, note, wrap-up closing message: the new message's id
	Body      string   // reply, note, wrap-up closing message, schedule
	UserID    string   // transfer/conference target, leave-conference subject
	UserIDs   []string // assign, visibility
	TeamID    string   // transfer to a team
	Reason    string   // wrap-up reason, cancel reason

	ScheduledID string    // schedule, cancel-scheduled
	SendAt      time.Time // schedule
}

// ActionResult answers an update: the conversation's status and state version after
// it. It is kept small on purpose: every result is stored in the workflow's history
// (runs before this change answered the whole state; their results are not read).
type ActionResult struct {
	Status  conversation.Status
	Version int64
}

// RouteSignal asks a waiting conversation to try routing again.
type RouteSignal struct {
	ChatOn bool
}

// event turns an update's Action into the state machine's event, stamped with now.
func (a Action) event(update string, now time.Time) conversation.Event {
	by := a.Caller
	switch update {
	case UpdateReply:
		return conversation.ReplyRequested{MessageID: a.MessageID, AuthorID: by.UserID, Admin: by.Admin, Body: a.Body, At: now}
	case UpdateNote:
		return conversation.NoteAdded{MessageID: a.MessageID, By: by, Body: a.Body, At: now}
	case UpdateAccept:
		return conversation.Accepted{By: by, At: now}
	case UpdateAssign:
		return conversation.AssignRequested{By: by, UserIDs: a.UserIDs, At: now}
	case UpdateVisibility:
		return conversation.VisibilitySet{By: by, UserIDs: a.UserIDs, At: now}
	case UpdateTransfer:
		return conversation.TransferRequested{By: by, ToUserID: a.UserID, ToTeamID: a.TeamID, At: now}
	case UpdateConference:
		return conversation.ConferenceRequested{By: by, UserID: a.UserID, At: now}
	case UpdateLeaveConference:
		return conversation.ConferenceLeft{By: by, UserID: a.UserID, At: now}
	case UpdateEnd:
		return conversation.EndRequested{By: by, At: now}
	case UpdateWrapUp:
		return conversation.WrapUpSubmitted{By: by, Reason: a.Reason, ClosingMessageID: a.MessageID, ClosingMessage: a.Body, At: now}
	case UpdateArchive:
		return conversation.ArchiveRequested{By: by, At: now}
	case UpdateDelete:
		return conversation.DeleteRequested{By: by, At: now}
	case UpdateSchedule:
		return conversation.ScheduleRequested{Scheduled: conversation.Scheduled{
			ID: a.ScheduledID, Body: a.Body, SendAt: a.SendAt, AuthorID: by.UserID}, At: now}
	case UpdateCancelScheduled:
		return conversation.ScheduleCancelled{ID: a.ScheduledID, Reason: a.Reason, At: now}
	}
	return nil
}

// actionUpdates lists every update the workflow registers.
var actionUpdates = []string{
	UpdateReply, UpdateNote, UpdateAccept, UpdateAssign, UpdateTransfer, UpdateConference,
	UpdateLeaveConference, UpdateEnd, UpdateWrapUp, UpdateArchive, UpdateDelete,
	UpdateSchedule, UpdateCancelScheduled, UpdateVisibility,
}
