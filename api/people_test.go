package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/store"
)

// callAs runs handler h for a request by user, with chi's path parameters, and returns
// the status and the error message. The cases below are answered before Postgres is
// asked (the Server has no Store): refusals and bad input.
func callAs(t *testing.T, h http.HandlerFunc, user store.User, method, target, body string, params map[string]string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rc := chi.NewRouteContext()
	for k, v := range params {
		rc.URLParams.Add(k, v)
	}
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, rc)
	ctx = context.WithValue(ctx, userKey, user)
	w := httptest.NewRecorder()
	h(w, r.WithContext(ctx))
	var e struct{ Error struct{ Message string } }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return w.Code, e.Error.Message
}

func TestPeopleHandlersRefuse(t *testing.T) {
	const team, other = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	s := &Server{}
	agent := store.User{ID: "33333333-3333-3333-3333-333333333333", Role: store.RoleAgent, TeamIDs: []string{team}}
	admin := store.User{ID: "44444444-4444-4444-4444-444444444444", Role: store.RoleAdmin}
	for _, c := range []struct {
		name         string
		h            http.HandlerFunc
		user         store.User
		method, path string
		body         string
		params       map[string]string
		status       int
		says         string
	}{
		{"members of another team", s.listTeamMembers, agent, "GET", "/v1/teams/x/members", "", map[string]string{"id": other}, 404, "not found"},
		{"counts of another team", s.getInboxCounts, agent, "GET", "/v1/me/inbox-counts?team=" + other, "", nil, 404, "not found"},
		{"preferences: none given", s.putPreferences, agent, "PUT", "/v1/me/preferences", `{}`, nil, 400, "at least one"},
		{"preferences: not a boolean", s.putPreferences, agent, "PUT", "/v1/me/preferences", `{"sound":"yes"}`, nil, 400, "sound"},
		{"preferences: unknown", s.putPreferences, agent, "PUT", "/v1/me/preferences", `{"alerts":true}`, nil, 400, "alerts"},
		{"read: no message", s.markRead, agent, "POST", "/v1/conversations/x/read", `{}`, map[string]string{"id": team}, 400, "message_id"},
		{"member role by an agent", s.putTeamMember, agent, "PUT", "/v1/teams/x/members/y", `{"role":"supervisor"}`,
			map[string]string{"id": team, "user_id": agent.ID}, 403, "admin"},
		{"member role unknown", s.putTeamMember, admin, "PUT", "/v1/teams/x/members/y", `{"role":"boss"}`,
			map[string]string{"id": team, "user_id": agent.ID}, 400, "supervisor"},
		{"member role empty body object", s.putTeamMember, admin, "PUT", "/v1/teams/x/members/y", `{}`,
			map[string]string{"id": team, "user_id": agent.ID}, 400, "role must be"},
		{"chat of another team", s.putChat, agent, "PUT", "/v1/teams/x/chat", `{"on":true}`, map[string]string{"id": other}, 404, "not found"},
		{"team settings by an agent", s.patchTeam, agent, "PATCH", "/v1/teams/x", `{"auto_response":"x"}`, map[string]string{"id": other}, 404, "not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, msg := callAs(t, c.h, c.user, c.method, c.path, c.body, c.params)
			if status != c.status || !strings.Contains(msg, c.says) {
				t.Errorf("%d %q; want %d mentioning %q", status, msg, c.status, c.says)
			}
		})
	}
}

func TestSupervisorsMayOnlyChangeChatSettings(t *testing.T) {
	for _, c := range []struct {
		body string
		may  bool
	}{
		{`{"chat_on":false}`, true},
		{`{"auto_response":"We are closed"}`, true},
		{`{"agents_can_toggle_chat":false,"chat_on":true}`, true},
		{`{"capacity":3}`, false},
		{`{"chat_on":true,"name":"Renamed"}`, false},
		{`{"business_hours":null}`, false},
	} {
		var req patchTeamRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatal(err)
		}
		p, err := req.patch()
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if p.SupervisorsMay() != c.may {
			t.Errorf("%s: supervisors may = %v; want %v", c.body, p.SupervisorsMay(), c.may)
		}
	}
}
