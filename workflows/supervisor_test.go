package workflows_test

import (
	"errors"
	"slices"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// TestSupervisorAssignsAnotherAgent: a supervisor of the team reassigns an active
// conversation to another member through the assign update (issue 11); the same call by
// a plain agent is refused by the validator and changes nothing.
func TestSupervisorAssignsAnotherAgent(t *testing.T) {
	active := openState()
	active.Status = conversation.StatusActive
	active.Assignees = []string{agent}
	assign := func(c conversation.Caller) workflows.Action {
		return workflows.Action{ConversationID: convID, Caller: c, UserIDs: []string{"agent-2"}}
	}

	t.Run("supervisor", func(t *testing.T) {
		h := newHarness(t, true, autoText)
		h.update(workflows.UpdateAssign, "upd-1", assign(conversation.Caller{UserID: "supervisor-1", Supervisor: true}))
		state := h.queryState()
		got := h.run(active)
		if len(got.replies) != 1 || !got.replies[0].completed || got.replies[0].err != nil {
			t.Fatalf("assign outcome = %+v; want accepted and completed", got.replies)
		}
		if !slices.Equal(state.Assignees, []string{"agent-2"}) {
			t.Errorf("assignees after the supervisor's assign = %v; want [agent-2]", state.Assignees)
		}
		if len(got.saved) == 0 || !slices.Equal(got.saved[len(got.saved)-1].Assignees, []string{"agent-2"}) {
			t.Errorf("the read model was not saved with the new assignee: %+v", got.saved)
		}
	})

	t.Run("agent", func(t *testing.T) {
		h := newHarness(t, true, autoText)
		h.update(workflows.UpdateAssign, "upd-1", assign(conversation.Caller{UserID: "agent-3"}))
		state := h.queryState()
		got := h.run(active)
		if len(got.replies) != 1 || !got.replies[0].rejected {
			t.Fatalf("assign outcome = %+v; want rejected by the validator", got.replies)
		}
		var appErr *temporal.ApplicationError
		if !errors.As(got.replies[0].err, &appErr) || appErr.Type() != conversation.EForbidden {
			t.Errorf("rejection = %v; want %s", got.replies[0].err, conversation.EForbidden)
		}
		if !slices.Equal(state.Assignees, []string{agent}) || len(got.calls) != 0 {
			t.Errorf("after a refused assign: assignees %v, activities %v; want unchanged, none", state.Assignees, got.calls)
		}
	})
}
