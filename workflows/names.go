// Package workflows is the conversation workflow: a thin deterministic shell that feeds
// signals and updates into the conversation state machine and runs the commands it
// returns as activities.
package workflows

import "go.temporal.io/sdk/temporal"

// Names the API and the worker agree on.
const (
	// SignalInbound carries an InboundSignal: the customer texted.
	SignalInbound = "inbound"
	// SignalRoute carries a RouteSignal: an agent may be free now, or chat turned on.
	SignalRoute = "route"
	// QueryState answers the conversation.State.
	QueryState = "state"
)

// Updates: each takes an Action and answers an ActionResult once the action's effects
// are stored. Validators refuse (with the domain error code as the ApplicationError
// type) anything the state machine would refuse, so a refused update leaves no trace.
const (
	UpdateReply           = "reply"
	UpdateNote            = "note"
	UpdateAccept          = "accept"
	UpdateAssign          = "assign"
	UpdateTransfer        = "transfer"
	UpdateConference      = "conference"
	UpdateLeaveConference = "leave-conference"
	UpdateEnd             = "end"
	UpdateWrapUp          = "wrap-up"
	UpdateArchive         = "archive"
	UpdateDelete          = "delete"
	UpdateSchedule        = "schedule"
	UpdateCancelScheduled = "cancel-scheduled"
	UpdateVisibility      = "visibility"
)

// WorkflowID is the conversation workflow's id. It is derived from the conversation id,
// never from a phone number, so ids in Temporal Web reveal nothing about customers.
func WorkflowID(conversationID string) string { return "conversation-" + conversationID }

// Search attributes ops filter on in Temporal Web. They hold ids and states only: never a
// phone number or message text.
var (
	AttrConversationID = temporal.NewSearchAttributeKeyKeyword("ConversationID")
	AttrTeamID         = temporal.NewSearchAttributeKeyKeyword("TeamID")
	AttrStatus         = temporal.NewSearchAttributeKeyKeyword("ConversationStatus")
	AttrNextAction     = temporal.NewSearchAttributeKeyKeyword("NextAction")
	AttrAssignedAgents = temporal.NewSearchAttributeKeyKeywordList("AssignedAgents")
)

// SearchAttributes lists the custom search attributes and their types, as the Temporal
// CLI's --search-attribute flag and `temporal operator search-attribute create` take them.
func SearchAttributes() map[string]string {
	return map[string]string{
		AttrConversationID.GetName(): "Keyword",
		AttrTeamID.GetName():         "Keyword",
		AttrStatus.GetName():         "Keyword",
		AttrNextAction.GetName():     "Keyword",
		AttrAssignedAgents.GetName(): "KeywordList",
	}
}
