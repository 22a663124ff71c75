package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Search finds the last 90 days' conversations by number (whole or first digits), ref
// or name, newest first, and never one the caller may not see.
func TestSearchConversations(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := s.newAgent("me", "")
	admin := s.newAdmin("searchadmin", s.team.ID)
	other, err := s.store.CreateTeam(ctx, "Elsewhere "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	ada := newPhone()
	closed, active := conversation.StatusClosed, conversation.StatusActive
	adaAncient := s.seed(seed{phone: ada, status: closed, closedAt: time.Now()})
	adaOld := s.seed(seed{phone: ada, status: closed, closedAt: time.Now()})
	adaNow := s.seed(seed{phone: ada, status: active, assignees: []string{me.user.ID}})
	grace := s.seed(seed{status: active})
	private := s.seed(seed{status: active, visibleTo: []string{admin.user.ID}})
	s.seed(seed{team: other, phone: ada, status: active}) // the same customer in another team: never found
	for contact, name := range map[string]string{adaNow.ContactID: "Ada Lovelace", grace.ContactID: "Grace Hopper", private.ContactID: "Ada Private"} {
		ref := "REF-" + name[:3] + fmt.Sprint(time.Now().UnixNano())
		if err := s.store.UpdateContact(ctx, contact, store.ContactPatch{Name: &name, Ref: &ref}); err != nil {
			t.Fatal(err)
		}
	}
	// Opened 100 days ago: out of the window.
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE conversations SET opened_at = now() - interval '100 days' WHERE id = $1`, adaAncient.ID); err != nil {
		t.Fatal(err)
	}
	adaContact, err := s.store.ContactByID(ctx, adaNow.ContactID)
	if err != nil {
		t.Fatal(err)
	}

	search := func(a agent, query string, limit int) []string {
		t.Helper()
		var got []string
		cursor := ""
		for range 20 {
			var page store.ConversationPage
			path := fmt.Sprintf("/v1/search?%s&limit=%d&cursor=%s", query, limit, url.QueryEscape(cursor))
			if code := s.call("GET", path, a.token, nil, &page); code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, c := range page.Conversations {
				got = append(got, c.ID)
			}
			if page.NextCursor == "" {
				return got
			}
			cursor = page.NextCursor
		}
		t.Fatalf("%s: too many pages", query)
		return nil
	}
	national := ada[2:] // +1415… typed as 415… in the team's region (US)
	want := ids(adaNow, adaOld)
	for _, q := range []string{
		"phone=" + url.QueryEscape(ada), "phone=" + national, "phone=" + national[:6],
		"ref=" + url.QueryEscape(adaContact.Ref), "name=lovel", "name=ADA+LOVE",
	} {
		for _, limit := range []int{1, 50} {
			got := search(me, q, limit)
			if q == "phone="+national[:6] {
				got = slices.DeleteFunc(got, func(id string) bool { return !slices.Contains(want, id) }) // other seeded numbers share the prefix
			}
			if !slices.Equal(got, want) {
				t.Errorf("search %s (limit %d) = %v; want %v (newest first, none older than 90 days, none of other teams)", q, limit, got, want)
			}
		}
	}
	if got := search(me, "name=ada", 50); slices.Contains(got, private.ID) {
		t.Errorf("an agent found a conversation restricted to the admin")
	}
	if got := search(admin, "name=private", 50); !slices.Equal(got, ids(private)) {
		t.Errorf("the admin's search = %v; want the restricted conversation", got)
	}
	if got := search(me, "name=grace", 50); !slices.Equal(got, ids(grace)) {
		t.Errorf("name=grace = %v; want %v", got, ids(grace))
	}
	for _, bad := range []string{"", "phone=1&ref=x", "name=ad", "phone=abc", "phone=" + national + "&cursor=nonsense", "team=" + other.ID + "&ref=x"} {
		var e apiError
		code := s.call("GET", "/v1/search?"+bad, me.token, nil, &e)
		if code != http.StatusBadRequest && code != http.StatusNotFound || e.Error.Message == "" {
			t.Errorf("search %q: %d %q; want 400 (404 for another team) with a message", bad, code, e.Error.Message)
		}
	}
	if code := s.call("GET", "/v1/search?ref=x", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d; want 401", code)
	}
}
