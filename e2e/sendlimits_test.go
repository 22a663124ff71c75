package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// newUKMobile returns a fresh GB mobile number, unique within the run.
func newUKMobile() string {
	phoneCounter++
	return fmt.Sprintf("+447400%06d", phoneCounter%1_000_000)
}

// A team texts only its allowed destination countries (default: its default region):
// elsewhere a send or schedule is 422 naming the country, before anything is stored.
// An admin widens the list; the agent cannot.
func TestQuotaDestinationCountries(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	admin := s.newAdmin("admin", s.team.ID)
	ukMobile := newUKMobile()
	resp, body := s.rawCall(ctx, "POST", "/v1/messages", s.agentTok, `{"team_id":"`+s.team.ID+`","to":"`+ukMobile+`","body":"hello"}`)
	if resp.StatusCode != 422 || !strings.Contains(body, "GB") || !strings.Contains(body, "allowed destination countries: US") {
		t.Fatalf("text to GB: %d %s; want 422 naming GB and the allowed US", resp.StatusCode, body)
	}
	sendAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	resp, body = s.rawCall(ctx, "POST", "/v1/scheduled-messages", s.agentTok, `{"team_id":"`+s.team.ID+`","to":"`+ukMobile+`","body":"later","send_at":"`+sendAt+`"}`)
	if resp.StatusCode != 422 || !strings.Contains(body, "GB") {
		t.Fatalf("schedule to GB: %d %s; want 422", resp.StatusCode, body)
	}
	if _, err := s.store.ContactByPhone(ctx, ukMobile); err == nil {
		t.Errorf("a refused send stored the contact")
	}
	if status := s.call("PATCH", "/v1/teams/"+s.team.ID, s.agentTok, map[string]any{"allowed_countries": []string{"US", "GB"}}, nil); status < 400 || status >= 500 {
		t.Errorf("agent widening the list: %d; want refused", status)
	}
	var team struct {
		AllowedCountries []string `json:"allowed_countries"`
	}
	if status := s.call("PATCH", "/v1/teams/"+s.team.ID, admin.token, map[string]any{"allowed_countries": []string{"us", "GB"}}, &team); status != 200 ||
		strings.Join(team.AllowedCountries, ",") != "US,GB" {
		t.Fatalf("admin PATCH: %d %v", status, team.AllowedCountries)
	}
	if status := s.call("PATCH", "/v1/teams/"+s.team.ID, admin.token, map[string]any{"allowed_countries": []string{"XX"}}, nil); status != 400 {
		t.Errorf("unknown region: %d; want 400", status)
	}
	if resp, body := s.rawCall(ctx, "POST", "/v1/messages", s.agentTok, `{"team_id":"`+s.team.ID+`","to":"`+ukMobile+`","body":"hello"}`); resp.StatusCode != 201 {
		t.Fatalf("text to GB once allowed: %d %s", resp.StatusCode, body)
	}
	eventually(t, "the GB text handed to Twilio", func() bool { return len(s.sentTo(ukMobile)) == 1 })
}

// A team past its daily send quota gets 429 with Retry-After on a send, and a
// scheduled message due then fails with the reason instead of going out.
func TestQuotaDailySends(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	admin := s.newAdmin("admin", s.team.ID)
	if status := s.call("PATCH", "/v1/teams/"+s.team.ID, admin.token, map[string]any{"daily_send_quota": 2}, nil); status != 200 {
		t.Fatalf("PATCH quota: %d", status)
	}
	var phones []string
	for i := range 2 {
		phones = append(phones, newPhone())
		if resp, body := s.rawCall(ctx, "POST", "/v1/messages", s.agentTok, `{"team_id":"`+s.team.ID+`","to":"`+phones[i]+`","body":"hi"}`); resp.StatusCode != 201 {
			t.Fatalf("send %d: %d %s", i, resp.StatusCode, body)
		}
	}
	eventually(t, "both handed to Twilio", func() bool { return len(s.sentTo(phones[0])) == 1 && len(s.sentTo(phones[1])) == 1 })
	third := newPhone()
	// Scheduled before the refusal, due at once: it must fail with the reason at send.
	var sched struct {
		ConversationID string `json:"conversation_id"`
	}
	if status := s.call("POST", "/v1/scheduled-messages", s.agentTok, map[string]any{"team_id": s.team.ID, "to": third, "body": "reminder",
		"send_at": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}, &sched); status != 201 {
		t.Fatalf("schedule: %d", status)
	}
	resp, body := s.rawCall(ctx, "POST", "/v1/messages", s.agentTok, `{"team_id":"`+s.team.ID+`","to":"`+third+`","body":"hi"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "daily quota of 2") {
		t.Fatalf("third send: %d %q %s; want 429 naming the quota", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	eventually(t, "the scheduled message failed with the quota as reason", func() bool {
		var page struct {
			Messages []struct {
				Status       string  `json:"status"`
				ErrorMessage *string `json:"error_message"`
			} `json:"messages"`
		}
		s.call("GET", "/v1/conversations/"+sched.ConversationID+"/messages", s.agentTok, nil, &page)
		for _, m := range page.Messages {
			if m.Status == "failed" && m.ErrorMessage != nil && strings.Contains(*m.ErrorMessage, "daily quota of 2") {
				return true
			}
		}
		return false
	})
	if n := len(s.sentTo(third)); n != 0 {
		t.Errorf("%d messages reached the third number past the quota", n)
	}
}
