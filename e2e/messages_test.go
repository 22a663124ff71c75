package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// A conversation's messages page by page, in both orders, match the full list the
// conversation itself returns; cursors do not cross orders.
func TestConversationMessagesPages(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	alice := s.newAgent("alice", "available")
	customer := newPhone()
	for i := range 3 {
		if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: fmt.Sprintf("question %d", i)}); err != nil || code != 200 {
			t.Fatalf("inbound: %d %v", code, err)
		}
	}
	var convID string
	eventually(t, "the conversation offered to alice", func() bool {
		if offers := s.offersFor(alice); len(offers) == 1 {
			convID = offers[0].ConversationID
		}
		return convID != ""
	})
	conv := "/v1/conversations/" + convID
	s.mustAct(alice, "POST", conv+"/accept", nil, http.StatusOK)
	s.mustAct(alice, "POST", conv+"/messages", map[string]string{"body": "answer 1"}, http.StatusCreated)
	s.mustAct(alice, "POST", conv+"/notes", map[string]string{"body": "a note"}, http.StatusCreated)
	s.mustAct(alice, "POST", conv+"/messages", map[string]string{"body": "answer 2"}, http.StatusCreated)

	var all []string
	eventually(t, "all six messages stored", func() bool {
		var c struct{ Messages []store.Message }
		s.call("GET", conv, alice.token, nil, &c)
		all = all[:0]
		for _, m := range c.Messages {
			all = append(all, m.ID)
		}
		return len(all) == 6
	})

	pages := func(order string, limit int) (ids []string, last string) {
		cursor := ""
		for n := 0; n < 10; n++ {
			var page store.MessagePage
			path := fmt.Sprintf("%s/messages?order=%s&limit=%d&cursor=%s", conv, order, limit, url.QueryEscape(cursor))
			if code := s.call("GET", path, alice.token, nil, &page); code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			if len(page.Messages) > limit {
				t.Fatalf("page of %d; limit %d", len(page.Messages), limit)
			}
			for _, m := range page.Messages {
				ids = append(ids, m.ID)
			}
			if page.NextCursor == "" {
				return ids, cursor
			}
			cursor = page.NextCursor
		}
		t.Fatalf("%s: more than 10 pages", order)
		return nil, ""
	}
	oldest, cursor := pages("oldest", 4)
	if !slices.Equal(oldest, all) {
		t.Errorf("oldest first, 4 a page: %v; want %v", oldest, all)
	}
	newest, _ := pages("newest", 5)
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	if !slices.Equal(newest, reversed) {
		t.Errorf("newest first, 5 a page: %v; want %v", newest, reversed)
	}
	if one, _ := pages("oldest", 1); !slices.Equal(one, all) {
		t.Errorf("one a page: %v; want %v", one, all)
	}
	for _, bad := range []string{"?order=sideways", "?order=newest&cursor=" + url.QueryEscape(cursor), "?cursor=garbage", "?limit=0"} {
		if code := s.call("GET", conv+"/messages"+bad, alice.token, nil, nil); code != http.StatusBadRequest {
			t.Errorf("GET messages%s: %d; want 400", bad, code)
		}
	}
	if code := s.call("GET", conv+"/messages", s.outsider, nil, nil); code != http.StatusNotFound {
		t.Errorf("another team's agent: %d; want 404", code)
	}
}
