package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// A restricted conversation is invisible (404) to the agents left off its list, in the
// inbox and on every conversation route; admins still see it; nobody outside the list
// can be put on it; and a contact's default visibility applies to their next
// conversation, routing it only to the listed agents.
func TestRestrictedConversationIsInvisibleToOthers(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	alice := s.newAgent("alice", "available")
	bob := s.newAgent("bob", "away")
	admin := s.newAdmin("visadmin", s.team.ID)
	customer := newPhone()

	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "It's private"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation offered to alice", func() bool {
		if offers := s.offersFor(alice); len(offers) == 1 {
			convID = offers[0].ConversationID
		}
		return convID != ""
	})
	conv := "/v1/conversations/" + convID
	s.mustAct(alice, "POST", conv+"/accept", nil, http.StatusOK)

	// Bob sees it until alice restricts it to herself.
	if got := s.inbox(bob, "inbox=team", 50); !slices.Contains(got, convID) {
		t.Fatalf("bob's team inbox %v lacks the unrestricted conversation", got)
	}
	var e apiError
	if code := s.call("PUT", conv+"/visibility", alice.token, map[string]any{"user_ids": []string{bob.user.ID}}, &e); code != http.StatusUnprocessableEntity {
		t.Fatalf("restricting without the owner: %d %s; want 422", code, e.Error.Message)
	}
	if code := s.call("PUT", conv+"/visibility", alice.token, map[string]any{}, &e); code != http.StatusBadRequest {
		t.Fatalf("no user_ids: %d; want 400", code)
	}
	var after store.Conversation
	if code := s.call("PUT", conv+"/visibility", alice.token, map[string]any{"user_ids": []string{alice.user.ID}}, &after); code != http.StatusOK {
		t.Fatalf("restrict: %d", code)
	}
	if !slices.Equal(after.VisibleTo, []string{alice.user.ID}) {
		t.Fatalf("visible_to = %v; want [alice]", after.VisibleTo)
	}

	for _, inbox := range []string{"inbox=team", "inbox=other", "inbox=mine"} {
		if got := s.inbox(bob, inbox, 50); slices.Contains(got, convID) {
			t.Errorf("bob's %s lists the restricted conversation", inbox)
		}
	}
	if got := s.inbox(alice, "inbox=mine", 50); !slices.Contains(got, convID) {
		t.Errorf("alice's own inbox %v lacks it", got)
	}
	if got := s.inbox(admin, "inbox=team", 50); !slices.Contains(got, convID) {
		t.Errorf("the admin's team inbox %v lacks it", got)
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", conv, nil}, {"GET", conv + "/scheduled", nil}, {"POST", conv + "/accept", nil},
		{"POST", conv + "/notes", map[string]string{"body": "peek"}},
		{"PUT", conv + "/visibility", map[string]any{"user_ids": []string{}}},
	} {
		if code := s.call(r.method, r.path, bob.token, r.body, nil); code != http.StatusNotFound {
			t.Errorf("bob %s %s: %d; want 404", r.method, r.path, code)
		}
	}
	// Nor can bob reach it through the contact: a scheduled message or a text would
	// join it (and the answer would name it).
	later := time.Now().Add(time.Hour).UTC()
	if code := s.call("POST", "/v1/scheduled-messages", bob.token, map[string]any{
		"team_id": s.team.ID, "to": customer, "body": "psst", "send_at": later}, nil); code != http.StatusNotFound {
		t.Errorf("bob schedules a message to the restricted conversation's contact: %d; want 404", code)
	}
	if code := s.call("POST", "/v1/messages", bob.token, map[string]any{"team_id": s.team.ID, "to": customer, "body": "psst"}, nil); code != http.StatusNotFound {
		t.Errorf("bob texts the restricted conversation's contact: %d; want 404", code)
	}
	if code := s.call("GET", conv, admin.token, nil, nil); code != http.StatusOK {
		t.Errorf("admin GET: %d; want 200", code)
	}
	// Nobody off the list can be put on it, not even by an admin.
	if code := s.call("POST", conv+"/conference", alice.token, map[string]string{"user_id": bob.user.ID}, &e); code != http.StatusUnprocessableEntity {
		t.Errorf("conference bob in: %d %s; want 422", code, e.Error.Message)
	}
	if code := s.call("POST", conv+"/assign", admin.token, map[string]any{"user_ids": []string{bob.user.ID}}, &e); code != http.StatusUnprocessableEntity {
		t.Errorf("admin assigns bob: %d %s; want 422", code, e.Error.Message)
	}

	// The admin lifts the restriction: bob sees it again.
	s.mustAct(admin, "PUT", conv+"/visibility", map[string]any{"user_ids": []string{}}, http.StatusOK)
	if code := s.call("GET", conv, bob.token, nil, nil); code != http.StatusOK {
		t.Errorf("bob GET after the restriction was lifted: %d; want 200", code)
	}

	// A contact restricted by default: the next conversation is restricted from its
	// first moment and offered only to the listed agent (bob), though alice has been
	// idle longer.
	s.mustAct(alice, "POST", conv+"/archive", nil, http.StatusOK)
	contact, err := s.store.ContactByPhone(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	s.mustAct(admin, "PATCH", "/v1/contacts/"+contact.ID, map[string]any{"default_visible_to": []string{bob.user.ID}}, http.StatusOK)
	s.mustAct(bob, "PUT", "/v1/me/presence", map[string]string{"state": "available"}, http.StatusOK)
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Me again"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var second string
	eventually(t, "the second conversation offered to bob", func() bool {
		if offers := s.offersFor(bob); len(offers) == 1 {
			second = offers[0].ConversationID
		}
		return second != ""
	})
	if len(s.offersFor(alice)) != 0 {
		t.Errorf("alice was offered a conversation restricted to bob")
	}
	if code := s.call("GET", "/v1/conversations/"+second, alice.token, nil, nil); code != http.StatusNotFound {
		t.Errorf("alice GET the restricted second conversation: %d; want 404", code)
	}
}
