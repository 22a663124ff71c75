package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// waitEvent reads the stream until an event of kind about conversation conv ("" for
// any) arrives, failing after 20 s; the events passed over are returned too.
func (st *sseStream) waitEvent(kind, conv string) (store.AgentEvent, []store.AgentEvent) {
	st.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var skipped []store.AgentEvent
	for time.Now().Before(deadline) {
		_, ev := st.next()
		if ev.Kind == kind && (conv == "" || (ev.ConversationID != nil && *ev.ConversationID == conv)) {
			return ev, skipped
		}
		skipped = append(skipped, ev)
	}
	st.t.Fatalf("no %s event for %q within 20s (saw %+v)", kind, conv, skipped)
	return store.AgentEvent{}, nil
}

// text has a customer text the team and returns the conversation it opened or joined.
func (s *stack) text(phone, body string) string {
	s.t.Helper()
	if _, code, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: phone, To: s.teamPhone, Body: body}); err != nil || code != http.StatusOK {
		s.t.Fatalf("inbound from %s: %d %v", phone, code, err)
	}
	var id string
	eventually(s.t, "the conversation of "+phone, func() bool {
		var page store.ConversationPage
		s.call("GET", "/v1/conversations?limit=200", s.agentTok, nil, &page)
		for _, c := range page.Conversations {
			if c.ContactPhone == phone {
				id = c.ID
				return true
			}
		}
		return false
	})
	return id
}

// countsOf is a's inbox counts in the stack's team.
func (s *stack) countsOf(a agent) store.InboxCounts {
	s.t.Helper()
	var body struct{ Teams []store.InboxCounts }
	if code := s.call("GET", "/v1/me/inbox-counts", a.token, nil, &body); code != http.StatusOK {
		s.t.Fatalf("GET /v1/me/inbox-counts: %d", code)
	}
	for _, c := range body.Teams {
		if c.TeamID == s.team.ID {
			return c
		}
	}
	s.t.Fatalf("inbox counts %+v have no entry for the team", body.Teams)
	return store.InboxCounts{}
}

// TestPeopleAndLiveState walks issue 11 end to end: team-wide events reach every member
// who may see the conversation, inbox counts and unread follow, presence reaches
// teammates, a supervisor assigns to another member and owns the auto-response.
func TestPeopleAndLiveState(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	member := agent{s.agent, s.agentTok}
	mate := s.newAgent("mate", "")
	excluded := s.newAgent("excluded", "")
	sup := s.newAgent("boss", "")
	if err := s.store.PutTeamMember(ctx, s.team.ID, sup.user.ID, store.TeamRoleSupervisor); err != nil {
		t.Fatal(err)
	}
	streams := map[string]*sseStream{}
	for _, a := range []agent{member, mate, excluded, sup} {
		st := s.openEvents(a.token, "", "")
		st.start()
		streams[a.user.ID] = st
	}

	// A customer texts: every member hears conversation_new, for this team.
	conv1 := s.text(newPhone(), "hello?")
	for _, a := range []agent{member, mate, excluded, sup} {
		ev, _ := streams[a.user.ID].waitEvent("conversation_new", conv1)
		if ev.TeamID == nil || *ev.TeamID != s.team.ID || !ev.Alert {
			t.Errorf("%s's conversation_new = %+v; want team %s, alerting (default preferences)", a.user.Name, ev, s.team.ID)
		}
		if ev, _ := streams[a.user.ID].waitEvent("inbox_counts_changed", ""); ev.TeamID == nil || *ev.TeamID != s.team.ID {
			t.Errorf("%s's inbox_counts_changed = %+v; want the team's", a.user.Name, ev)
		}
	}
	if c := s.countsOf(member); c.New != 1 || c.Mine != 0 {
		t.Errorf("counts after one arrival = %+v; want new 1, mine 0", c)
	}

	// A conversation restricted to the member (the contact's default) is not told to
	// the excluded agent, nor counted for them.
	restrictedPhone := newPhone()
	var contactID string
	if err := s.dbQueryRow(`INSERT INTO contacts (phone) VALUES ($1) RETURNING id`, restrictedPhone).Scan(&contactID); err != nil {
		t.Fatal(err)
	}
	s.exec(`INSERT INTO contact_team_settings (contact_id, team_id, default_visible_to) VALUES ($1, $2, $3)`,
		contactID, s.team.ID, []string{member.user.ID})
	conv2 := s.text(restrictedPhone, "private matter")
	streams[member.user.ID].waitEvent("conversation_new", conv2)
	conv3 := s.text(newPhone(), "another one")
	_, passed := streams[excluded.user.ID].waitEvent("conversation_new", conv3)
	for _, ev := range passed {
		if ev.ConversationID != nil && *ev.ConversationID == conv2 {
			t.Errorf("the excluded agent was told %+v about a conversation restricted to others", ev)
		}
	}
	if c := s.countsOf(excluded); c.New != 2 {
		t.Errorf("the excluded agent's counts = %+v; want new 2 (the restricted one left out)", c)
	}
	if c := s.countsOf(member); c.New != 3 {
		t.Errorf("the member's counts = %+v; want new 3", c)
	}

	// The supervisor assigns conv1 to the member (another agent could not); the others
	// hear it left New.
	if code := s.call("POST", "/v1/conversations/"+conv3+"/assign", mate.token, map[string][]string{"user_ids": {member.user.ID}}, nil); code != http.StatusForbidden {
		t.Errorf("an agent assigning another agent: %d; want 403", code)
	}
	var assigned store.Conversation
	if code := s.call("POST", "/v1/conversations/"+conv1+"/assign", sup.token, map[string][]string{"user_ids": {member.user.ID}}, &assigned); code != http.StatusOK {
		t.Fatalf("the supervisor assigning the member: %d", code)
	}
	if !slices.Equal(assigned.Assignees, []string{member.user.ID}) || len(assigned.AssigneeDetails) != 1 ||
		assigned.AssigneeDetails[0].Name != member.user.Name {
		t.Errorf("after the supervisor's assign: assignees %v %+v; want the member, named", assigned.Assignees, assigned.AssigneeDetails)
	}
	ev, _ := streams[mate.user.ID].waitEvent("conversation_left_new", conv1)
	var left struct{ Status string }
	if err := json.Unmarshal(ev.Data, &left); err != nil || left.Status != "active" {
		t.Errorf("conversation_left_new data %s; want status active", ev.Data)
	}
	if c := s.countsOf(member); c.New != 2 || c.Mine != 1 || c.Team != 1 || c.MineUnread != 1 {
		t.Errorf("the member's counts after the assign = %+v; want new 2, mine 1, team 1, mine_unread 1", c)
	}
	if c := s.countsOf(mate); c.Mine != 0 || c.Other != 1 || c.Team != 1 {
		t.Errorf("a teammate's counts after the assign = %+v; want mine 0, other 1, team 1", c)
	}

	// Unread: the member reads conv1; a new customer text makes it unread again.
	var detail conversationJSON
	s.call("GET", "/v1/conversations/"+conv1, member.token, nil, &detail)
	if detail.Unread == nil || *detail.Unread != 1 || len(detail.Messages) != 1 {
		t.Fatalf("conversation before reading: unread %v, %d messages; want 1, 1", detail.Unread, len(detail.Messages))
	}
	first := detail.Messages[0].ID
	if code := s.call("POST", "/v1/conversations/"+conv1+"/read", member.token, map[string]string{"message_id": first}, nil); code != http.StatusNoContent {
		t.Fatalf("mark read: %d", code)
	}
	if code := s.call("POST", "/v1/conversations/"+conv1+"/read", member.token, map[string]string{"message_id": conv3}, nil); code != http.StatusBadRequest {
		t.Errorf("mark read with an id that is no message of it: %d; want 400", code)
	}
	s.call("GET", "/v1/conversations/"+conv1, member.token, nil, &detail)
	if *detail.Unread != 0 {
		t.Errorf("unread after reading = %d; want 0", *detail.Unread)
	}
	if c := s.countsOf(member); c.MineUnread != 0 {
		t.Errorf("mine_unread after reading = %d; want 0", c.MineUnread)
	}
	s.call("GET", "/v1/conversations/"+conv1, mate.token, nil, &detail)
	if *detail.Unread != 1 {
		t.Errorf("the teammate's unread = %d; want 1 (reading is per user)", *detail.Unread)
	}

	// Presence reaches teammates, and the members board shows it.
	if code := s.call("PUT", "/v1/me/presence", mate.token, map[string]string{"state": "away"}, nil); code != http.StatusOK {
		t.Fatalf("presence: %d", code)
	}
	ev, _ = streams[member.user.ID].waitEvent("presence_changed", "")
	var pres struct {
		UserID string `json:"user_id"`
		State  string `json:"state"`
	}
	if err := json.Unmarshal(ev.Data, &pres); err != nil || pres.UserID != mate.user.ID || pres.State != "away" {
		t.Errorf("presence_changed data %s; want the teammate away", ev.Data)
	}
	var board struct{ Members []store.Member }
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/members", member.token, nil, &board); code != http.StatusOK {
		t.Fatalf("members: %d", code)
	}
	byID := map[string]store.Member{}
	for _, m := range board.Members {
		byID[m.ID] = m
	}
	if m := byID[mate.user.ID]; m.Presence.State != "away" || m.Presence.Since == nil || m.Role != "agent" {
		t.Errorf("the teammate on the board: %+v; want an agent, away since now", m)
	}
	if m := byID[member.user.ID]; m.OpenConversations != 1 || m.Capacity != s.team.Capacity {
		t.Errorf("the member on the board: %+v; want 1 open conversation, capacity %d", m, s.team.Capacity)
	}
	if byID[sup.user.ID].Role != "supervisor" {
		t.Errorf("the supervisor on the board: %+v", byID[sup.user.ID])
	}
	if code := s.call("GET", "/v1/teams/"+s.team.ID+"/members", s.outsider, nil, nil); code != http.StatusNotFound {
		t.Errorf("another team's agent reading the members: %d; want 404", code)
	}

	// The auto-response is the supervisor's, not an agent's; agents switch chat only
	// while the team lets them.
	if code := s.call("PUT", "/v1/teams/"+s.team.ID+"/chat", member.token, map[string]any{"on": true, "auto_response": "hacked"}, nil); code != http.StatusForbidden {
		t.Errorf("an agent changing the auto-response: %d; want 403", code)
	}
	var team store.Team
	if code := s.call("PUT", "/v1/teams/"+s.team.ID+"/chat", sup.token, map[string]any{"on": true, "auto_response": "Back at 9"}, &team); code != http.StatusOK || team.AutoResponse != "Back at 9" {
		t.Errorf("the supervisor changing the auto-response: %d %+v", code, team)
	}
	if code := s.call("PATCH", "/v1/teams/"+s.team.ID, sup.token, map[string]any{"agents_can_toggle_chat": false}, nil); code != http.StatusOK {
		t.Errorf("the supervisor restricting the chat switch: %d", code)
	}
	if code := s.call("PATCH", "/v1/teams/"+s.team.ID, sup.token, map[string]any{"capacity": 9}, nil); code != http.StatusForbidden {
		t.Errorf("the supervisor changing the capacity: %d; want 403 (an admin's setting)", code)
	}
	if code := s.call("PUT", "/v1/teams/"+s.team.ID+"/chat", member.token, map[string]any{"on": true}, nil); code != http.StatusForbidden {
		t.Errorf("an agent switching chat when the team does not allow it: %d; want 403", code)
	}
	if team, _ := s.store.Team(ctx, s.team.ID); team.AutoResponse != "Back at 9" || team.Capacity == 9 {
		t.Errorf("team after the refused calls: %+v", team)
	}

	// GET /v1/me names the teams with the caller's role.
	var me struct{ Teams []store.TeamRef }
	s.call("GET", "/v1/me", sup.token, nil, &me)
	if len(me.Teams) != 1 || me.Teams[0].ID != s.team.ID || me.Teams[0].Role != "supervisor" {
		t.Errorf("the supervisor's teams = %+v", me.Teams)
	}

	// Preferences decide the alert flag of events written after the change.
	var prefs store.Preferences
	if code := s.call("PUT", "/v1/me/preferences", member.token, map[string]bool{"new_conversation_alerts": false}, &prefs); code != http.StatusOK ||
		prefs.NewConversationAlerts || !prefs.Sound || !prefs.MissedConversationAlerts {
		t.Fatalf("preferences: %d %+v", code, prefs)
	}
	conv4 := s.text(newPhone(), "one more")
	if ev, _ := streams[member.user.ID].waitEvent("conversation_new", conv4); ev.Alert {
		t.Errorf("conversation_new for a member who turned those alerts off: alert true")
	}
	if ev, _ := streams[mate.user.ID].waitEvent("conversation_new", conv4); !ev.Alert {
		t.Errorf("conversation_new for a teammate with the defaults: alert false")
	}

	// An offer taken by someone else: the teammate becomes available and is offered a
	// waiting conversation; the supervisor assigns it to another agent; the teammate
	// hears offer_taken, naming who took it.
	if code := s.call("PUT", "/v1/me/presence", mate.token, map[string]string{"state": "available"}, nil); code != http.StatusOK {
		t.Fatalf("presence: %d", code)
	}
	offer, _ := streams[mate.user.ID].waitEvent("offer", "")
	if code := s.call("POST", "/v1/conversations/"+*offer.ConversationID+"/assign", sup.token,
		map[string][]string{"user_ids": {excluded.user.ID}}, nil); code != http.StatusOK {
		t.Fatalf("the supervisor assigning the offered conversation: %d", code)
	}
	taken, _ := streams[mate.user.ID].waitEvent("offer_taken", *offer.ConversationID)
	var by struct {
		TakenBy string `json:"taken_by"`
	}
	if err := json.Unmarshal(taken.Data, &by); err != nil || by.TakenBy != excluded.user.ID {
		t.Errorf("offer_taken data %s; want taken_by %s", taken.Data, excluded.user.ID)
	}

	// The supervisor's note carries their name.
	var note store.Message
	if code := s.call("POST", "/v1/conversations/"+conv1+"/notes", sup.token, map[string]string{"body": "watching this one"}, &note); code != http.StatusCreated ||
		note.AuthorName == nil || *note.AuthorName != sup.user.Name {
		t.Errorf("note: %d author %v; want %q", code, note.AuthorName, sup.user.Name)
	}
}

// TestRONAReachesTeammates: routing's RONA (an offer let expire) is a presence change
// like any other: the team hears presence_changed with state rona.
func TestRONAReachesTeammates(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 1}); err != nil {
		t.Fatal(err)
	}
	ringer := s.newAgent("ringer", "available")
	watcher := s.newAgent("watcher", "")
	st := s.openEvents(watcher.token, "", "")
	st.start()
	s.text(newPhone(), "anyone?")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ev, _ := st.waitEvent("presence_changed", "")
		var p struct {
			UserID string `json:"user_id"`
			State  string `json:"state"`
		}
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			t.Fatal(err)
		}
		if p.UserID == ringer.user.ID && p.State == store.PresenceRONA {
			return
		}
	}
	t.Fatal("the watcher never heard the ringer go RONA")
}
