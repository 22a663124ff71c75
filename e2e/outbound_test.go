package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// An agent texts a customer first: the message starts a conversation the agent owns,
// reaches Twilio once however often the request is retried, and the customer's answer
// lands in that conversation; numbers that cannot take a text, and contacts who opted
// out, are refused up front with the reason.
func TestAgentTextsCustomerFirst(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	alice := s.newAgent("alice", "away")
	customer := newPhone()
	post := func(a agent, key string, body map[string]string) (apiAnswer, store.Message) {
		t.Helper()
		req := apiRequest{method: "POST", path: "/v1/messages", token: a.token, body: body}
		if key != "" {
			req.header = map[string]string{"Idempotency-Key": key}
		}
		ans, err := s.send(req)
		if err != nil {
			t.Fatal(err)
		}
		var m store.Message
		if ans.status == http.StatusCreated {
			if err := ans.decode(&m); err != nil {
				t.Fatal(err)
			}
		}
		return ans, m
	}
	first := map[string]string{"team_id": s.team.ID, "to": customer, "body": "Hi, this is Alice calling you back by text."}

	var ids []string
	for range 3 {
		ans, m := post(alice, "callback-1", first)
		if ans.status != http.StatusCreated {
			t.Fatalf("POST /v1/messages: %d %s", ans.status, ans.body)
		}
		ids = append(ids, m.ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("retries answered different messages: %v", ids)
	}
	if ans, _ := post(alice, "callback-1", map[string]string{"team_id": s.team.ID, "to": customer, "body": "something else"}); ans.status != http.StatusConflict {
		t.Errorf("the same key for a different message: %d; want 409", ans.status)
	}
	msg, err := s.store.Message(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the message at the emulator", func() bool { return len(s.sentTo(customer)) == 1 })
	conv := s.conversation(msg.ConversationID)
	if conv.Status != "outbound" || !slices.Equal(conv.Assignees, []string{alice.user.ID}) {
		t.Errorf("the started conversation: %s, assignees %v; want outbound, owned by alice", conv.Status, conv.Assignees)
	}

	// The customer answers: the same conversation, now active with alice; her next
	// text joins it.
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Thanks!"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the answer in the same conversation", func() bool {
		c := s.conversation(msg.ConversationID)
		return c.Status == "active" && len(c.Messages) == 2
	})
	ans, second := post(alice, "", map[string]string{"team_id": s.team.ID, "to": customer, "body": "Anything else?"})
	if ans.status != http.StatusCreated || second.ConversationID != msg.ConversationID {
		t.Errorf("a second text: %d in %s; want 201 in %s", ans.status, second.ConversationID, msg.ConversationID)
	}
	eventually(t, "both texts at the emulator, each once", func() bool { return len(s.sentTo(customer)) == 2 })

	// Refused up front, with the reason.
	for _, tc := range []struct {
		body map[string]string
		want int
		says string
	}{
		{map[string]string{"team_id": s.team.ID, "to": "12", "body": "x"}, http.StatusBadRequest, "too short"},
		{map[string]string{"team_id": s.team.ID, "to": "+442071838750", "body": "x"}, http.StatusBadRequest, "not a mobile"},
		{map[string]string{"team_id": s.team.ID, "to": newPhone(), "body": strings.Repeat("x", 1001)}, http.StatusUnprocessableEntity, "1000"},
		{map[string]string{"team_id": s.team.ID, "to": newPhone()}, http.StatusBadRequest, "body"},
		{map[string]string{"team_id": s.team.ID, "to": newPhone(), "body": "x", "cc": "y"}, http.StatusBadRequest, "cc"},
	} {
		ans, _ := post(alice, "", tc.body)
		if ans.status != tc.want || !strings.Contains(string(ans.body), tc.says) {
			t.Errorf("POST %v: %d %s; want %d saying %q", tc.body, ans.status, ans.body, tc.want, tc.says)
		}
	}
	if ans, _ := post(agent{token: s.outsider}, "", first); ans.status != http.StatusNotFound {
		t.Errorf("an agent of another team: %d; want 404", ans.status)
	}

	// The customer texts STOP: new texts and replies are refused with 409 saying so,
	// and nothing more reaches the emulator.
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "STOP"}); err != nil || code != 200 {
		t.Fatalf("inbound STOP: %d %v", code, err)
	}
	eventually(t, "the contact opted out", func() bool {
		c, err := s.teamContact(customer)
		return err == nil && c.OptedOut
	})
	if ans, _ := post(alice, "", map[string]string{"team_id": s.team.ID, "to": customer, "body": "wait"}); ans.status != http.StatusConflict || !strings.Contains(string(ans.body), "opted out") {
		t.Errorf("texting an opted-out contact: %d %s; want 409 saying opted out", ans.status, ans.body)
	}
	var e apiError
	if code := s.call("POST", "/v1/conversations/"+msg.ConversationID+"/messages", alice.token, map[string]string{"body": "wait"}, &e); code != http.StatusConflict || !strings.Contains(e.Error.Message, "opted out") {
		t.Errorf("replying to an opted-out contact: %d %q; want 409 saying opted out", code, e.Error.Message)
	}
	sent := len(s.sentTo(customer))
	if sent != 2 {
		t.Errorf("the emulator got %d texts; want 2 (STOP's confirmation, if any, is sent by Twilio itself)", sent)
	}
}
