package activities

import (
	"context"

	"github.com/textdesk/textdesk/conversation"
)

// TeamTransferInput names a conversation about to move to another team.
type TeamTransferInput struct {
	ConversationID string
	ContactID      string
	TeamID         string
}

// CheckTeamTransfer refuses (conflict) a move that would give the contact two open
// conversations in the target team, before the workflow changes anything.
func (a *Activities) CheckTeamTransfer(ctx context.Context, in TeamTransferInput) error {
	open, err := a.Store.HasOtherOpenConversation(ctx, in.TeamID, in.ContactID, in.ConversationID)
	if err != nil {
		return temporalError(err)
	}
	if open {
		return temporalError(conversation.Errorf(conversation.EConflict,
			"the contact already has an open conversation in that team; transfer refused"))
	}
	return nil
}
