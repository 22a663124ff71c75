package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// A contact's default assignees: PATCH validates them (users only, within the default
// visibility, an agent keeps themselves on the list), every contact answer shows them,
// and the contact's next conversation goes straight to them, into their mine inbox,
// without an offer to anyone; when none of them may take it (not in the team), it is
// routed as usual.
func TestContactDefaultAssignees(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	alice := s.newAgent("alice", "available") // routing would offer it to her
	bob := s.newAgent("bob", "away")          // presence does not matter for a default assignment
	admin := s.newAdmin("defadmin", s.team.ID)
	elsewhere, err := s.store.CreateTeam(ctx, "Elsewhere "+t.Name(), true, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := s.addUser(ctx, elsewhere.ID, "stranger")
	customer := newPhone()
	contact, err := s.store.EnsureContact(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/contacts/" + contact.ID

	// Validation: the refused changes change nothing.
	var d contactDetail
	if code := s.call("PATCH", path, admin.token, map[string]any{"default_assignees": []string{bob.user.ID, bob.user.ID}}, &d); code != http.StatusOK ||
		!slices.Equal(d.DefaultAssignees, []string{bob.user.ID}) {
		t.Fatalf("set: %d %v; want [bob]", code, d.DefaultAssignees)
	}
	unknown := uuid.NewString()
	for _, tc := range []struct {
		name    string
		body    any
		status  int
		mention string
	}{
		{"unknown user", map[string]any{"default_assignees": []string{unknown}}, 422, unknown},
		{"not an id", map[string]any{"default_assignees": []string{"bob"}}, 422, `"bob"`},
		{"null", map[string]any{"default_assignees": nil}, 400, "default_assignees"},
		{"not a list", map[string]any{"default_assignees": "bob"}, 400, "default_assignees"},
		{"visibility leaving out an assignee", map[string]any{"default_visible_to": []string{alice.user.ID}}, 422, bob.user.ID},
		{"assignee outside the visibility", map[string]any{"default_visible_to": []string{bob.user.ID}, "default_assignees": []string{alice.user.ID}}, 422, alice.user.ID},
	} {
		var e apiError
		if code := s.call("PATCH", path, admin.token, tc.body, &e); code != tc.status || !strings.Contains(e.Error.Message, tc.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", tc.name, code, e.Error.Message, tc.status, tc.mention)
		}
	}
	if code := s.call("GET", path, admin.token, nil, &d); code != http.StatusOK ||
		!slices.Equal(d.DefaultAssignees, []string{bob.user.ID}) || len(d.DefaultVisibleTo) != 0 {
		t.Errorf("after refused changes: %d assignees %v visible %v; want [bob], unrestricted", code, d.DefaultAssignees, d.DefaultVisibleTo)
	}
	// Both lists in one request: restricted to bob and assigned to him.
	both := map[string]any{"default_visible_to": []string{bob.user.ID}, "default_assignees": []string{bob.user.ID}}
	if code := s.call("PATCH", path, admin.token, both, &d); code != http.StatusOK ||
		!slices.Equal(d.DefaultAssignees, []string{bob.user.ID}) || !slices.Equal(d.DefaultVisibleTo, []string{bob.user.ID}) {
		t.Fatalf("set both: %d %v %v", code, d.DefaultAssignees, d.DefaultVisibleTo)
	}
	var page store.ContactPage
	if code := s.call("GET", "/v1/contacts?q="+url.QueryEscape(customer), admin.token, nil, &page); code != http.StatusOK ||
		len(page.Contacts) != 1 || !slices.Equal(page.Contacts[0].DefaultAssignees, []string{bob.user.ID}) {
		t.Errorf("list: %d %+v; want the contact with its default assignees", code, page.Contacts)
	}

	// The customer texts: the conversation goes to bob, offered to nobody.
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "It's me, your VIP"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation in bob's mine inbox", func() bool {
		if mine := s.inbox(bob, "inbox=mine", 50); len(mine) == 1 {
			convID = mine[0]
		}
		return convID != ""
	})
	var c conversationJSON
	if code := s.call("GET", "/v1/conversations/"+convID, bob.token, nil, &c); code != http.StatusOK ||
		c.Status != "active" || !slices.Equal(c.Assignees, []string{bob.user.ID}) || c.OfferedTo != nil ||
		!slices.Equal(c.VisibleTo, []string{bob.user.ID}) || c.ContactID != contact.ID {
		t.Fatalf("conversation: %d %s assignees %v offered to %v visible to %v; want active, [bob], no offer, restricted to bob",
			code, c.Status, c.Assignees, c.OfferedTo, c.VisibleTo)
	}
	var offers, assigned int
	if err := s.dbQueryRow(`SELECT count(*) FILTER (WHERE kind = 'offer'), count(*) FILTER (WHERE kind = 'assigned' AND user_id = $2)
		FROM agent_events WHERE conversation_id = $1`, convID, bob.user.ID).Scan(&offers, &assigned); err != nil {
		t.Fatal(err)
	}
	if offers != 0 || assigned != 1 {
		t.Errorf("events: %d offers, %d assignment events for bob; want none and one", offers, assigned)
	}
	if len(s.offersFor(alice)) != 0 || len(s.offersFor(bob)) != 0 {
		t.Errorf("offers made: alice %v, bob %v; want none", s.offersFor(alice), s.offersFor(bob))
	}
	if got := s.inbox(admin, "inbox=new", 50); slices.Contains(got, convID) {
		t.Errorf("the team's new inbox lists the conversation")
	}
	s.mustAct(bob, "POST", "/v1/conversations/"+convID+"/messages", map[string]string{"body": "Hi, Bob here."}, http.StatusCreated)

	// An agent who sees the contact may change the list by the same rule as its
	// visibility: keeping themselves on it.
	var e apiError
	if code := s.call("PATCH", path, bob.token, map[string]any{"default_assignees": []string{alice.user.ID}}, &e); code != http.StatusUnprocessableEntity ||
		!strings.Contains(e.Error.Message, "must include you") {
		t.Errorf("bob hands the contact to alice alone: %d %q; want 422", code, e.Error.Message)
	}

	// None of the default assignees is in the team: the next conversation is routed.
	s.mustAct(bob, "POST", "/v1/conversations/"+convID+"/archive", nil, http.StatusOK)
	s.mustAct(admin, "PATCH", path, map[string]any{"default_visible_to": []string{}, "default_assignees": []string{stranger.ID}}, http.StatusOK)
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Me again"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var second string
	eventually(t, "the second conversation offered to alice", func() bool {
		if o := s.offersFor(alice); len(o) == 1 {
			second = o[0].ConversationID
		}
		return second != ""
	})
	if second == convID {
		t.Fatalf("the archived conversation was offered")
	}
	if c := s.conversation(second); len(c.Assignees) != 0 || c.Status != "new" {
		t.Errorf("second conversation: %s assignees %v; want new and unassigned (offered)", c.Status, c.Assignees)
	}
}
