package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

type handoffJSON struct {
	store.Handoff
	Contact store.Contact `json:"contact"`
}

// callKey is call with an Idempotency-Key header.
func (s *stack) callKey(method, path, token, key string, body, out any) int {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.apiURL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := s.apiClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
	}
	return resp.StatusCode
}

// history reads a contact's whole history, limit items per page, as "type:id".
func (s *stack) history(a agent, contactID string, limit int) (items, convs []string) {
	s.t.Helper()
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		if pages > 20 {
			s.t.Fatal("history: more than 20 pages")
		}
		var page store.HistoryPage
		path := "/v1/contacts/" + contactID + "/history?limit=" + itoa(limit) + "&cursor=" + url.QueryEscape(cursor)
		if code := s.call("GET", path, a.token, nil, &page); code != http.StatusOK {
			s.t.Fatalf("history by %s: %d", a.user.Name, code)
		}
		for _, it := range page.Items {
			items = append(items, it.Type+":"+it.ID)
		}
		convs = append(convs, ids(page.Conversations...)...)
		cursor = page.NextCursor
	}
	return items, convs
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// exec runs SQL on the test database, failing the test on error.
func (s *stack) exec(sql string, args ...any) {
	s.t.Helper()
	if _, err := s.db().Exec(context.Background(), sql, args...); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
}

// A web chat moves to text: the contact is created, the handoff (with who recorded the
// consent) is in its history, retries are idempotent, and nothing is written for a
// request that is refused.
func TestChatHandoff(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := agent{s.agent, s.agentTok}
	bob := s.newAgent("bob", "")
	phone := newPhone()
	req := map[string]any{"team_id": s.team.ID, "phone": phone[2:], "consent": true, "name": " Dana ",
		"chat_ref": "chat-42", "transcript": "Dana: can you text me?"}

	var h, again handoffJSON
	if code := s.callKey("POST", "/v1/chat-handoffs", me.token, "k1", req, &h); code != http.StatusCreated ||
		h.Contact.Phone != phone || h.Contact.Name != "Dana" || h.ContactID != h.Contact.ID || h.ChatRef != "chat-42" ||
		h.ConsentBy == nil || *h.ConsentBy != me.user.ID || h.ConsentAt.IsZero() || h.TeamID != s.team.ID {
		t.Fatalf("handoff: %d %+v", code, h)
	}
	if code := s.callKey("POST", "/v1/chat-handoffs", me.token, "k1", req, &again); code != http.StatusOK || again.ID != h.ID {
		t.Errorf("retry: %d %s; want 200 with %s", code, again.ID, h.ID)
	}
	changed := map[string]any{"team_id": s.team.ID, "phone": phone, "consent": true, "name": "Dana", "chat_ref": "chat-43"}
	var e apiError
	if code := s.callKey("POST", "/v1/chat-handoffs", me.token, "k1", changed, &e); code != http.StatusConflict ||
		!strings.Contains(e.Error.Message, "Idempotency-Key") {
		t.Errorf("same key, other body: %d %q; want 409", code, e.Error.Message)
	}
	// Another handoff of the same customer keeps the contact and its name.
	changed["name"] = "Someone Else"
	if code := s.callKey("POST", "/v1/chat-handoffs", me.token, "k2", changed, &again); code != http.StatusCreated ||
		again.ID == h.ID || again.ContactID != h.ContactID || again.Contact.Name != "Dana" {
		t.Errorf("second handoff: %d %+v", code, again)
	}
	// The team sees the contact through the handoff; other teams do not.
	var d contactDetail
	if code := s.call("GET", "/v1/contacts/"+h.ContactID, bob.token, nil, &d); code != http.StatusOK || d.Phone != phone {
		t.Errorf("bob reads the contact: %d", code)
	}
	if got := s.contacts(bob, phone); !slices.Equal(got, []string{h.ContactID}) {
		t.Errorf("bob searches %s: %v", phone, got)
	}
	if items, _ := s.history(bob, h.ContactID, 1); !slices.Equal(items, []string{"chat_handoff:" + again.ID, "chat_handoff:" + h.ID}) {
		t.Errorf("history = %v", items)
	}

	optedOut, blocked := newPhone(), newPhone()
	if _, err := s.store.EnsureContact(ctx, optedOut); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.SetConsent(ctx, optedOut, s.team.ID, true, time.Now(), `replied "STOP"`); err != nil {
		t.Fatal(err)
	}
	bc, err := s.store.EnsureContact(ctx, blocked)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := s.store.UpdateContact(ctx, bc.ID, store.ContactPatch{TeamID: s.team.ID, Blocked: &yes}); err != nil {
		t.Fatal(err)
	}
	fresh := newPhone()
	with := func(k string, v any) map[string]any {
		out := map[string]any{"team_id": s.team.ID, "phone": fresh, "consent": true, "name": "Eve", "chat_ref": "c"}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		name    string
		token   string
		body    any
		status  int
		mention string
	}{
		{"no token", "", with("x", nil), 401, "Bearer"},
		{"other team", s.outsider, with("x", nil), 404, "team not found"},
		{"unknown team", me.token, with("team_id", uuid.NewString()), 404, "team not found"},
		{"no consent", me.token, with("consent", nil), 400, "consent"},
		{"consent false", me.token, with("consent", false), 422, "consent must be true"},
		{"no chat_ref", me.token, with("chat_ref", " "), 400, "chat_ref"},
		{"unknown field", me.token, with("email", "e@x"), 400, `"email"`},
		{"too short", me.token, with("phone", "+1415"), 400, "too short"},
		{"invalid for region", me.token, with("phone", "+15551234567"), 400, "not a valid number"},
		{"not mobile", me.token, with("phone", "+49301234567"), 400, "not a mobile"},
		{"name too long", me.token, with("name", strings.Repeat("n", 201)), 422, "200"},
		{"NUL in the transcript", me.token, with("transcript", "a\x00b"), 400, "NUL"},
		{"opted out", me.token, with("phone", optedOut), 409, "opted out"},
		{"blocked", me.token, with("phone", blocked), 409, "blocked"},
	} {
		var e apiError
		if code := s.call("POST", "/v1/chat-handoffs", c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	// Nothing half-written: no contact for the refused number, no name on the opted-out one.
	if _, err := s.store.ContactByPhone(ctx, fresh); conversation.ErrorCode(err) != conversation.ENotFound {
		t.Errorf("contact of a refused handoff: %v; want none", err)
	}
	if c, _ := s.store.ContactByPhone(ctx, optedOut); c.Name != "" {
		t.Errorf("opted-out contact renamed to %q by a refused handoff", c.Name)
	}
}

// A contact's history merges conversations, handoffs and log entries, newest first,
// page by page, showing each person only what they may see; contacts are visible
// through any of them.
func TestContactHistoryAndVisibility(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := agent{s.agent, s.agentTok}
	bob := s.newAgent("bob", "")
	admin := s.newAdmin("admin", s.team.ID)
	hidden, err := s.store.CreateTeam(ctx, "Hidden "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	_, hiddenTok := s.addUser(ctx, hidden.ID, "hider")
	hider := agent{store.User{Name: "hider"}, hiddenTok}

	// Carl: an old conversation, a handoff, a log entry, then a conversation only bob may
	// see; a log entry and a conversation in the hidden team.
	phone := newPhone()
	old := s.seed(seed{phone: phone, status: conversation.StatusClosed, closedAt: time.Now()})
	carl := old.ContactID
	var h handoffJSON
	if code := s.call("POST", "/v1/chat-handoffs", me.token, map[string]any{"team_id": s.team.ID, "phone": phone, "consent": true,
		"name": "Carl", "chat_ref": "chat-1"}, &h); code != http.StatusCreated {
		t.Fatalf("handoff: %d", code)
	}
	var entry, hiddenEntry store.LogEntry
	if code := s.call("POST", "/v1/contacts/"+carl+"/log", me.token, map[string]any{"body": " called, left voicemail ", "kind": "call"}, &entry); code != http.StatusCreated ||
		entry.Body != "called, left voicemail" || entry.Kind != "call" || entry.TeamID != s.team.ID || *entry.AuthorID != me.user.ID {
		t.Fatalf("log: %d %+v", code, entry)
	}
	hiddenConv := s.seed(seed{team: hidden, phone: phone, status: conversation.StatusNew})
	if code := s.call("POST", "/v1/contacts/"+carl+"/log", hider.token, map[string]any{"body": "emailed"}, &hiddenEntry); code != http.StatusCreated || hiddenEntry.Kind != "note" {
		t.Fatalf("hidden team's log: %d %+v", code, hiddenEntry)
	}
	restricted := s.seed(seed{phone: phone, status: conversation.StatusActive, assignees: []string{bob.user.ID}})
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	s.exec(`UPDATE conversations SET opened_at = $2 WHERE id = $1`, old.ID, base)
	s.exec(`UPDATE chat_handoffs SET created_at = $2 WHERE id = $1`, h.ID, base.Add(time.Minute))
	s.exec(`UPDATE contact_log SET created_at = $2 WHERE id = $1`, entry.ID, base.Add(2*time.Minute))
	s.exec(`UPDATE contact_log SET created_at = $2 WHERE id = $1`, hiddenEntry.ID, base.Add(3*time.Minute))
	s.exec(`UPDATE conversations SET opened_at = $2, visible_to = ARRAY[$3::uuid] WHERE id = $1`, restricted.ID, base.Add(4*time.Minute), bob.user.ID)
	s.exec(`UPDATE conversations SET opened_at = $2 WHERE id = $1`, hiddenConv.ID, base.Add(5*time.Minute))

	mine := []string{"log:" + entry.ID, "chat_handoff:" + h.ID, "conversation:" + old.ID}
	withRestricted := append([]string{"conversation:" + restricted.ID}, mine...)
	for _, c := range []struct {
		who        agent
		want       []string
		wantConvs  []string
		pageLimits []int
	}{
		{me, mine, ids(old), []int{1, 2, 50}},
		{bob, withRestricted, ids(restricted, old), []int{1, 3}},
		{admin, withRestricted, ids(restricted, old), []int{2}},
		{hider, []string{"conversation:" + hiddenConv.ID, "log:" + hiddenEntry.ID}, ids(hiddenConv), []int{1}},
	} {
		for _, limit := range c.pageLimits {
			items, convs := s.history(c.who, carl, limit)
			if !slices.Equal(items, c.want) || !slices.Equal(convs, c.wantConvs) {
				t.Errorf("%s's history (limit %d) = %v %v; want %v %v", c.who.user.Name, limit, items, convs, c.want, c.wantConvs)
			}
		}
	}
	var d contactDetail
	if s.call("GET", "/v1/contacts/"+carl, me.token, nil, &d); !slices.Equal(ids(d.RecentConversations...), ids(old)) {
		t.Errorf("my recent conversations = %v; want only %s", ids(d.RecentConversations...), old.ID)
	}
	if s.call("GET", "/v1/contacts/"+carl, bob.token, nil, &d); !slices.Equal(ids(d.RecentConversations...), ids(restricted, old)) {
		t.Errorf("bob's recent conversations = %v", ids(d.RecentConversations...))
	}

	// Vera has only a conversation restricted to bob: bob and admins see her, I do not.
	vera := s.seed(seed{status: conversation.StatusActive, assignees: []string{bob.user.ID}})
	s.exec(`UPDATE conversations SET visible_to = ARRAY[$2::uuid] WHERE id = $1`, vera.ID, bob.user.ID)
	for _, c := range []struct {
		who  agent
		code int
	}{{me, 404}, {bob, 200}, {admin, 200}} {
		if code := s.call("GET", "/v1/contacts/"+vera.ContactID, c.who.token, nil, nil); code != c.code {
			t.Errorf("%s reads vera: %d; want %d", c.who.user.Name, code, c.code)
		}
		if got := s.contacts(c.who, vera.ContactPhone); (len(got) == 1) != (c.code == 200) {
			t.Errorf("%s searches vera: %v", c.who.user.Name, got)
		}
	}

	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		mention                   string
	}{
		{"log without token", "POST", "/v1/contacts/" + carl + "/log", "", map[string]string{"body": "x"}, 401, "Bearer"},
		{"log on an invisible contact", "POST", "/v1/contacts/" + vera.ContactID + "/log", me.token, map[string]string{"body": "x"}, 404, "contact"},
		{"log by an outsider", "POST", "/v1/contacts/" + carl + "/log", s.outsider, map[string]string{"body": "x"}, 404, "contact"},
		{"log without body", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"kind": "call"}, 400, "body"},
		{"log too long", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"body": strings.Repeat("b", 1001)}, 422, "1000"},
		{"log unknown field", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"body": "x", "when": "now"}, 400, `"when"`},
		{"log with NUL", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"body": "a\x00b"}, 400, "NUL"},
		{"log unknown kind", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"body": "x", "kind": "fax"}, 400, "kind must be one of"},
		{"log in another team", "POST", "/v1/contacts/" + carl + "/log", me.token, map[string]string{"body": "x", "team_id": hidden.ID}, 404, "team not found"},
		{"history without token", "GET", "/v1/contacts/" + carl + "/history", "", nil, 401, "Bearer"},
		{"history bad cursor", "GET", "/v1/contacts/" + carl + "/history?cursor=zzz", me.token, nil, 400, "cursor"},
		{"history of an invisible contact", "GET", "/v1/contacts/" + vera.ContactID + "/history", me.token, nil, 404, "contact"},
	} {
		var e apiError
		if code := s.call(c.method, c.path, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	// A refused log entry wrote nothing.
	if items, _ := s.history(me, carl, 50); !slices.Equal(items, mine) {
		t.Errorf("history after refused entries = %v", items)
	}
}

// PATCH default_visible_to: existing users only, and an agent keeps themselves on it.
func TestContactDefaultVisibleTo(t *testing.T) {
	s := startStack(t, true, "")
	me := agent{s.agent, s.agentTok}
	bob := s.newAgent("bob", "")
	admin := s.newAdmin("admin", s.team.ID)
	c := s.seed(seed{status: conversation.StatusNew})
	path := "/v1/contacts/" + c.ContactID
	var d contactDetail
	if code := s.call("PATCH", path, me.token, map[string]any{"default_visible_to": []string{bob.user.ID, me.user.ID, bob.user.ID}}, &d); code != http.StatusOK ||
		!slices.Equal(d.DefaultVisibleTo, []string{bob.user.ID, me.user.ID}) {
		t.Errorf("set: %d %v", code, d.DefaultVisibleTo)
	}
	if code := s.call("PATCH", path, admin.token, map[string]any{"default_visible_to": []string{bob.user.ID}}, &d); code != http.StatusOK ||
		!slices.Equal(d.DefaultVisibleTo, []string{bob.user.ID}) {
		t.Errorf("admin leaves themselves out: %d %v", code, d.DefaultVisibleTo)
	}
	if code := s.call("GET", path, me.token, nil, &d); code != http.StatusOK || !slices.Equal(d.DefaultVisibleTo, []string{bob.user.ID}) {
		t.Errorf("read: %d %v", code, d.DefaultVisibleTo)
	}
	if code := s.call("PATCH", path, me.token, map[string]any{"default_visible_to": []string{}}, &d); code != http.StatusOK || len(d.DefaultVisibleTo) != 0 {
		t.Errorf("clear: %d %v", code, d.DefaultVisibleTo)
	}
	unknown := uuid.NewString()
	for _, tc := range []struct {
		name    string
		body    any
		status  int
		mention string
	}{
		{"without me", map[string]any{"default_visible_to": []string{bob.user.ID}}, 422, "must include you"},
		{"unknown user", map[string]any{"default_visible_to": []string{me.user.ID, unknown}}, 422, unknown},
		{"not an id", map[string]any{"default_visible_to": []string{me.user.ID, "bob"}}, 422, `"bob"`},
		{"null", map[string]any{"default_visible_to": nil}, 400, "default_visible_to"},
		{"not a list", map[string]any{"default_visible_to": "bob"}, 400, "default_visible_to"},
	} {
		var e apiError
		if code := s.call("PATCH", path, me.token, tc.body, &e); code != tc.status || !strings.Contains(e.Error.Message, tc.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", tc.name, code, e.Error.Message, tc.status, tc.mention)
		}
	}
	if s.call("GET", path, me.token, nil, &d); len(d.DefaultVisibleTo) != 0 {
		t.Errorf("after refused changes: %v; want still cleared", d.DefaultVisibleTo)
	}
}

// Team metrics on a known scenario, days counted in the team's time zone.
func TestTeamMetrics(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin")
	tz := "America/New_York" // UTC-5 in January
	if _, err := s.store.UpdateTeam(ctx, s.team.ID, store.TeamPatch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	at := func(v string) time.Time { t, _ := time.Parse(time.RFC3339, "2024-01-"+v+"Z"); return t }
	type msg struct {
		dir, kind string
		agent     bool
		at        time.Time
	}
	conv := func(status conversation.Status, opened time.Time, msgs ...msg) store.Conversation {
		c := s.seed(seed{status: status})
		s.exec(`UPDATE conversations SET opened_at = $2 WHERE id = $1`, c.ID, opened)
		for _, m := range msgs {
			var author *string
			if m.agent {
				author = &me.user.ID
			}
			st := map[string]string{"inbound": "received", "outbound": "sent", "internal": "note"}[m.dir]
			s.exec(`INSERT INTO messages (id, conversation_id, direction, kind, author_id, from_number, to_number, body, status, created_at)
				VALUES (gen_random_uuid(), $1, $2, $3, $4, '', '', 'x', $5, $6)`, c.ID, m.dir, m.kind, author, st, m.at)
		}
		return c
	}
	closeAs := func(c store.Conversation, at time.Time, why, reason string) {
		s.exec(`UPDATE conversations SET status = 'closed', closed_at = $2, close_reason = $3, wrap_up_reason = nullif($4, ''),
			next_action = 'none' WHERE id = $1`, c.ID, at, why, reason)
	}
	in := func(at time.Time) msg { return msg{"inbound", "text", false, at} }
	reply := func(at time.Time) msg { return msg{"outbound", "text", true, at} }

	// A (Jan 10): answered in 120 s; then two messages answered by one reply; resolved.
	a := conv(conversation.StatusActive, at("10T14:00:00"), in(at("10T14:00:00")), msg{"internal", "note", true, at("10T14:01:00")},
		reply(at("10T14:02:00")), in(at("10T14:10:00")), in(at("10T14:11:00")), reply(at("10T14:12:00")))
	closeAs(a, at("10T15:00:00"), "wrapped_up", "Fixed")
	// B (22:00 on Jan 10 in New York): missed, auto-response, answered in 300 s, wrap-up timed out.
	b := conv(conversation.StatusMissed, at("11T03:00:00"), in(at("11T03:00:00")), msg{"outbound", "auto_response", false, at("11T03:00:01")},
		reply(at("11T03:05:00")))
	closeAs(b, at("11T04:00:00"), "wrapped_up", s.team.DefaultWrapUpReason)
	// C (Jan 11): started by the agent, so no first response; a reply after 600 s.
	conv(conversation.StatusActive, at("11T16:00:00"), reply(at("11T16:00:00")), in(at("11T16:30:00")), reply(at("11T16:40:00")))
	// D: after the range. E: opened before it, archived in it.
	conv(conversation.StatusActive, at("12T06:00:00"), in(at("12T06:00:00")), reply(at("12T06:01:00")))
	e := conv(conversation.StatusActive, at("09T12:00:00"))
	closeAs(e, at("10T12:00:00"), "archived", "")

	var m store.TeamMetrics
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/metrics?from=2024-01-10&to=2024-01-11", me.token, nil, &m); code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	third := 1.0 / 3
	want := store.TeamMetrics{
		TeamID: s.team.ID, From: at("10T05:00:00"), To: at("12T05:00:00"), TimeZone: tz,
		Conversations:           3,
		ConversationsPerDay:     []store.DayCount{{Date: "2024-01-10", Count: 2}, {Date: "2024-01-11", Count: 1}},
		AvgFirstResponseSeconds: ptr(210.0), FirstResponses: 2, // (120 + 300) / 2
		AvgResponseSeconds: ptr(240.0), Responses: 5, // (120 + 120 + 60 + 300 + 600) / 5
		Closed: 3, Resolved: 1, ResolutionRate: &third,
		Missed: 1,
	}
	if got, _ := json.Marshal(m); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("metrics:\n got %s\nwant %s", got, must(json.Marshal(want)))
	}
	// B was picked up later: it still counts as missed.
	s.exec(`UPDATE conversations SET status = 'active', closed_at = NULL, close_reason = NULL, wrap_up_reason = NULL WHERE id = $1`, b.ID)
	if s.call("GET", "/v1/teams/"+s.team.ID+"/metrics?from=2024-01-10T05:00:00Z&to=2024-01-12T05:00:00Z", admin.token, nil, &m); m.Missed != 1 || m.Closed != 2 {
		t.Errorf("after B reopened: missed %d closed %d; want 1 and 2", m.Missed, m.Closed)
	}
	// Empty range: zero counts, null averages, every day listed.
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/metrics?from=2023-06-01&to=2023-06-03", me.token, nil, &m); code != http.StatusOK ||
		m.Conversations != 0 || m.AvgResponseSeconds != nil || m.ResolutionRate != nil || len(m.ConversationsPerDay) != 3 {
		t.Errorf("empty range: %d %+v", code, m)
	}
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/metrics", me.token, nil, &m); code != http.StatusOK || len(m.ConversationsPerDay) < 7 {
		t.Errorf("default range: %d %+v", code, m)
	}
	for _, c := range []struct {
		name, query, token string
		status             int
		mention            string
	}{
		{"no token", "", "", 401, "Bearer"},
		{"other team", "", s.outsider, 404, "team not found"},
		{"bad from", "?from=yesterday", me.token, 400, "from must be"},
		{"to before from", "?from=2024-01-10&to=2024-01-09", me.token, 400, "must be after"},
		{"too long", "?from=2023-01-01&to=2024-01-10", me.token, 400, "366"},
	} {
		var e apiError
		if code := s.call("GET", "/v1/teams/"+s.team.ID+"/metrics"+c.query, c.token, nil, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// teamContact is the contact with this phone as the stack's team knows it (its
// opt-out, block and defaults: contact_team_settings).
func (s *stack) teamContact(phone string) (store.Contact, error) {
	ctx := context.Background()
	c, err := s.store.ContactByPhone(ctx, phone)
	if err != nil {
		return c, err
	}
	return s.store.ContactFor(ctx, c.ID, []string{s.team.ID}, false)
}
