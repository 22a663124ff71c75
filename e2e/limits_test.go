package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

// rawCall makes a request through the validating client and returns the answer with its
// headers; the body is read and closed.
func (s *stack) rawCall(ctx context.Context, method, path, token, body string) (*http.Response, string) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, s.apiURL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.apiClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// A credential past its limit on an expensive route gets 429 with Retry-After and a
// message naming the limit; another credential is not affected, and cheap routes of
// the same credential still answer until the general limit.
func TestLimitRatePerCredential(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) {
		c.ExpensiveRateLimit, c.RateLimit = 3, 8
	}})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if resp, body := s.rawCall(ctx, "GET", "/v1/search?name=zzz", s.agentTok, ""); resp.StatusCode != 200 {
			t.Fatalf("search %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := s.rawCall(ctx, "GET", "/v1/search?name=zzz", s.agentTok, "")
	secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || secs < 1 || secs > 60 || !strings.Contains(body, "too_many_requests") || !strings.Contains(body, "3 requests per minute") {
		t.Fatalf("4th search: %d Retry-After %q %s; want 429 naming the limit of 3", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Another credential has its own budget.
	_, other := s.addUser(ctx, s.team.ID, "other")
	if resp, body := s.rawCall(ctx, "GET", "/v1/search?name=zzz", other, ""); resp.StatusCode != 200 {
		t.Errorf("another token's search: %d %s", resp.StatusCode, body)
	}
	// Cheap routes go on until the general limit (8: 4 searches counted, 4 more).
	for i := 0; i < 4; i++ {
		if resp, body := s.rawCall(ctx, "GET", "/v1/me", s.agentTok, ""); resp.StatusCode != 200 {
			t.Fatalf("GET /v1/me %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if resp, body := s.rawCall(ctx, "GET", "/v1/me", s.agentTok, ""); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("9th request: %d %s; want 429 with Retry-After", resp.StatusCode, body)
	}
}

// A user may hold a bounded number of event streams open; one more is 429 and closing
// one makes room.
func TestLimitEventStreamsPerUser(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) { c.MaxStreamsPerUser = 2 }})
	open := func() (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", s.apiURL+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+s.agentTok)
		resp, err := s.apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, cancel
	}
	var cancels []context.CancelFunc
	for i := 0; i < 2; i++ {
		resp, cancel := open()
		cancels = append(cancels, cancel)
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i, resp.StatusCode)
		}
	}
	resp, cancel := open()
	raw, _ := io.ReadAll(resp.Body)
	cancel()
	if resp.StatusCode != 429 || !strings.Contains(string(raw), "at most 2 event streams") {
		t.Fatalf("third stream: %d %s; want 429 naming the cap", resp.StatusCode, raw)
	}
	cancels[0]()
	eventually(t, "a closed stream frees its place", func() bool {
		resp, cancel := open()
		defer cancel()
		return resp.StatusCode == 200
	})
	cancels[1]()
}

// A conversation's pending scheduled messages are capped by their text's bytes (422
// naming the cap), and no update result in its history carries the conversation's
// state: before, ~350 such messages grew one result past Temporal's payload limit.
func TestLimitScheduledBytes(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	to := newPhone()
	big := strings.Repeat("😀", conversation.MaxBodyLength) // 4000 bytes
	fits := conversation.MaxScheduledBytes / len(big)
	sendAt := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	var convID string
	for i := 0; i <= fits; i++ {
		var out struct {
			ConversationID string `json:"conversation_id"`
		}
		status := s.call("POST", "/v1/scheduled-messages", s.agentTok, map[string]any{
			"team_id": s.team.ID, "to": to, "body": big, "send_at": sendAt}, &out)
		if i < fits {
			if status != 201 {
				t.Fatalf("scheduled message %d: %d; want 201", i, status)
			}
			convID = out.ConversationID
			continue
		}
		resp, body := s.rawCall(ctx, "POST", "/v1/scheduled-messages", s.agentTok,
			`{"team_id":"`+s.team.ID+`","to":"`+to+`","body":"`+big+`","send_at":"`+sendAt+`"}`)
		if resp.StatusCode != 422 || !strings.Contains(body, strconv.Itoa(conversation.MaxScheduledBytes)) {
			t.Fatalf("past the cap: %d %s; want 422 naming %d bytes", resp.StatusCode, body, conversation.MaxScheduledBytes)
		}
	}
	var list struct {
		Scheduled []any `json:"scheduled"`
	}
	if s.call("GET", "/v1/conversations/"+convID+"/scheduled", s.agentTok, nil, &list); len(list.Scheduled) != fits {
		t.Errorf("pending = %d; want %d (the refused one not stored)", len(list.Scheduled), fits)
	}
	c := s.temporal(t)
	it := c.GetWorkflowHistory(ctx, workflows.WorkflowID(convID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	updates := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if done := ev.GetWorkflowExecutionUpdateCompletedEventAttributes(); done != nil {
			updates++
			if n := proto.Size(done.GetOutcome()); n > 1024 {
				t.Errorf("update result of %d bytes in the history; want a small one", n)
			}
		}
	}
	if updates != fits {
		t.Errorf("%d completed updates in the history; want %d", updates, fits)
	}
}

// GET /v1/conversations/{id} answers the latest messages and a cursor that continues
// with the older ones on the messages endpoint, never the whole conversation.
func TestLimitConversationMessagesPaged(t *testing.T) {
	s := startStack(t, true, "")
	customer := newPhone()
	for i := range 5 {
		if _, status, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "text " + strconv.Itoa(i)}); err != nil || status != 200 {
			t.Fatalf("inbound %d: %d %v", i, status, err)
		}
	}
	type detail struct {
		ID       string `json:"id"`
		Messages []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"messages"`
		MessagesCursor *string `json:"messages_cursor"`
	}
	var convID string
	eventually(t, "five messages stored", func() bool {
		var list struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.call("GET", "/v1/conversations", s.agentTok, nil, &list)
		if len(list.Conversations) != 1 {
			return false
		}
		convID = list.Conversations[0].ID
		var d detail
		s.call("GET", "/v1/conversations/"+convID, s.agentTok, nil, &d)
		return len(d.Messages) == 5 && d.MessagesCursor == nil
	})
	var d detail
	if status := s.call("GET", "/v1/conversations/"+convID+"?messages_limit=3", s.agentTok, nil, &d); status != 200 {
		t.Fatalf("detail: %d", status)
	}
	var got []string
	for _, m := range d.Messages {
		got = append(got, m.Body)
	}
	if strings.Join(got, ",") != "text 2,text 3,text 4" || d.MessagesCursor == nil {
		t.Fatalf("detail messages = %v cursor %v; want the latest three, oldest first, and a cursor", got, d.MessagesCursor)
	}
	var older struct {
		Messages []struct {
			Body string `json:"body"`
		} `json:"messages"`
		NextCursor string `json:"next_cursor"`
	}
	s.call("GET", "/v1/conversations/"+convID+"/messages?order=newest&cursor="+*d.MessagesCursor, s.agentTok, nil, &older)
	got = got[:0]
	for _, m := range older.Messages {
		got = append(got, m.Body)
	}
	if strings.Join(got, ",") != "text 1,text 0" || older.NextCursor != "" {
		t.Errorf("older messages = %v (next %q); want text 1, text 0 and no more", got, older.NextCursor)
	}
	if status := s.call("GET", "/v1/conversations/"+convID+"?messages_limit=0", s.agentTok, nil, nil); status != 400 {
		t.Errorf("messages_limit=0: %d; want 400", status)
	}
}

// A phone search matching too many customers ("+14": most of a country) is refused with
// a 422 that says to type more, instead of reading every contact; a precise one works.
func TestLimitSearchContacts(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) { c.SearchMaxContacts = 3 }})
	customer := newPhone()
	for range 4 { // at least four +1 contacts exist, whatever else the database holds
		if _, err := s.store.EnsureContact(context.Background(), newPhone()); err != nil {
			t.Fatal(err)
		}
	}
	if _, status, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hi"}); err != nil || status != 200 {
		t.Fatalf("inbound: %d %v", status, err)
	}
	resp, body := s.rawCall(context.Background(), "GET", "/v1/search?phone=%2B14", s.agentTok, "")
	if resp.StatusCode != 422 || !strings.Contains(body, "more than 3 customers") {
		t.Errorf("search +14: %d %s; want 422 saying to type more", resp.StatusCode, body)
	}
	eventually(t, "the exact number found", func() bool {
		var page struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		return s.call("GET", "/v1/search?phone="+strings.ReplaceAll(customer, "+", "%2B"), s.agentTok, nil, &page) == 200 && len(page.Conversations) == 1
	})
}
