package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
)

type issuedTokenJSON struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
}

type tokensJSON struct {
	Tokens []store.Token `json:"tokens"`
}

// An admin creates a team with numbers, a user in it, issues the user a token the API
// takes, lists and revokes it (refused at once); agents are 403, no token 401.
func TestAdminUsersTeamsNumbersTokens(t *testing.T) {
	s := startStack(t, true, "")
	admin := s.newAdmin("admin")
	me := agent{s.agent, s.agentTok}

	// Teams: numbers normalised to E.164, duplicates added once.
	n1, n2 := newPhone(), newPhone()
	national := fmt.Sprintf("(%s) %s-%s", n2[2:5], n2[5:8], n2[8:])
	var team store.Team
	if code := s.call("POST", "/v1/teams", admin.token, map[string]any{"name": "  Billing  ", "numbers": []string{n1, national, n1}}, &team); code != http.StatusCreated {
		t.Fatalf("create team: %d", code)
	}
	want := []string{n1, n2}
	slices.Sort(want)
	if team.Name != "Billing" || !slices.Equal(team.Numbers, want) || !team.ChatOn || team.Capacity != 5 {
		t.Errorf("team created: %+v; want numbers %v", team, want)
	}
	var empty store.Team
	if code := s.call("POST", "/v1/teams", admin.token, map[string]any{"name": "Empty " + t.Name()}, &empty); code != http.StatusCreated || len(empty.Numbers) != 0 {
		t.Errorf("team without numbers: %d %+v", code, empty)
	}

	for _, c := range []struct {
		name, token string
		body        any
		status      int
		mention     string
	}{
		{"no token", "", map[string]any{"name": "X"}, 401, "Bearer"},
		{"agent", me.token, map[string]any{"name": "X"}, 403, "only an admin can create a team"},
		{"no name", admin.token, map[string]any{"numbers": []string{}}, 400, `"name" is required`},
		{"blank name", admin.token, map[string]any{"name": "  "}, 400, `"name" is required`},
		{"long name", admin.token, map[string]any{"name": strings.Repeat("n", 101)}, 422, "100"},
		{"invalid number", admin.token, map[string]any{"name": "X", "numbers": []string{newPhone(), "+1555"}}, 400, `numbers[1]: "+1555"`},
		{"owned number", admin.token, map[string]any{"name": "X", "numbers": []string{newPhone(), s.teamPhone}}, 409, s.teamPhone},
		{"unknown field", admin.token, map[string]any{"name": "X", "number": "+14155550123"}, 400, `"number"`},
	} {
		var e apiError
		if code := s.call("POST", "/v1/teams", c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("create team, %s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}

	// Numbers: add (normalised), refuse one already owned, remove (percent-encoded).
	numbers := "/v1/teams/" + team.ID + "/numbers"
	n3 := newPhone()
	var after store.Team
	if code := s.call("POST", numbers, admin.token, map[string]string{"number": n3[2:]}, &after); code != http.StatusCreated || !slices.Contains(after.Numbers, n3) {
		t.Errorf("add number: %d %+v", code, after.Numbers)
	}
	for _, c := range []struct {
		name, path, token string
		body              any
		status            int
		mention           string
	}{
		{"no token", numbers, "", map[string]string{"number": newPhone()}, 401, "Bearer"},
		{"agent", numbers, me.token, map[string]string{"number": newPhone()}, 403, "admin"},
		{"invalid", numbers, admin.token, map[string]string{"number": "12"}, 400, `"12"`},
		{"another team's", numbers, admin.token, map[string]string{"number": s.teamPhone}, 409, "another team"},
		{"this team's", numbers, admin.token, map[string]string{"number": n1}, 409, "this team's numbers already"},
		{"unknown team", "/v1/teams/00000000-0000-4000-8000-000000000000/numbers", admin.token, map[string]string{"number": newPhone()}, 404, "team"},
		{"unknown field", numbers, admin.token, map[string]string{"phone": newPhone()}, 400, `"phone"`},
	} {
		var e apiError
		if code := s.call("POST", c.path, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("add number, %s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	encoded := numbers + "/%2B" + n3[1:]
	s.mustAct(me, "DELETE", encoded, nil, http.StatusForbidden)
	if code := s.call("DELETE", encoded, "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("remove number without a token: %d", code)
	}
	s.mustAct(admin, "DELETE", encoded, nil, http.StatusNoContent)
	s.mustAct(admin, "DELETE", encoded, nil, http.StatusNotFound)
	s.mustAct(admin, "DELETE", numbers+"/"+n2, nil, http.StatusNoContent) // "+" unencoded is a "+" in a path
	s.mustAct(admin, "DELETE", "/v1/teams/"+team.ID+"/numbers/%2B"+s.teamPhone[1:], nil, http.StatusNotFound)
	s.call("GET", "/v1/teams/"+team.ID, admin.token, nil, &after)
	if !slices.Equal(after.Numbers, []string{n1}) {
		t.Errorf("numbers after removals: %v; want [%s]", after.Numbers, n1)
	}

	// Users: created with teams; email unique; unknown team 400.
	email := fmt.Sprintf("ada-%d@e2e.invalid", time.Now().UnixNano())
	var ada store.User
	if code := s.call("POST", "/v1/users", admin.token, map[string]any{"name": "Ada", "email": email, "role": "agent", "team_ids": []string{team.ID, team.ID}}, &ada); code != http.StatusCreated ||
		ada.Name != "Ada" || ada.Email != email || ada.Role != store.RoleAgent || !slices.Equal(ada.TeamIDs, []string{team.ID}) {
		t.Fatalf("create user: %d %+v", code, ada)
	}
	var boss store.User
	if code := s.call("POST", "/v1/users", admin.token, map[string]any{"name": "Boss", "email": "boss-" + email, "role": "admin"}, &boss); code != http.StatusCreated ||
		boss.Role != store.RoleAdmin || boss.TeamIDs == nil || len(boss.TeamIDs) != 0 {
		t.Errorf("create admin without teams: %d %+v", code, boss)
	}
	for _, c := range []struct {
		name, token string
		body        any
		status      int
		mention     string
	}{
		{"no token", "", map[string]any{"name": "X", "email": "x-" + email, "role": "agent"}, 401, "Bearer"},
		{"agent", me.token, map[string]any{"name": "X", "email": "x-" + email, "role": "agent"}, 403, "only an admin can create a user"},
		{"email in use", admin.token, map[string]any{"name": "X", "email": email, "role": "agent"}, 409, email},
		{"unknown team", admin.token, map[string]any{"name": "X", "email": "x-" + email, "role": "agent", "team_ids": []string{"00000000-0000-4000-8000-000000000000"}}, 400, "00000000-0000-4000-8000-000000000000"},
		{"malformed team id", admin.token, map[string]any{"name": "X", "email": "x-" + email, "role": "agent", "team_ids": []string{"billing"}}, 400, `"billing"`},
		{"bad role", admin.token, map[string]any{"name": "X", "email": "x-" + email, "role": "owner"}, 400, "role"},
		{"bad email", admin.token, map[string]any{"name": "X", "email": "Ada <ada@example.com>", "role": "agent"}, 400, "email"},
		{"no name", admin.token, map[string]any{"email": "x-" + email, "role": "agent"}, 400, `"name"`},
		{"unknown field", admin.token, map[string]any{"name": "X", "email": "x-" + email, "role": "agent", "teams": []string{}}, 400, `"teams"`},
	} {
		var e apiError
		if code := s.call("POST", "/v1/users", c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("create user, %s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	// The refused requests created nobody: the email is still free after the unknown team.
	if code := s.call("POST", "/v1/users", admin.token, map[string]any{"name": "X", "email": "x-" + email, "role": "agent"}, nil); code != http.StatusCreated {
		t.Errorf("email left free by refused requests: %d", code)
	}

	// Tokens: issued once with its secret, listed without, revoked at once.
	tokens := "/v1/users/" + ada.ID + "/tokens"
	var tok issuedTokenJSON
	if code := s.call("POST", tokens, admin.token, map[string]string{"label": " laptop "}, &tok); code != http.StatusCreated ||
		tok.ID == "" || !strings.HasPrefix(tok.Token, "tdk_") || tok.Label != "laptop" || tok.CreatedAt.IsZero() {
		t.Fatalf("issue token: %d %+v", code, tok)
	}
	var other issuedTokenJSON
	if code := s.call("POST", tokens, admin.token, map[string]string{}, &other); code != http.StatusCreated || other.Label != "" || other.Token == tok.Token {
		t.Errorf("issue a second token: %d %+v", code, other)
	}
	adaAgent := agent{ada, tok.Token}
	var got store.User
	if code := s.call("GET", "/v1/me", tok.Token, nil, &got); code != http.StatusOK || got.ID != ada.ID || !slices.Equal(got.TeamIDs, []string{team.ID}) {
		t.Errorf("the new token works: %d %+v", code, got)
	}
	var list tokensJSON
	if code := s.call("GET", tokens, admin.token, nil, &list); code != http.StatusOK || len(list.Tokens) != 2 ||
		list.Tokens[0].ID != tok.ID || list.Tokens[0].Label != "laptop" || list.Tokens[0].RevokedAt != nil {
		t.Errorf("list tokens: %d %+v", code, list)
	}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		mention                   string
	}{
		{"issue, no token", "POST", tokens, "", map[string]string{}, 401, "Bearer"},
		{"issue, agent", "POST", tokens, me.token, map[string]string{}, 403, "only an admin can issue API tokens"},
		{"issue, the user themself", "POST", tokens, adaAgent.token, map[string]string{}, 403, "admin"},
		{"issue, unknown user", "POST", "/v1/users/00000000-0000-4000-8000-000000000000/tokens", admin.token, map[string]string{}, 404, "user"},
		{"issue, long label", "POST", tokens, admin.token, map[string]string{"label": strings.Repeat("l", 101)}, 422, "100"},
		{"issue, unknown field", "POST", tokens, admin.token, map[string]string{"name": "x"}, 400, `"name"`},
		{"list, no token", "GET", tokens, "", nil, 401, "Bearer"},
		{"list, agent", "GET", tokens, me.token, nil, 403, "admin"},
		{"list, unknown user", "GET", "/v1/users/00000000-0000-4000-8000-000000000000/tokens", admin.token, nil, 404, "user"},
		{"revoke, agent", "DELETE", tokens + "/" + tok.ID, me.token, nil, 403, "admin"},
		{"revoke, no token", "DELETE", tokens + "/" + tok.ID, "", nil, 401, "Bearer"},
		{"revoke, another user's token", "DELETE", "/v1/users/" + boss.ID + "/tokens/" + tok.ID, admin.token, nil, 404, "token"},
		{"revoke, unknown token", "DELETE", tokens + "/00000000-0000-4000-8000-000000000000", admin.token, nil, 404, "token"},
	} {
		var e apiError
		if code := s.call(c.method, c.path, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	// Still valid after the refused revocations; refused at once once revoked.
	if code := s.call("GET", "/v1/me", tok.Token, nil, nil); code != http.StatusOK {
		t.Errorf("token before revocation: %d", code)
	}
	s.mustAct(admin, "DELETE", tokens+"/"+tok.ID, nil, http.StatusNoContent)
	var e apiError
	if code := s.call("GET", "/v1/me", tok.Token, nil, &e); code != http.StatusUnauthorized || !strings.Contains(e.Error.Message, "revoked") {
		t.Errorf("revoked token: %d %q; want 401", code, e.Error.Message)
	}
	if code := s.call("GET", "/v1/me", other.Token, nil, nil); code != http.StatusOK {
		t.Errorf("the user's other token after revoking one: %d", code)
	}
	s.mustAct(admin, "DELETE", tokens+"/"+tok.ID, nil, http.StatusNoContent) // again: no change
	s.call("GET", tokens, admin.token, nil, &list)
	if len(list.Tokens) != 2 || list.Tokens[0].RevokedAt == nil || list.Tokens[1].RevokedAt != nil {
		t.Errorf("tokens after revocation: %+v", list.Tokens)
	}

	// Members: put in and take out of a team.
	members := "/v1/teams/" + empty.ID + "/members/"
	s.mustAct(me, "PUT", members+ada.ID, nil, http.StatusForbidden)
	if code := s.call("PUT", members+ada.ID, "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("put member without a token: %d", code)
	}
	s.mustAct(admin, "PUT", members+ada.ID, nil, http.StatusNoContent)
	s.mustAct(admin, "PUT", members+ada.ID, nil, http.StatusNoContent) // already: no change
	s.mustAct(admin, "PUT", members+"00000000-0000-4000-8000-000000000000", nil, http.StatusNotFound)
	s.mustAct(admin, "PUT", "/v1/teams/00000000-0000-4000-8000-000000000000/members/"+ada.ID, nil, http.StatusNotFound)
	s.call("GET", "/v1/me", other.Token, nil, &got)
	if !slices.Contains(got.TeamIDs, empty.ID) || !slices.Contains(got.TeamIDs, team.ID) {
		t.Errorf("teams after joining: %v", got.TeamIDs)
	}
	s.mustAct(me, "DELETE", "/v1/teams/"+team.ID+"/members/"+ada.ID, nil, http.StatusForbidden)
	s.mustAct(admin, "DELETE", "/v1/teams/"+team.ID+"/members/"+ada.ID, nil, http.StatusNoContent)
	s.mustAct(admin, "DELETE", "/v1/teams/"+team.ID+"/members/"+ada.ID, nil, http.StatusNotFound)
	s.call("GET", "/v1/me", other.Token, nil, &got)
	if !slices.Equal(got.TeamIDs, []string{empty.ID}) {
		t.Errorf("teams after leaving: %v; want [%s]", got.TeamIDs, empty.ID)
	}
}
