package e2e

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// TestHistoryRangeAndExport: the contact history's from/to and total, and the contact
// and team exports: rows as stored, restricted conversations absent for those they do
// not list, formulas neutralised in CSV, bad parameters refused.
func TestHistoryRangeAndExport(t *testing.T) {
	s := startStack(t, false, "")
	me := agent{s.agent, s.agentTok}
	bob := s.newAgent("bob", "")
	admin := s.newAdmin("admin", s.team.ID)

	// One contact: an old conversation (last year), a recent one with a formula-like
	// inbound message and an agent's reply, and a recent one only bob may see.
	phone := newPhone()
	old := s.seed(seed{phone: phone, status: conversation.StatusClosed, closedAt: time.Now()})
	s.exec(`UPDATE conversations SET status = 'closed', wrap_up_reason = 'Resolved' WHERE id = $1`, old.ID)
	recent := s.seed(seed{phone: phone, status: conversation.StatusClosed, closedAt: time.Now()})
	restricted := s.seed(seed{phone: phone, status: conversation.StatusActive, assignees: []string{bob.user.ID}})
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.exec(`UPDATE conversations SET opened_at = $2 WHERE id = $1`, old.ID, base.AddDate(-1, 0, 0))
	s.exec(`UPDATE conversations SET opened_at = $2 WHERE id = $1`, recent.ID, base)
	s.exec(`UPDATE conversations SET opened_at = $2, visible_to = ARRAY[$3::uuid] WHERE id = $1`, restricted.ID, base.Add(time.Hour), bob.user.ID)
	msg := func(conv store.Conversation, at time.Time, dir, author, body string) string {
		id := uuid.NewString()
		var authorID any
		if author != "" {
			authorID = author
		}
		status := map[string]string{"inbound": "received", "outbound": "delivered"}[dir]
		s.exec(`INSERT INTO messages (id, conversation_id, direction, author_id, from_number, to_number, body, status, created_at)
			VALUES ($1, $2, $3, $4, '+15550000001', '+15550000002', $5, $6, $7)`, id, conv.ID, dir, authorID, body, status, at)
		return id
	}
	msg(old, base.AddDate(-1, 0, 0), "inbound", "", "last year")
	in := msg(recent, base.Add(time.Minute), "inbound", "", `=HYPERLINK("http://evil","click"), "quoted"`)
	out := msg(recent, base.Add(2*time.Minute), "outbound", me.user.ID, "Hello,\nsee you")
	secret := msg(restricted, base.Add(time.Hour+time.Minute), "inbound", "", "only bob")

	// History: the range keeps the recent conversations; total counts what each may see.
	for _, c := range []struct {
		who   agent
		query string
		total int
	}{
		{me, "", 2}, {bob, "", 3}, {admin, "", 3},
		{me, "&from=2026-01-01T00:00:00Z", 1}, {bob, "&from=2026-01-01T00:00:00Z", 2},
		{bob, "&from=2026-01-01T00:00:00Z&to=2026-03-01T12:00:00Z", 0}, // to is exclusive
		{bob, "&to=2026-03-01T12:00:00Z", 1},
	} {
		var page store.HistoryPage
		if code := s.call("GET", "/v1/contacts/"+old.ContactID+"/history?limit=1"+c.query, c.who.token, nil, &page); code != 200 || page.Total != c.total {
			t.Errorf("%s's history%s: %d total %d; want 200 total %d", c.who.user.Name, c.query, code, page.Total, c.total)
		}
	}

	get := func(who agent, path string) apiAnswer {
		t.Helper()
		a, err := s.send(apiRequest{method: "GET", path: path, token: who.token})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	csvRows := func(a apiAnswer) [][]string {
		t.Helper()
		if a.status != 200 || !strings.HasPrefix(a.contentType, "text/csv") ||
			!strings.Contains(a.header.Get("Content-Disposition"), `.csv"`) {
			t.Fatalf("csv export: %d %s %q %.200s", a.status, a.contentType, a.header.Get("Content-Disposition"), a.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
		if err != nil {
			t.Fatalf("export is not CSV: %v\n%s", err, a.body)
		}
		return rows
	}
	col := func(rows [][]string, name string) []string {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("no column %s in %v", name, rows[0])
		}
		var v []string
		for _, r := range rows[1:] {
			v = append(v, r[i])
		}
		return v
	}

	// The contact's export in 2026, as I see it: the recent conversation's two messages.
	rows := csvRows(get(me, "/v1/contacts/"+old.ContactID+"/conversations/export?from=2026-01-01T00:00:00Z"))
	if got := col(rows, "message_id"); !slices.Equal(got, []string{in, out}) {
		t.Fatalf("my contact export = %v; want %v", got, []string{in, out})
	}
	if got := col(rows, "body"); got[0] != `'=HYPERLINK("http://evil","click"), "quoted"` || got[1] != "Hello,\nsee you" {
		t.Errorf("bodies = %q; want the formula prefixed with ' and the reply intact", got)
	}
	if got := col(rows, "author"); !slices.Equal(got, []string{"contact", me.user.Name}) {
		t.Errorf("authors = %v", got)
	}
	if got := col(rows, "contact_phone"); got[0] != "'"+phone {
		t.Errorf("phone cell = %q; want it kept as text", got[0])
	}
	if got := col(rows, "delivery_status"); !slices.Equal(got, []string{"received", "delivered"}) {
		t.Errorf("delivery statuses = %v", got)
	}
	if got := col(csvRows(get(me, "/v1/contacts/"+old.ContactID+"/conversations/export")), "wrap_up_reason"); got[0] != "Resolved" {
		t.Errorf("old conversation's wrap-up reason = %q", got[0])
	}

	// The team's export: bob and admins get the restricted conversation, I do not; JSON
	// is NDJSON with the same rows.
	teamPath := "/v1/teams/" + s.team.ID + "/conversations/export?from=2026-02-01T00:00:00Z&to=2026-04-01T00:00:00Z"
	for _, c := range []struct {
		who  agent
		want []string
	}{{me, []string{in, out}}, {bob, []string{in, out, secret}}, {admin, []string{in, out, secret}}} {
		if got := col(csvRows(get(c.who, teamPath)), "message_id"); !slices.Equal(got, c.want) {
			t.Errorf("%s's team export = %v; want %v", c.who.user.Name, got, c.want)
		}
		a := get(c.who, teamPath+"&format=json")
		if a.status != 200 || a.contentType != "application/x-ndjson" {
			t.Fatalf("json export: %d %s", a.status, a.contentType)
		}
		var got []string
		for sc := bufio.NewScanner(bytes.NewReader(a.body)); sc.Scan(); {
			var r store.ExportRow
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("ndjson line %q: %v", sc.Text(), err)
			}
			if r.MessageID == in && !strings.HasPrefix(r.Body, "=HYPERLINK") {
				t.Errorf("JSON body altered: %q", r.Body)
			}
			got = append(got, r.MessageID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s's JSON team export = %v; want %v", c.who.user.Name, got, c.want)
		}
	}

	// Bad parameters: 400 naming the parameter, 422 for a refused range.
	teamBase := "/v1/teams/" + s.team.ID + "/conversations/export"
	for _, c := range []struct {
		path, says string
		code       int
	}{
		{teamBase + "?to=2026-04-01T00:00:00Z", "from", 400},
		{teamBase + "?from=2026-04-01T00:00:00Z", "to", 400},
		{teamBase + "?from=yesterday&to=2026-04-01T00:00:00Z", "from", 400},
		{teamBase + "?from=2025-01-01T00:00:00Z&to=2026-04-01T00:00:00Z", "366 days", 422},
		{teamBase + "?from=2026-04-01T00:00:00Z&to=2026-04-01T00:00:00Z", "after", 422},
		{teamBase + "?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&format=xlsx", "format", 400},
		{"/v1/contacts/" + old.ContactID + "/conversations/export?to=soon", "to", 400},
		{"/v1/contacts/" + old.ContactID + "/history?from=2026-13-01T00:00:00Z", "from", 400},
	} {
		a := get(admin, c.path)
		var e apiError
		_ = json.Unmarshal(a.body, &e)
		if a.status != c.code || !strings.Contains(e.Error.Message, c.says) {
			t.Errorf("GET %s: %d %q; want %d naming %q", c.path, a.status, e.Error.Message, c.code, c.says)
		}
	}
	if a := get(me, "/v1/contacts/"+uuid.NewString()+"/conversations/export"); a.status != http.StatusNotFound {
		t.Errorf("unknown contact's export: %d", a.status)
	}
}
