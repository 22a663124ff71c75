package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

type tokenView struct {
	ID         string     `json:"id"`
	Token      string     `json:"token"`
	Label      string     `json:"label"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type auditView struct {
	ID         string         `json:"id"`
	ActorID    *string        `json:"actor_id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Details    map[string]any `json:"details"`
}

type auditPage struct {
	Events     []auditView `json:"events"`
	NextCursor string      `json:"next_cursor"`
}

// Self-service tokens: a user issues, lists and revokes their own (never another's);
// a token records when it was used; an expiry is enforced, also on an open event
// stream; a revoked token's stream closes within seconds; a past expiry is 422.
func TestTokenSelfServiceExpiryAndRevocation(t *testing.T) {
	s := startStack(t, true, "")
	u := s.newAgent("tokens", "")
	other := s.newAgent("other", "")

	var mine tokenView
	if err := s.mustSend(apiRequest{method: "POST", path: "/v1/me/tokens", token: u.token,
		body: map[string]any{"label": "nightly export", "expires_at": time.Now().Add(24 * time.Hour)}}, http.StatusCreated).decode(&mine); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mine.Token, "tdk_") || mine.ExpiresAt == nil || mine.Label != "nightly export" {
		t.Fatalf("issued %+v", mine)
	}
	// Used: last_used_at is set by the first request.
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: mine.Token}, http.StatusOK)
	var list struct{ Tokens []tokenView }
	if err := s.mustSend(apiRequest{method: "GET", path: "/v1/me/tokens", token: u.token}, http.StatusOK).decode(&list); err != nil {
		t.Fatal(err)
	}
	var listed *tokenView
	for i := range list.Tokens {
		if list.Tokens[i].ID == mine.ID {
			listed = &list.Tokens[i]
		}
		if list.Tokens[i].Token != "" {
			t.Errorf("listing shows a secret")
		}
	}
	if listed == nil || listed.LastUsedAt == nil || time.Since(*listed.LastUsedAt) > time.Minute || listed.ExpiresAt == nil {
		t.Fatalf("GET /v1/me/tokens: %+v; want the new token with last_used_at now and its expiry", list.Tokens)
	}
	// Nobody lists or revokes another's through /v1/me.
	var otherList struct{ Tokens []tokenView }
	s.mustSend(apiRequest{method: "GET", path: "/v1/me/tokens", token: other.token}, http.StatusOK).decode(&otherList)
	for _, tk := range otherList.Tokens {
		if tk.ID == mine.ID {
			t.Errorf("another user's listing shows the token")
		}
	}
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/me/tokens/" + mine.ID, token: other.token}, http.StatusNotFound)
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: mine.Token}, http.StatusOK)

	// A past or imminent expiry is refused, naming the field; nothing is issued.
	for _, when := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(10 * time.Second)} {
		a := s.mustSend(apiRequest{method: "POST", path: "/v1/me/tokens", token: u.token, body: map[string]any{"expires_at": when}}, http.StatusUnprocessableEntity)
		if !strings.Contains(string(a.body), "expires_at") {
			t.Errorf("a past expiry: %s; want the field named", a.body)
		}
	}
	s.mustSend(apiRequest{method: "POST", path: "/v1/me/tokens", token: u.token, body: rawJSON(`{"expires_at":"tomorrow"}`)}, http.StatusBadRequest)
	var after struct{ Tokens []tokenView }
	s.mustSend(apiRequest{method: "GET", path: "/v1/me/tokens", token: u.token}, http.StatusOK).decode(&after)
	if len(after.Tokens) != len(list.Tokens) {
		t.Errorf("refused requests issued tokens: %d, then %d", len(list.Tokens), len(after.Tokens))
	}

	// Revoking your own token closes its event stream within seconds.
	st := s.openEvents(mine.Token, "", "")
	st.start()
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/me/tokens/" + mine.ID, token: u.token}, http.StatusNoContent)
	streamEnds(t, st, streamClose, "after its token was revoked")
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: mine.Token}, http.StatusUnauthorized)

	// An expiry is enforced: on requests and on an open stream.
	var short tokenView
	s.mustSend(apiRequest{method: "POST", path: "/v1/me/tokens", token: u.token, body: map[string]any{"label": "short"}}, http.StatusCreated).decode(&short)
	st2 := s.openEvents(short.Token, "", "")
	st2.start()
	conn, err := pgx.Connect(context.Background(), s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, short.ID); err != nil {
		t.Fatal(err)
	}
	streamEnds(t, st2, streamClose, "after its token expired")
	a := s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: short.Token}, http.StatusUnauthorized)
	if !strings.Contains(string(a.body), "expired") {
		t.Errorf("an expired token: %s; want the answer to say expired", a.body)
	}
}

// Admin changes are in the audit log: who, what, on what, with the credential used;
// only admins read it; it pages and filters.
func TestAuditLog(t *testing.T) {
	s := startStack(t, true, "")
	admin := s.newAdmin("auditor", s.team.ID)
	u := s.newAgent("audited", "")

	var tok tokenView
	s.mustSend(apiRequest{method: "POST", path: "/v1/users/" + u.user.ID + "/tokens", token: admin.token, body: map[string]any{"label": "ci"}}, http.StatusCreated).decode(&tok)
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/users/" + u.user.ID + "/tokens/" + tok.ID, token: admin.token}, http.StatusNoContent)
	s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + u.user.ID, token: admin.token, body: map[string]any{"disabled": true}}, http.StatusOK)
	s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + u.user.ID, token: admin.token, body: map[string]any{"disabled": false}}, http.StatusOK)
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/teams/" + s.team.ID + "/members/" + u.user.ID, token: admin.token}, http.StatusNoContent)
	number := newPhone()
	s.mustSend(apiRequest{method: "POST", path: "/v1/teams/" + s.team.ID + "/numbers", token: admin.token, body: map[string]any{"number": number}}, http.StatusCreated)
	// A refused change is not recorded.
	s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + admin.user.ID, token: admin.token, body: map[string]any{"disabled": true}}, http.StatusConflict)

	// Agents may not read it.
	s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events", token: u.token}, http.StatusForbidden)

	var page auditPage
	if err := s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events?actor_id=" + admin.user.ID, token: admin.token}, http.StatusOK).decode(&page); err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, target string }{
		{"team.number_add", s.team.ID}, {"team.member_remove", u.user.ID}, {"user.enable", u.user.ID},
		{"user.disable", u.user.ID}, {"token.revoke", tok.ID}, {"token.create", tok.ID},
	}
	if len(page.Events) != len(want) {
		t.Fatalf("the admin's events: %+v; want %d (newest first)", page.Events, len(want))
	}
	for i, w := range want {
		ev := page.Events[i]
		if ev.Action != w.action || ev.TargetID != w.target || ev.ActorID == nil || *ev.ActorID != admin.user.ID || ev.Actor != admin.user.Email {
			t.Errorf("event %d: %+v; want %s on %s by %s", i, ev, w.action, w.target, admin.user.Email)
		}
		if ev.Details["credential"] != "token "+tokenIDOf(t, s, admin) {
			t.Errorf("event %d credential %v", i, ev.Details["credential"])
		}
	}
	if page.Events[0].Details["number"] != number {
		t.Errorf("number_add details %v", page.Events[0].Details)
	}

	// Filters and pages.
	var byTarget auditPage
	s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events?target_id=" + u.user.ID + "&action=user.disable", token: admin.token}, http.StatusOK).decode(&byTarget)
	if len(byTarget.Events) != 1 || byTarget.Events[0].Action != "user.disable" {
		t.Errorf("filtered: %+v", byTarget.Events)
	}
	var seen []string
	cursor := ""
	for range 10 {
		var p auditPage
		s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events?limit=4&actor_id=" + admin.user.ID + "&cursor=" + cursor, token: admin.token}, http.StatusOK).decode(&p)
		for _, ev := range p.Events {
			seen = append(seen, ev.Action)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != len(want) {
		t.Errorf("paging 4 at a time saw %v", seen)
	}
	for _, bad := range []string{"?cursor=abc", "?cursor=-1", "?limit=0", "?limit=201", "?actor_id=nope"} {
		s.mustSend(apiRequest{method: "GET", path: "/v1/audit-events" + bad, token: admin.token}, http.StatusBadRequest)
	}
}

// tokenIDOf finds the id of a's token among their tokens.
func tokenIDOf(t *testing.T, s *stack, a agent) string {
	t.Helper()
	var list struct{ Tokens []tokenView }
	s.mustSend(apiRequest{method: "GET", path: "/v1/me/tokens", token: a.token}, http.StatusOK).decode(&list)
	if len(list.Tokens) != 1 {
		t.Fatalf("%s has %d tokens; want 1", a.user.Email, len(list.Tokens))
	}
	return list.Tokens[0].ID
}
