package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// The console's thread after a reload: GET /v1/conversations/{id}/events gives the
// caller's own events about the conversation (here the offer the stream sent), and
// GET /v1/conversations/{id}?messages=none the conversation without its messages.
func TestConversationEventsAndDetailWithoutMessages(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	if code := s.call("PUT", "/v1/me/presence", s.agentTok, map[string]string{"state": "available"}, nil); code != http.StatusOK {
		t.Fatalf("presence: %d", code)
	}
	customer := newPhone()
	if _, status, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Hello?"}); err != nil || status != http.StatusOK {
		t.Fatalf("inbound: %d %v", status, err)
	}
	var list store.ConversationPage
	eventually(t, "the conversation listed", func() bool {
		return s.call("GET", "/v1/conversations", s.agentTok, nil, &list) == http.StatusOK && len(list.Conversations) == 1
	})
	id := list.Conversations[0].ID

	var evs struct {
		Events []store.AgentEvent `json:"events"`
	}
	eventually(t, "the offer among the conversation's events", func() bool {
		if s.call("GET", "/v1/conversations/"+id+"/events", s.agentTok, nil, &evs) != http.StatusOK {
			return false
		}
		for _, e := range evs.Events {
			if e.Kind == "offer" && e.ConversationID != nil && *e.ConversationID == id {
				return true
			}
		}
		return false
	})
	for i := 1; i < len(evs.Events); i++ {
		if evs.Events[i].ID <= evs.Events[i-1].ID {
			t.Fatalf("events not oldest first: %+v", evs.Events)
		}
	}
	if code := s.call("GET", "/v1/conversations/"+id+"/events", s.outsider, nil, nil); code != http.StatusNotFound {
		t.Errorf("another team's agent: %d, want 404", code)
	}

	var full, bare conversationJSON
	eventually(t, "the inbound message stored", func() bool {
		return s.call("GET", "/v1/conversations/"+id, s.agentTok, nil, &full) == http.StatusOK && len(full.Messages) == 1
	})
	if code := s.call("GET", "/v1/conversations/"+id+"?messages=none", s.agentTok, nil, &bare); code != http.StatusOK || len(bare.Messages) != 0 || bare.ID != id || bare.Status != full.Status {
		t.Errorf("messages=none: %d, %d messages, %+v", code, len(bare.Messages), bare)
	}
	if code := s.call("GET", "/v1/conversations/"+id+"?messages=some", s.agentTok, nil, nil); code != http.StatusBadRequest {
		t.Errorf("messages=some: %d, want 400", code)
	}
}
