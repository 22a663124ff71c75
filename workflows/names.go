// Package workflows is the conversation workflow: a thin deterministic shell that feeds
// signals and updates into the conversation state machine and runs the commands it
// returns as activities.
package workflows

import "go.temporal.io/sdk/temporal"

// Names the API and the worker agree on.
const (
	// SignalInbound carries an InboundSignal: the customer texted.
	SignalInbound = "inbound"
	// UpdateReply carries a ReplyRequest and answers a ReplyResult once the message is stored.
	UpdateReply = "reply"
	// QueryState answers the conversation.State.
	QueryState = "state"
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
