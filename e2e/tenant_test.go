package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Tenant boundaries (issue 13): teams share contacts, so each test here has a second
// team with its own number and agent.

// rivalTeam makes a second team with a number of its own and an agent in it.
func (s *stack) rivalTeam(name string) (store.Team, agent) {
	s.t.Helper()
	team, err := s.store.CreateTeam(context.Background(), name+" "+s.t.Name(), true, "", []string{newPhone()})
	if err != nil {
		s.t.Fatal(err)
	}
	u, tok := s.addUser(context.Background(), team.ID, name)
	u.TeamIDs = []string{team.ID}
	return team, agent{u, tok}
}

// An agent of another team who attaches a team's customer by a chat handoff learns
// nothing of what the team knows, changes only their own team's settings, and cannot
// reach the team's conversations by them: the customer's next conversation with the
// team is visible to the team, routed as usual, and textable.
func TestContactSettingsArePerTeam(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin", s.team.ID)
	rival, mallory := s.rivalTeam("mallory")
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hello")
	first := s.conversationWith(customer)
	path := "/v1/contacts/" + first.ContactID
	s.mustAct(admin, "PATCH", path, map[string]string{"name": "Ana Lima", "ref": "CRM-1"}, http.StatusOK)

	// The handoff answers nothing of the team's: not its name, ref or settings.
	ans := s.mustSend(apiRequest{method: "POST", path: "/v1/chat-handoffs", token: mallory.token, body: map[string]any{
		"team_id": rival.ID, "phone": customer, "consent": true, "name": "Who", "chat_ref": "c1"}}, http.StatusCreated)
	var h handoffJSON
	if err := ans.decode(&h); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ans.body), "Ana Lima") || strings.Contains(string(ans.body), "CRM-1") || h.Contact.ID != first.ContactID ||
		len(h.Contact.Teams) != 0 {
		t.Errorf("the handoff answer tells another team's agent %s", ans.body)
	}

	// Their own team's settings they may change; the shared name, not; another team's, not.
	var d contactDetail
	if code := s.call("PATCH", path, mallory.token, map[string]any{"default_visible_to": []string{mallory.user.ID},
		"default_assignees": []string{mallory.user.ID}, "blocked": true, "opted_out": true}, &d); code != http.StatusOK ||
		len(d.Teams) != 1 || d.Teams[0].TeamID != rival.ID || !d.Blocked || !d.OptedOut || d.Name != "Ana Lima" {
		t.Fatalf("mallory sets her team's settings: %d %+v", code, d)
	}
	var e apiError
	if code := s.call("PATCH", path, mallory.token, map[string]string{"name": "Pwned"}, &e); code != http.StatusForbidden ||
		!strings.Contains(e.Error.Message, "every team") {
		t.Errorf("mallory renames the team's customer: %d %q; want 403", code, e.Error.Message)
	}
	if code := s.call("PATCH", path, mallory.token, map[string]any{"team_id": s.team.ID, "blocked": true}, &e); code != http.StatusNotFound {
		t.Errorf("mallory blocks for the team: %d %q; want 404", code, e.Error.Message)
	}
	if c, err := s.teamContact(customer); err != nil || c.Name != "Ana Lima" || c.Blocked || c.OptedOut ||
		len(c.DefaultVisibleTo) != 0 || len(c.DefaultAssignees) != 0 {
		t.Errorf("the team's view of its customer after mallory's requests: %+v %v", c, err)
	}

	// The customer's next conversation with the team is the team's.
	s.mustAct(admin, "POST", "/v1/conversations/"+first.ID+"/archive", nil, http.StatusOK)
	s.inbound(customer, s.teamPhone, "me again")
	var next conversationJSON
	eventually(t, "the customer's next conversation", func() bool {
		open, found, err := s.store.OpenConversationOf(ctx, s.team.ID, first.ContactID)
		if err != nil || !found {
			return false
		}
		next = s.conversation(open.ID)
		return true
	})
	if len(next.VisibleTo) != 0 || len(next.Assignees) != 0 {
		t.Errorf("the team's new conversation: visible to %v, assignees %v; want the whole team, routed", next.VisibleTo, next.Assignees)
	}
	if code := s.call("GET", "/v1/conversations/"+next.ID, me.token, nil, nil); code != http.StatusOK {
		t.Errorf("the team's agent reads its conversation: %d", code)
	}
	s.mustAct(me, "POST", "/v1/conversations/"+next.ID+"/messages", map[string]string{"body": "Hi Ana"}, http.StatusCreated)
	if open, found, err := s.store.OpenConversationOf(ctx, rival.ID, first.ContactID); err != nil || found {
		t.Errorf("a conversation in mallory's team: %+v %v", open, err)
	}
}

// A 409 about a contact's consent or block speaks of the caller's team only, and
// another team's opt-out or block does not stop the caller's team (Twilio's opt-out is
// per sender).
func TestRefusalsSpeakOfTheCallersTeam(t *testing.T) {
	s := startStack(t, true, "")
	me := agent{s.agent, s.agentTok}
	rival, mallory := s.rivalTeam("mallory")
	stopped, blocked := newPhone(), newPhone()
	s.inbound(stopped, s.teamPhone, "STOP")
	eventually(t, "the contact opted out of the team", func() bool {
		c, err := s.teamContact(stopped)
		return err == nil && c.OptedOut
	})
	s.inbound(blocked, s.teamPhone, "hi")
	s.mustAct(me, "PATCH", "/v1/contacts/"+s.conversationWith(blocked).ContactID, map[string]bool{"blocked": true}, http.StatusOK)

	for _, phone := range []string{stopped, blocked} {
		for _, c := range []struct{ path string }{{"/v1/messages"}, {"/v1/scheduled-messages"}, {"/v1/chat-handoffs"}} {
			body := map[string]any{"team_id": rival.ID, "to": phone, "phone": phone, "body": "Hello", "consent": true,
				"name": "N", "chat_ref": "r", "send_at": "2099-01-02T09:00:00Z"}
			for k := range body {
				if !fieldOf(c.path, k) {
					delete(body, k)
				}
			}
			// Another team is not stopped, and is told nothing.
			if code := s.call("POST", c.path, mallory.token, body, nil); code != http.StatusCreated {
				t.Errorf("another team: POST %s to %s: %d; want 201", c.path, phone, code)
			}
			// The team itself is told why, as its own decision.
			body["team_id"] = s.team.ID
			var e apiError
			if code := s.call("POST", c.path, me.token, body, &e); code != http.StatusConflict || !strings.Contains(e.Error.Message, "this team") {
				t.Errorf("the team: POST %s to %s: %d %q; want 409 about this team", c.path, phone, code, e.Error.Message)
			}
		}
	}
}

// fieldOf says whether the request body of a POST to path takes field k.
func fieldOf(path, k string) bool {
	switch path {
	case "/v1/messages":
		return k == "team_id" || k == "to" || k == "body"
	case "/v1/scheduled-messages":
		return k == "team_id" || k == "to" || k == "body" || k == "send_at"
	}
	return k == "team_id" || k == "phone" || k == "consent" || k == "name" || k == "chat_ref"
}

// Twilio's 21610 (the number unsubscribed) opts the contact out of the sending team
// only, and a replay of that report after the customer texted START does not opt
// them out again.
func TestUnsubscribedReportReplayAfterStart(t *testing.T) {
	s := startStack(t, true, "")
	s.fastSender()
	rival, mallory := s.rivalTeam("rival")
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	sent := s.reply(conv.ID, "hello")
	m := s.messageIn(conv.ID, "the reply delivered", func(m store.Message) bool { return m.ID == sent.ID && m.TwilioSID != nil })
	report := url.Values{"MessageSid": {*m.TwilioSID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"21610"}}
	if code := s.postSigned("/webhooks/twilio/status", authToken, report); code != http.StatusNoContent {
		t.Fatalf("status callback: %d", code)
	}
	if c, err := s.teamContact(customer); err != nil || !c.OptedOut {
		t.Fatalf("after 21610: %+v %v; want opted out of the team", c, err)
	}
	// Per sender: the other team still texts them.
	if code := s.call("POST", "/v1/messages", mallory.token, map[string]string{"team_id": rival.ID, "to": customer, "body": "Hi"}, nil); code != http.StatusCreated {
		t.Errorf("another team texts the customer: %d; want 201", code)
	}
	s.inbound(customer, s.teamPhone, "START")
	eventually(t, "the customer opted back in", func() bool {
		c, err := s.teamContact(customer)
		return err == nil && !c.OptedOut
	})
	if code := s.postSigned("/webhooks/twilio/status", authToken, report); code != http.StatusNoContent {
		t.Fatalf("replayed status callback: %d", code)
	}
	if c, err := s.teamContact(customer); err != nil || c.OptedOut {
		t.Errorf("after the replayed 21610: %+v %v; want still opted in (START came later)", c, err)
	}
}

// Twilio retries or replays an inbound webhook after its conversation closed: it is
// acknowledged, and opens no new, empty conversation.
func TestInboundReplayAfterClose(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	admin := s.newAdmin("admin", s.team.ID)
	customer := newPhone()
	form := url.Values{"MessageSid": {newSID()}, "From": {customer}, "To": {s.teamPhone}, "Body": {"hi"}}
	if code := s.postSignedWebhook(form); code != http.StatusOK {
		t.Fatalf("inbound: %d", code)
	}
	conv := s.conversationWith(customer)
	s.messageIn(conv.ID, "the message stored", func(m store.Message) bool { return m.Body == "hi" })
	s.mustAct(admin, "POST", "/v1/conversations/"+conv.ID+"/archive", nil, http.StatusOK)
	if code := s.postSignedWebhook(form); code != http.StatusOK {
		t.Fatalf("replayed inbound: %d; want 200", code)
	}
	if open, found, err := s.store.OpenConversationOf(ctx, s.team.ID, conv.ContactID); err != nil || found {
		t.Errorf("after the replay: open conversation %+v %v; want none", open, err)
	}
}

// A text from a sender that is not a phone number (an alphanumeric sender id, a short
// code) is stored and shown, never refused; a reply to it is refused up front (422)
// saying why, and nothing is queued.
func TestInboundFromSenderID(t *testing.T) {
	s := startStack(t, true, "")
	for _, from := range []string{"MyBank", "72345"} {
		body := "Your code is 1234 from " + from
		if code := s.postSignedWebhook(url.Values{"MessageSid": {newSID()}, "From": {from}, "To": {s.teamPhone}, "Body": {body}}); code != http.StatusOK {
			t.Fatalf("inbound from %s: %d; want 200", from, code)
		}
		conv := s.conversationWith(from)
		s.messageIn(conv.ID, "the text from "+from, func(m store.Message) bool { return m.Body == body && m.From == from })
		var out struct {
			Error struct{ Message string }
		}
		if code := s.call("POST", "/v1/conversations/"+conv.ID+"/messages", s.agentTok, map[string]string{"body": "Thanks"}, &out); code != http.StatusUnprocessableEntity ||
			!strings.Contains(out.Error.Message, "not a phone number") {
			t.Errorf("reply to %s: %d %q; want 422 saying it is not a phone number", from, code, out.Error.Message)
		}
		msgs, err := s.store.Messages(context.Background(), conv.ID)
		if err != nil || len(msgs) != 1 {
			t.Errorf("messages after the refused reply: %d %v; want only the inbound text", len(msgs), err)
		}
	}
}

// Cancelling a scheduled message is an action on its conversation as it is now: after
// a transfer to another team, that team's agents may cancel it and the first team's
// may not.
func TestCancelScheduledAfterTransfer(t *testing.T) {
	s := startStack(t, true, "")
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin", s.team.ID)
	rival, bee := s.rivalTeam("bee")
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", me.token, map[string]any{"team_id": s.team.ID, "to": customer,
		"body": "Reminder", "send_at": "2099-01-02T09:00:00Z"}, &sm); code != http.StatusCreated || sm.ConversationID == nil || *sm.ConversationID != conv.ID {
		t.Fatalf("schedule: %d %+v", code, sm)
	}
	s.mustAct(admin, "POST", "/v1/conversations/"+conv.ID+"/assign", map[string][]string{"user_ids": {me.user.ID}}, http.StatusOK)
	s.mustAct(me, "POST", "/v1/conversations/"+conv.ID+"/transfer", map[string]string{"team_id": rival.ID}, http.StatusOK)
	s.mustAct(me, "DELETE", "/v1/scheduled-messages/"+sm.ID, nil, http.StatusNotFound)
	if got, err := s.store.Scheduled(context.Background(), sm.ID); err != nil || got.Status != "pending" {
		t.Fatalf("after the first team's refused cancel: %+v %v; want pending", got, err)
	}
	s.mustAct(bee, "DELETE", "/v1/scheduled-messages/"+sm.ID, nil, http.StatusNoContent)
	if got, err := s.store.Scheduled(context.Background(), sm.ID); err != nil || got.Status != "cancelled" {
		t.Errorf("after the new team's cancel: %+v %v; want cancelled", got, err)
	}
}

// Unarchiving follows the rule of archiving: the conversation's (last) assignees or an
// admin; another agent of the team is refused and nothing reopens.
func TestUnarchiveFollowsAssigneeRule(t *testing.T) {
	s := startStack(t, true, "")
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin", s.team.ID)
	helper := s.newAgent("helper", "")
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	s.mustAct(admin, "POST", "/v1/conversations/"+conv.ID+"/assign", map[string][]string{"user_ids": {me.user.ID}}, http.StatusOK)
	s.mustAct(me, "POST", "/v1/conversations/"+conv.ID+"/archive", nil, http.StatusOK)
	var e apiError
	if code := s.call("POST", "/v1/conversations/"+conv.ID+"/unarchive", helper.token, nil, &e); code != http.StatusForbidden ||
		!strings.Contains(e.Error.Message, "assignees") {
		t.Errorf("another agent unarchives: %d %q; want 403", code, e.Error.Message)
	}
	if c := s.conversation(conv.ID); c.Status != "closed" {
		t.Errorf("after the refused unarchive: %s; want closed", c.Status)
	}
	s.mustAct(me, "POST", "/v1/conversations/"+conv.ID+"/unarchive", nil, http.StatusOK)
}

// Someone who reaches Temporal directly cannot act as an admin: an update whose caller
// the API did not sign is refused by the workflow and changes nothing.
func TestForgedCallerRefused(t *testing.T) {
	s := startStack(t, true, "")
	me := agent{s.agent, s.agentTok}
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	tc := s.temporal(t)
	ctx := context.Background()
	forged := workflows.Action{ConversationID: conv.ID, Caller: conversation.Caller{UserID: me.user.ID, Admin: true},
		UserIDs: []string{me.user.ID}, CallerSig: strings.Repeat("0", 64)}
	handle, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(conv.ID), UpdateID: "forged-" + conv.ID, UpdateName: workflows.UpdateAssign,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{forged},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("forged admin update: %v; want refused, the signature not verifying", err)
	}
	if c := s.conversation(conv.ID); len(c.Assignees) != 0 {
		t.Errorf("after the forged update: assignees %v; want none", c.Assignees)
	}
}
