package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

type contactDetail struct {
	store.Contact
	RecentConversations []store.Conversation `json:"recent_conversations"`
}

func (s *stack) contacts(a agent, q string) []string {
	s.t.Helper()
	var page store.ContactPage
	if code := s.call("GET", "/v1/contacts?q="+url.QueryEscape(q), a.token, nil, &page); code != http.StatusOK {
		s.t.Fatalf("GET /v1/contacts?q=%s: %d", q, code)
	}
	var out []string
	for _, c := range page.Contacts {
		out = append(out, c.ID)
	}
	return out
}

// Agents find, read and change the contacts of their teams' conversations (admins every
// contact); a contact's history shows only the conversations the caller can open.
func TestContacts(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin", s.team.ID)
	hidden, err := s.store.CreateTeam(ctx, "Hidden "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}

	// ana: one conversation here. carl: an old closed one and an open one here, one in the
	// hidden team. zoe: only in the hidden team.
	ana := s.seed(seed{status: conversation.StatusNew})
	name, ref := "Ana Lima", "CRM-100_%"
	if err := s.store.UpdateContact(ctx, ana.ContactID, store.ContactPatch{Name: &name, Ref: &ref}); err != nil {
		t.Fatal(err)
	}
	carlPhone := "+1646" + newPhone()[5:] // another area code: ana's number is no prefix of it
	carlOld := s.seed(seed{phone: carlPhone, status: conversation.StatusClosed, closedAt: time.Now()})
	carlHidden := s.seed(seed{team: hidden, phone: carlPhone, status: conversation.StatusNew})
	carlNew := s.seed(seed{phone: carlPhone, status: conversation.StatusActive, assignees: []string{me.user.ID}})
	zoe := s.seed(seed{team: hidden, status: conversation.StatusNew})
	carl := carlNew.ContactID

	// Search: part of a name (any case), a ref, a number or its start, in any form.
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"ana", []string{ana.ContactID}},
		{"LIMA", []string{ana.ContactID}},
		{"CRM-100_%", []string{ana.ContactID}}, // the ref, wildcards and all
		{"100_", nil},                          // LIKE wildcards are literal: no name has them
		{ana.ContactPhone, []string{ana.ContactID}},
		{ana.ContactPhone[:11], []string{ana.ContactID}}, // "+1415" and 6 more digits
		{"(" + ana.ContactPhone[2:5] + ") " + ana.ContactPhone[5:8] + "-" + ana.ContactPhone[8:], []string{ana.ContactID}},
		{ana.ContactPhone[2:], []string{ana.ContactID}}, // national digits
		{zoe.ContactPhone, nil}, // not in the agent's teams
		{"nobody at all", nil},
	} {
		if got := s.contacts(me, c.q); !slices.Equal(got, c.want) {
			t.Errorf("q=%q: %v; want %v", c.q, got, c.want)
		}
	}
	if got := s.contacts(admin, zoe.ContactPhone); !slices.Equal(got, []string{zoe.ContactID}) {
		t.Errorf("admin q=zoe: %v; admins see every contact", got)
	}
	// Without q: every contact the agent sees, by number, page by page.
	var all []string
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		var page store.ContactPage
		if code := s.call("GET", "/v1/contacts?limit=1&cursor="+url.QueryEscape(cursor), me.token, nil, &page); code != http.StatusOK {
			t.Fatalf("list: %d", code)
		}
		for _, c := range page.Contacts {
			all = append(all, c.Phone)
		}
		cursor = page.NextCursor
	}
	want := []string{ana.ContactPhone, carlPhone}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("all contacts = %v; want %v", all, want)
	}

	// Details: the recent conversations are the caller's teams', newest first.
	var d contactDetail
	if code := s.call("GET", "/v1/contacts/"+carl, me.token, nil, &d); code != http.StatusOK ||
		d.Phone != carlPhone || !slices.Equal(ids(d.RecentConversations...), ids(carlNew, carlOld)) {
		t.Errorf("carl: %d %+v", code, d)
	}
	if code := s.call("GET", "/v1/contacts/"+zoe.ContactID, admin.token, nil, &d); code != http.StatusOK ||
		d.ID != zoe.ContactID || len(d.RecentConversations) != 0 {
		t.Errorf("admin reads zoe: %d %+v; want 200 without the hidden team's conversations", code, d)
	}
	// History, page by page.
	var history []string
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		var page store.ConversationPage
		if code := s.call("GET", "/v1/contacts/"+carl+"/history?limit=1&cursor="+url.QueryEscape(cursor), me.token, nil, &page); code != http.StatusOK {
			t.Fatalf("history: %d", code)
		}
		history = append(history, ids(page.Conversations...)...)
		cursor = page.NextCursor
	}
	if !slices.Equal(history, ids(carlNew, carlOld)) || slices.Contains(history, carlHidden.ID) {
		t.Errorf("carl's history = %v; want %v", history, ids(carlNew, carlOld))
	}

	// Changes.
	// Carl talked to the hidden team too: his name and ref are not this agent's alone
	// to change (issue 13), and a refused request changes nothing, the block included.
	var e apiError
	if code := s.call("PATCH", "/v1/contacts/"+carl, me.token, map[string]any{"name": "Mallory's pick", "blocked": true}, &e); code != http.StatusForbidden ||
		!strings.Contains(e.Error.Message, "every team") {
		t.Errorf("an agent renames a contact another team shares: %d %q; want 403", code, e.Error.Message)
	}
	if got, _ := s.teamContact(carlPhone); got.Name != "" || got.Blocked {
		t.Errorf("after the refused rename: %+v", got)
	}
	if code := s.call("PATCH", "/v1/contacts/"+carl, me.token, map[string]any{"blocked": true}, &d); code != http.StatusOK ||
		!d.Blocked || d.OptedOut || len(d.Teams) != 1 || d.Teams[0].TeamID != s.team.ID {
		t.Errorf("patch carl: %d %+v", code, d)
	}
	if code := s.call("PATCH", "/v1/contacts/"+carl, admin.token, map[string]any{"name": " Carl Jones ", "ref": "A-7"}, &d); code != http.StatusOK ||
		d.Name != "Carl Jones" || d.Ref != "A-7" {
		t.Errorf("admin renames carl: %d %+v", code, d)
	}
	if got := s.contacts(me, "A-7"); !slices.Equal(got, []string{carl}) {
		t.Errorf("q=A-7 after the change: %v", got)
	}

	// An opt-out recorded by an agent cancels the pending scheduled messages; opting back
	// in is the customer's or an admin's.
	reminderTo := newPhone()
	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", me.token, map[string]any{
		"team_id": s.team.ID, "to": reminderTo, "body": "Your appointment is tomorrow", "send_at": time.Now().Add(time.Hour).UTC(),
	}, &sm); code != http.StatusCreated {
		t.Fatalf("schedule: %d", code)
	}
	if code := s.call("PATCH", "/v1/contacts/"+sm.ContactID, me.token, map[string]bool{"opted_out": true}, &d); code != http.StatusOK ||
		!d.OptedOut || d.ConsentReason == nil || *d.ConsentReason != "opted out by agent" || d.ConsentChangedAt == nil {
		t.Fatalf("opt out: %d %+v", code, d)
	}
	if got, err := s.store.Scheduled(ctx, sm.ID); err != nil || got.Status != "cancelled" || got.Reason == nil || !strings.Contains(*got.Reason, "opted out by agent") {
		t.Errorf("scheduled message after the opt-out: %+v %v; want cancelled, saying why", got, err)
	}
	s.mustAct(me, "PATCH", "/v1/contacts/"+sm.ContactID, map[string]bool{"opted_out": false}, http.StatusForbidden)
	if code := s.call("PATCH", "/v1/contacts/"+sm.ContactID, admin.token, map[string]bool{"opted_out": false}, &d); code != http.StatusOK ||
		d.OptedOut || *d.ConsentReason != "opted back in by admin" {
		t.Errorf("admin opts back in: %d %+v", code, d)
	}
	// Setting a flag to what it is changes nothing and is allowed.
	s.mustAct(me, "PATCH", "/v1/contacts/"+sm.ContactID, map[string]bool{"opted_out": false}, http.StatusOK)

	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		mention                   string
	}{
		{"no token", "GET", "/v1/contacts", "", nil, 401, "Bearer"},
		{"no token detail", "GET", "/v1/contacts/" + carl, "", nil, 401, "Bearer"},
		{"other team's contact", "GET", "/v1/contacts/" + zoe.ContactID, me.token, nil, 404, "contact"},
		{"outsider", "GET", "/v1/contacts/" + carl, s.outsider, nil, 404, "contact"},
		{"outsider history", "GET", "/v1/contacts/" + carl + "/history", s.outsider, nil, 404, "contact"},
		{"outsider patch", "PATCH", "/v1/contacts/" + carl, s.outsider, map[string]string{"name": "x"}, 404, "contact"},
		{"malformed id", "GET", "/v1/contacts/not-a-uuid", me.token, nil, 404, "contact"},
		{"unknown field", "PATCH", "/v1/contacts/" + carl, me.token, map[string]string{"nickname": "C"}, 400, `"nickname"`},
		{"nothing to change", "PATCH", "/v1/contacts/" + carl, me.token, map[string]string{}, 400, "nothing to change"},
		{"name too long", "PATCH", "/v1/contacts/" + carl, me.token, map[string]string{"name": strings.Repeat("n", 201)}, 422, "200"},
		{"wrong type", "PATCH", "/v1/contacts/" + carl, me.token, map[string]string{"blocked": "yes"}, 400, "blocked"},
		{"q too long", "GET", "/v1/contacts?q=" + strings.Repeat("q", 101), me.token, nil, 400, "100"},
		{"bad cursor", "GET", "/v1/contacts?cursor=zzz", me.token, nil, 400, "cursor"},
		{"bad history cursor", "GET", "/v1/contacts/" + carl + "/history?cursor=zzz", me.token, nil, 400, "cursor"},
	} {
		var e apiError
		if code := s.call(c.method, c.path, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
}
