package workflows_test

import (
	"errors"
	"slices"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// TestCallerSignature: with a caller key set, the validator accepts only a caller the
// key signed for this conversation and update (issue 13): an unsigned admin, a
// signature lifted from another update, a role raised after signing and a supervisor
// of another team are all refused (403) and change nothing.
func TestCallerSignature(t *testing.T) {
	key := []byte("test-caller-key-0123456789abcdef0123")
	workflows.SetCallerKey(key)
	t.Cleanup(func() { workflows.SetCallerKey(nil) })
	active := openState()
	active.Status = conversation.StatusActive
	active.Assignees = []string{agent}
	assign := func(c conversation.Caller, updateID string) workflows.Action {
		a := workflows.Action{ConversationID: convID, Caller: c, UserIDs: []string{"agent-2"}}
		workflows.SignAction(key, &a, workflows.UpdateAssign, updateID)
		return a
	}
	admin := conversation.Caller{UserID: "admin-1", Admin: true}
	raised := assign(conversation.Caller{UserID: "agent-3"}, "upd-1")
	raised.Caller.Admin = true
	for _, c := range []struct {
		name string
		a    workflows.Action
		ok   bool
	}{
		{"signed admin", assign(admin, "upd-1"), true},
		{"unsigned admin", workflows.Action{ConversationID: convID, Caller: admin, UserIDs: []string{"agent-2"}}, false},
		{"signature of another update", assign(admin, "upd-other"), false},
		{"admin raised after signing", raised, false},
		{"supervisor of another team", assign(conversation.Caller{UserID: "sup-1", Supervisor: true, TeamID: "team-other"}, "upd-1"), false},
		{"supervisor of the team", assign(conversation.Caller{UserID: "sup-1", Supervisor: true, TeamID: active.TeamID}, "upd-1"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, true, autoText)
			h.update(workflows.UpdateAssign, "upd-1", c.a)
			state := h.queryState()
			got := h.run(active)
			if len(got.replies) != 1 {
				t.Fatalf("replies = %+v", got.replies)
			}
			if c.ok {
				if !got.replies[0].completed || got.replies[0].err != nil || !slices.Equal(state.Assignees, []string{"agent-2"}) {
					t.Errorf("outcome %+v, assignees %v; want accepted, [agent-2]", got.replies[0], state.Assignees)
				}
				return
			}
			var appErr *temporal.ApplicationError
			if !got.replies[0].rejected || !errors.As(got.replies[0].err, &appErr) || appErr.Type() != conversation.EForbidden {
				t.Errorf("outcome %+v; want rejected with %s", got.replies[0], conversation.EForbidden)
			}
			if !slices.Equal(state.Assignees, []string{agent}) || len(got.calls) != 0 {
				t.Errorf("after a refused update: assignees %v, activities %v; want unchanged, none", state.Assignees, got.calls)
			}
		})
	}
}
