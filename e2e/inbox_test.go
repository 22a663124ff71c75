package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// newAdmin adds an admin, a member of teamIDs (none: of no team).
func (s *stack) newAdmin(name string, teamIDs ...string) agent {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.store.UpsertUser(ctx, name, fmt.Sprintf("%s-%d@e2e.invalid", name, time.Now().UnixNano()), store.RoleAdmin)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, id := range teamIDs {
		if err := s.store.AddTeamMember(ctx, id, u.ID); err != nil {
			s.t.Fatal(err)
		}
	}
	u.TeamIDs = teamIDs
	tok := store.NewToken()
	if err := s.store.AddToken(ctx, u.ID, tok, "e2e"); err != nil {
		s.t.Fatal(err)
	}
	return agent{u, tok}
}

// seed is a conversation row to store without a workflow: the lists and the contact
// endpoints read Postgres only, so a seeded row is what they would show for a real one.
type seed struct {
	team      store.Team // zero: the stack's team
	phone     string     // zero: a new number
	status    conversation.Status
	next      conversation.Actor
	since     time.Time
	closedAt  time.Time
	assignees []string
	visibleTo []string
}

func (s *stack) seed(sd seed) store.Conversation {
	s.t.Helper()
	ctx := context.Background()
	if sd.team.ID == "" {
		sd.team = s.team
	}
	if sd.phone == "" {
		sd.phone = newPhone()
	}
	if sd.next == "" {
		sd.next = conversation.ActorAgent
	}
	if sd.since.IsZero() {
		sd.since = time.Now()
	}
	contact, err := s.store.EnsureContact(ctx, sd.phone)
	if err != nil {
		s.t.Fatal(err)
	}
	c, _, err := s.store.OpenConversation(ctx, sd.team.ID, contact.ID, sd.team.Numbers[0], conversation.StatusNew)
	if err != nil {
		s.t.Fatal(err)
	}
	st := conversation.State{ID: c.ID, TeamID: sd.team.ID, Status: sd.status, NextAction: sd.next, NextActionSince: sd.since.UTC(),
		LastMessageAt: sd.since.UTC(), ClosedAt: sd.closedAt.UTC(), Assignees: sd.assignees, VisibleTo: sd.visibleTo, Version: 1}
	if sd.status == conversation.StatusClosed {
		st.CloseReason = "archived"
		st.NextAction = conversation.ActorNone
	}
	if err := s.store.SaveConversation(ctx, st); err != nil {
		s.t.Fatal(err)
	}
	c, err = s.store.Conversation(ctx, c.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// inbox reads a whole inbox page by page (limit per page) and returns the ids in order.
func (s *stack) inbox(a agent, query string, limit int) []string {
	s.t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			s.t.Fatalf("%s: more than 50 pages", query)
		}
		var page store.ConversationPage
		path := fmt.Sprintf("/v1/conversations?%s&limit=%d&cursor=%s", query, limit, url.QueryEscape(cursor))
		if code := s.call("GET", path, a.token, nil, &page); code != http.StatusOK {
			s.t.Fatalf("GET %s: %d", path, code)
		}
		for _, c := range page.Conversations {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

func ids(cs ...store.Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// Each inbox holds its conversations in its order, whatever the page size; a cursor
// keeps its place while conversations arrive; agents see only their teams.
func TestInboxes(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := s.newAgent("me", "")
	bob := s.newAgent("bob", "")
	other, err := s.store.CreateTeam(ctx, "Elsewhere "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour)
	at := func(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }
	active, wrapUp, closed := conversation.StatusActive, conversation.StatusWrapUp, conversation.StatusClosed
	agentNext, customerNext, none := conversation.ActorAgent, conversation.ActorCustomer, conversation.ActorNone

	new1 := s.seed(seed{status: conversation.StatusNew})
	new2 := s.seed(seed{status: conversation.StatusNew})
	missed1 := s.seed(seed{status: conversation.StatusMissed})
	m1 := s.seed(seed{status: active, next: customerNext, since: at(1), assignees: []string{me.user.ID}})
	m2 := s.seed(seed{status: active, next: agentNext, since: at(20), assignees: []string{me.user.ID}})
	m3 := s.seed(seed{status: active, next: agentNext, since: at(10), assignees: []string{bob.user.ID, me.user.ID}})
	m4 := s.seed(seed{status: wrapUp, next: none, since: at(5), assignees: []string{me.user.ID}})
	b1 := s.seed(seed{status: active, next: agentNext, since: at(15), assignees: []string{bob.user.ID}})
	b2 := s.seed(seed{status: active, next: customerNext, since: at(2), assignees: []string{bob.user.ID}})
	a2 := s.seed(seed{status: closed, closedAt: at(40)})
	a1 := s.seed(seed{status: closed, closedAt: at(30)})
	s.seed(seed{team: other, status: active, since: at(0), assignees: []string{bob.user.ID}}) // not the caller's team

	want := map[string][]string{
		"inbox=new":         ids(new2, new1),
		"inbox=missed":      ids(missed1),
		"inbox=mine":        ids(m3, m2, m1, m4),                                      // waiting for me longest first, then for the customer, then wrap-up
		"inbox=team":        ids(m3, b1, m2, m1, b2, m4),                              // the same order across the team
		"inbox=other":       ids(b2, b1),                                              // assigned to others, newest first
		"inbox=archived":    ids(a2, a1),                                              // most recently closed first
		"team=" + s.team.ID: ids(a1, a2, b2, b1, m4, m3, m2, m1, missed1, new2, new1), // no inbox: all, newest first
	}
	for query, w := range want {
		for _, limit := range []int{1, 2, 3, 50} {
			if got := s.inbox(me, query, limit); !slices.Equal(got, w) {
				t.Errorf("%s (limit %d) = %v; want %v", query, limit, got, w)
			}
		}
	}
	if got := s.inbox(bob, "inbox=mine", 2); !slices.Equal(got, ids(m3, b1, b2)) {
		t.Errorf("bob's mine = %v; want %v", got, ids(m3, b1, b2))
	}
	if got := s.inbox(bob, "inbox=other", 2); !slices.Equal(got, ids(m4, m2, m1)) {
		t.Errorf("bob's other = %v; want %v", got, ids(m4, m2, m1))
	}

	// The items carry what an inbox row shows.
	name, ref := "Ana Lima", "CRM-77"
	if err := s.store.UpdateContact(ctx, m3.ContactID, store.ContactPatch{Name: &name, Ref: &ref}); err != nil {
		t.Fatal(err)
	}
	var page store.ConversationPage
	s.call("GET", "/v1/conversations?inbox=mine&limit=1", me.token, nil, &page)
	if got := page.Conversations[0]; got.ID != m3.ID || got.ContactName != name || got.ContactRef != ref || got.ContactPhone != m3.ContactPhone ||
		got.Status != "active" || got.NextAction != "agent" || !got.NextActionSince.Equal(at(10).Truncate(time.Microsecond)) ||
		got.LastMessageAt == nil || !slices.Equal(got.Assignees, []string{bob.user.ID, me.user.ID}) {
		t.Errorf("mine[0] = %+v", got)
	}

	// A conversation that starts waiting ahead of the cursor does not shift the next page.
	s.call("GET", "/v1/conversations?inbox=team&limit=2", me.token, nil, &page)
	if !slices.Equal(ids(page.Conversations...), ids(m3, b1)) || page.NextCursor == "" {
		t.Fatalf("team page 1 = %v", ids(page.Conversations...))
	}
	s.seed(seed{status: active, next: agentNext, since: at(-30), assignees: []string{bob.user.ID}})
	cursor := page.NextCursor
	s.call("GET", "/v1/conversations?inbox=team&limit=2&cursor="+url.QueryEscape(cursor), me.token, nil, &page)
	if !slices.Equal(ids(page.Conversations...), ids(m2, m1)) {
		t.Errorf("team page 2 after an arrival = %v; want %v", ids(page.Conversations...), ids(m2, m1))
	}

	// A real conversation, waiting with nobody available, is in New.
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hello"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the inbound conversation in New", func() bool {
		var p store.ConversationPage
		s.call("GET", "/v1/conversations?inbox=new&limit=1", me.token, nil, &p)
		return len(p.Conversations) == 1 && p.Conversations[0].ContactPhone == customer
	})

	for _, c := range []struct {
		name, path, token string
		status            int
		mention           string
	}{
		{"no token", "/v1/conversations?inbox=mine", "", 401, "Bearer"},
		{"unknown inbox", "/v1/conversations?inbox=later", me.token, 400, "inbox must be one of new, missed, mine, team, other, archived"},
		{"empty inbox", "/v1/conversations?inbox=", me.token, 400, "inbox must be one of"},
		{"cursor of another inbox", "/v1/conversations?inbox=mine&cursor=" + url.QueryEscape(cursor), me.token, 400, "cursor"},
		{"cursor of the plain list", "/v1/conversations?inbox=new&cursor=" + url.QueryEscape(page.NextCursor), me.token, 400, "cursor"},
		{"other team", "/v1/conversations?inbox=team&team=" + other.ID, me.token, 404, "team"},
		{"outsider", "/v1/conversations?inbox=team&team=" + s.team.ID, s.outsider, 404, "team"},
		{"bad limit", "/v1/conversations?inbox=new&limit=201", me.token, 400, "limit"},
	} {
		var e apiError
		if code := s.call("GET", c.path, c.token, nil, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	var outsiders store.ConversationPage
	s.call("GET", "/v1/conversations?inbox=team", s.outsider, nil, &outsiders)
	if len(outsiders.Conversations) != 0 {
		t.Errorf("an outsider's team inbox shows %d of another team's conversations", len(outsiders.Conversations))
	}
}
