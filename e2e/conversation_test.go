package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

type conversationJSON struct {
	store.Conversation
	Messages []store.Message `json:"messages"`
}

// The first conversation, as a new user meets it: the team's chat is off, a customer
// texts, gets exactly one auto-response, and an agent's reply reaches the phone.
func TestChatOffAutoResponseThenAgentReply(t *testing.T) {
	const autoResponse = "We are closed; we will text you back in the morning."
	s := startStack(t, false, autoResponse)
	customer := newPhone()
	ctx := context.Background()

	sid, status, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Is my order ready?"})
	if err != nil || status != http.StatusOK {
		t.Fatalf("inbound webhook: status %d, err %v", status, err)
	}
	// Twilio retries webhooks: the same MessageSid again must change nothing.
	if code := s.postSignedWebhook(url.Values{
		"MessageSid": {sid}, "AccountSid": {accountSID}, "From": {customer}, "To": {s.teamPhone}, "Body": {"Is my order ready?"},
	}); code != http.StatusOK {
		t.Fatalf("retried webhook: status %d", code)
	}
	if _, status, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Hello??"}); err != nil || status != http.StatusOK {
		t.Fatalf("second inbound webhook: status %d, err %v", status, err)
	}

	var list store.ConversationPage
	var conv conversationJSON
	eventually(t, "both inbound messages stored and the auto-response recorded", func() bool {
		if s.call("GET", "/v1/conversations", s.agentTok, nil, &list) != http.StatusOK || len(list.Conversations) != 1 {
			return false
		}
		s.call("GET", "/v1/conversations/"+list.Conversations[0].ID, s.agentTok, nil, &conv)
		return len(conv.Messages) == 3
	})
	if conv.Status != "missed" || conv.ContactPhone != customer || conv.NextAction != "agent" {
		t.Errorf("conversation = status %q contact %q next %q; want missed, %s, agent", conv.Status, conv.ContactPhone, conv.NextAction, customer)
	}
	var inbound, auto int
	for _, m := range conv.Messages {
		switch {
		case m.Direction == "inbound":
			inbound++
		case m.Kind == "auto_response" && m.Body == autoResponse:
			auto++
		}
	}
	if inbound != 2 || auto != 1 {
		t.Fatalf("messages: %d inbound, %d auto-responses; want 2 and 1 (the retried webhook must not be stored twice)", inbound, auto)
	}

	// The agent replies; the reply reaches the phone and Twilio's callbacks mark it delivered.
	var sent store.Message
	if code := s.call("POST", "/v1/conversations/"+conv.ID+"/messages", s.agentTok, map[string]string{"body": "Yes, it is ready for pickup."}, &sent); code != http.StatusCreated {
		t.Fatalf("reply: status %d", code)
	}
	// The send runs in the background; by the time the API reads the message back it may
	// already be sent or delivered.
	if !slices.Contains([]string{"queued", "sent", "delivered"}, sent.Status) || sent.Direction != "outbound" ||
		sent.AuthorID == nil || *sent.AuthorID != s.agent.ID || sent.Body != "Yes, it is ready for pickup." {
		t.Errorf("reply answer = %+v; want the stored outbound message authored by the agent", sent)
	}
	eventually(t, "the reply delivered", func() bool {
		s.call("GET", "/v1/conversations/"+conv.ID, s.agentTok, nil, &conv)
		last := conv.Messages[len(conv.Messages)-1]
		return last.ID == sent.ID && last.Status == "delivered" && last.TwilioSID != nil
	})
	if conv.Status != "active" || conv.NextAction != "customer" {
		t.Errorf("after the reply: status %q next %q; want active, customer", conv.Status, conv.NextAction)
	}

	// Exactly one auto-response and one reply reached the emulator, from the team's number.
	got := s.sentTo(customer)
	if len(got) != 2 || got[0].Body != autoResponse || got[1].Body != "Yes, it is ready for pickup." {
		t.Fatalf("emulator received %d messages for the customer: %+v; want the auto-response then the reply", len(got), got)
	}
	for _, m := range got {
		if m.From != s.teamPhone {
			t.Errorf("message from %q; want the team number %s", m.From, s.teamPhone)
		}
	}
}

// Webhooks not signed by Twilio are refused and leave nothing behind.
func TestUnsignedWebhookRefused(t *testing.T) {
	s := startStack(t, true, "")
	customer := newPhone()
	form := url.Values{"MessageSid": {"SM00000000000000000000000000000001"}, "From": {customer}, "To": {s.teamPhone}, "Body": {"forged"}}

	for name, sig := range map[string]string{
		"unsigned":         "",
		"wrong signature":  twilioemu.Sign("not-the-auth-token", s.apiURL+"/webhooks/twilio/messages", form),
		"signed other URL": twilioemu.Sign(authToken, "http://evil.example/webhooks/twilio/messages", form),
	} {
		req, _ := http.NewRequest("POST", s.apiURL+"/webhooks/twilio/messages", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		resp, err := s.apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d; want 403", name, resp.StatusCode)
		}
	}
	var list store.ConversationPage
	if s.call("GET", "/v1/conversations", s.agentTok, nil, &list); len(list.Conversations) != 0 {
		t.Errorf("refused webhooks left %d conversations", len(list.Conversations))
	}
	if _, err := s.store.ContactByPhone(context.Background(), customer); err == nil {
		t.Error("a refused webhook created a contact")
	}
}

// postSignedWebhook posts form to the inbound webhook signed as Twilio would.
func (s *stack) postSignedWebhook(form url.Values) int {
	s.t.Helper()
	target := s.apiURL + "/webhooks/twilio/messages"
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioemu.Sign(authToken, target, form))
	resp, err := s.apiClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
