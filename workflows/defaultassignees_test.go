package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// TestDefaultAssigneesTakeTheConversation: a conversation started with the contact's
// default assignees goes to them on the first message: no reservation (so no offer),
// each is notified as for an assignment, the mirror and the search attributes show
// them, and the second message reserves nobody either.
func TestDefaultAssigneesTakeTheConversation(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{"agent-9"} // would be offered if the conversation were routed
	h.signalAt(time.Minute, "SM1")
	after := h.queryAt(90 * time.Second)
	h.signalAt(2*time.Minute, "SM2")
	st := openState()
	st.DefaultAssignees = []string{agent, "agent-8"}
	h.run(st)
	got := h.final

	if after.Status != conversation.StatusActive || !slices.Equal(after.Assignees, []string{agent, "agent-8"}) ||
		after.Offer != nil || len(after.DefaultAssignees) != 0 {
		t.Errorf("after the first message: %s assignees %v offer %+v defaults %v; want active, both assigned, no offer, defaults used",
			after.Status, after.Assignees, after.Offer, after.DefaultAssignees)
	}
	if n := got.count("ReserveAgent"); n != 0 {
		t.Errorf("ReserveAgent called %d times; want none", n)
	}
	var told []string
	for _, n := range got.notified {
		if n.Kind != conversation.NotifyAssigned {
			t.Errorf("notified %+v; want only assignment notifications", n)
		}
		told = append(told, n.UserID)
	}
	if !slices.Equal(told, []string{agent, "agent-8"}) {
		t.Errorf("assignment notifications to %v; want both default assignees", told)
	}
	if len(got.saved) == 0 || !slices.Equal(got.saved[0].Assignees, []string{agent, "agent-8"}) ||
		got.saved[0].Status != conversation.StatusActive {
		t.Errorf("first save = %+v; want active with the default assignees", got.saved)
	}
	var assigned []string
	for _, sa := range got.upserts {
		if v, ok := sa.GetKeywordList(workflows.AttrAssignedAgents); ok {
			assigned = v
		}
	}
	if !slices.Equal(assigned, []string{agent, "agent-8"}) {
		t.Errorf("AssignedAgents search attribute = %v; want the default assignees", assigned)
	}
	if len(got.inbound) != 2 {
		t.Errorf("inbound recorded = %d; want 2", len(got.inbound))
	}
}

// TestNoEligibleDefaultAssigneeRoutes: default assignees who may not see the
// (restricted) conversation are passed over and it is routed as usual.
func TestNoEligibleDefaultAssigneeRoutes(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent}
	h.signalAt(time.Minute, "SM1")
	after := h.queryAt(90 * time.Second)
	st := openState()
	st.VisibleTo = []string{agent}
	st.DefaultAssignees = []string{"agent-8"}
	h.run(st)

	if after.Offer == nil || after.Offer.UserID != agent || len(after.Assignees) != 0 {
		t.Errorf("after the first message: offer %+v assignees %v; want offered to %s", after.Offer, after.Assignees, agent)
	}
	want := activities.ReserveAgentInput{ConversationID: convID, TeamID: teamID, VisibleTo: []string{agent}}
	if r := h.final.reserved; len(r) == 0 || r[0].ConversationID != want.ConversationID || !slices.Equal(r[0].VisibleTo, want.VisibleTo) {
		t.Errorf("ReserveAgent inputs = %+v; want %+v", r, want)
	}
}
