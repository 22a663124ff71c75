package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Bad requests get a 4xx with a message a person can act on, and send nothing.
func TestAPIRefusesBadRequests(t *testing.T) {
	s := startStack(t, true, "")
	customer := newPhone()
	if _, status, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hi"}); err != nil || status != http.StatusOK {
		t.Fatalf("inbound: %d %v", status, err)
	}
	var convID string
	eventually(t, "the conversation listed", func() bool {
		var list struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.call("GET", "/v1/conversations", s.agentTok, nil, &list)
		if len(list.Conversations) == 1 {
			convID = list.Conversations[0].ID
		}
		return convID != ""
	})
	msgs := "/v1/conversations/" + convID + "/messages"

	cases := []struct {
		name, method, path, token, contentType, body string
		status                                       int
		code, mentions                               string
	}{
		{"no token", "GET", "/v1/conversations", "", "", "", 401, "unauthorized", "Bearer"},
		{"unknown token", "GET", "/v1/conversations", "tdk_nope", "", "", 401, "unauthorized", "unknown"},
		{"other team's conversation", "GET", "/v1/conversations/" + convID, s.outsider, "", "", 404, "not_found", "not found"},
		{"other team's reply", "POST", msgs, s.outsider, "application/json", `{"body":"x"}`, 404, "not_found", "not found"},
		{"malformed id", "GET", "/v1/conversations/not-a-uuid", s.agentTok, "", "", 404, "not_found", "not found"},
		{"empty body", "POST", msgs, s.agentTok, "application/json", `{"body":"  "}`, 400, "invalid", "empty"},
		{"too long", "POST", msgs, s.agentTok, "application/json", `{"body":"` + strings.Repeat("é", 1001) + `"}`, 422, "unprocessable", "1000"},
		{"control character", "POST", msgs, s.agentTok, "application/json", `{"body":"red \u001b[31malert"}`, 400, "invalid", "control character"},
		{"unknown field", "POST", msgs, s.agentTok, "application/json", `{"text":"hi"}`, 400, "invalid", `"text"`},
		{"not JSON", "POST", msgs, s.agentTok, "application/json", `{"body":`, 400, "invalid", "JSON"},
		{"form body", "POST", msgs, s.agentTok, "application/x-www-form-urlencoded", `body=hi`, 400, "invalid", "application/json"},
		{"bad limit", "GET", "/v1/conversations?limit=0", s.agentTok, "", "", 400, "invalid", "limit"},
		{"bad cursor", "GET", "/v1/conversations?cursor=zzz", s.agentTok, "", "", 400, "invalid", "cursor"},
		{"chat without on", "PUT", "/v1/teams/" + s.team.ID + "/chat", s.agentTok, "application/json", `{}`, 400, "invalid", `"on"`},
		{"chat of other team", "PUT", "/v1/teams/" + s.team.ID + "/chat", s.outsider, "application/json", `{"on":false}`, 404, "not_found", "team"},
		{"unknown route", "GET", "/v1/nope", s.agentTok, "", "", 404, "not_found", "endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, s.apiURL+c.path, strings.NewReader(c.body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := s.apiClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body apiError
			decodeBody(t, resp, &body)
			if resp.StatusCode != c.status || body.Error.Code != c.code || !strings.Contains(body.Error.Message, c.mentions) {
				t.Errorf("got %d %q %q; want %d %q mentioning %q", resp.StatusCode, body.Error.Code, body.Error.Message, c.status, c.code, c.mentions)
			}
		})
	}
	if n := len(s.sentTo(customer)); n != 0 {
		t.Errorf("refused requests sent %d messages", n)
	}
}

// A client retrying a reply with the same Idempotency-Key sends one message.
func TestReplyIdempotencyKey(t *testing.T) {
	s := startStack(t, true, "")
	customer := newPhone()
	if _, status, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hi"}); err != nil || status != http.StatusOK {
		t.Fatalf("inbound: %d %v", status, err)
	}
	var conv conversationJSON
	eventually(t, "the inbound message stored", func() bool {
		var list struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.call("GET", "/v1/conversations", s.agentTok, nil, &list)
		if len(list.Conversations) != 1 {
			return false
		}
		s.call("GET", "/v1/conversations/"+list.Conversations[0].ID, s.agentTok, nil, &conv)
		return len(conv.Messages) == 1
	})
	var ids []string
	for range 3 {
		req, _ := http.NewRequest("POST", s.apiURL+"/v1/conversations/"+conv.ID+"/messages", strings.NewReader(`{"body":"once only"}`))
		req.Header.Set("Authorization", "Bearer "+s.agentTok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "retry-me")
		resp, err := s.apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ ID string }
		decodeBody(t, resp, &m)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("attempt: status %d", resp.StatusCode)
		}
		ids = append(ids, m.ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("retries returned different messages: %v", ids)
	}
	eventually(t, "the reply delivered", func() bool {
		s.call("GET", "/v1/conversations/"+conv.ID, s.agentTok, nil, &conv)
		return len(conv.Messages) == 2 && conv.Messages[1].Status == "delivered"
	})
	if got := s.sentTo(customer); len(got) != 1 {
		t.Fatalf("emulator received %d messages; want 1", len(got))
	}
}

// The public port says only ready / not ready and serves no metrics; the internal
// address serves metrics and readiness naming each dependency.
func TestHealthAndReadiness(t *testing.T) {
	s := startStack(t, true, "")
	var ready map[string]string
	if code := s.call("GET", "/healthz", "", nil, nil); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code := s.call("GET", "/readyz", "", nil, &ready); code != http.StatusOK || len(ready) != 1 || ready["status"] != "ready" {
		t.Errorf("public /readyz: %d %v; want 200 {\"status\":\"ready\"} and nothing else", code, ready)
	}
	resp, err := http.Get(s.apiURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public /metrics: %d; want 404 (metrics are on API_INTERNAL_ADDR)", resp.StatusCode)
	}

	resp, err = http.Get(s.internalURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready = nil
	err = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || ready["postgres"] != "ok" || ready["temporal"] != "ok" || ready["search_attributes"] != "ok" {
		t.Errorf("internal /readyz: %d %v %v; want 200 with postgres, temporal and search attributes ok", resp.StatusCode, ready, err)
	}
	if m := scrapeMetrics(t, s.internalURL+"/metrics"); !hasSeries(m, "textdesk_webhooks_refused_total") {
		t.Errorf("internal /metrics lacks the webhook counters")
	}
}
