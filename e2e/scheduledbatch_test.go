package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

type batchAnswer struct {
	Results []struct {
		Status string  `json:"status"`
		ID     *string `json:"id"`
		Code   *string `json:"code"`
		Error  *string `json:"error"`
	} `json:"results"`
}

type teamScheduledPage struct {
	Scheduled []struct {
		ID        string    `json:"id"`
		Status    string    `json:"status"`
		SendAt    time.Time `json:"send_at"`
		CancelURL string    `json:"cancel_url"`
	} `json:"scheduled"`
	NextCursor string `json:"next_cursor"`
}

// A scheduler queues 1,000 messages in one batch, 10 of them bad in 10 different ways:
// 990 are created and the 10 refused with the single endpoint's reasons. The same batch
// again answers 990 duplicates with the same ids and the same 10 refusals, and nothing
// more is stored. The team's list then pages through exactly those 990, filters by
// send_at and status, and shows a message cancelled through its cancel_url.
func TestScheduledBatch(t *testing.T) {
	const (
		total    = 1000
		contacts = 100
	)
	s := startStack(t, true, "")
	phones := make([]string, contacts)
	for i := range phones {
		phones[i] = newPhone()
	}
	run := time.Now().UnixNano()
	// Far enough ahead that nothing is sent during the test; one minute apart, so the
	// list's order and from/to filters have something to tell apart.
	base := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	sendAt := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	items := make([]any, total)
	for i := range items {
		items[i] = map[string]any{
			"idempotency_key": fmt.Sprintf("batch-%d-%d", run, i),
			"team_id":         s.team.ID, "to": phones[i%contacts],
			"body":    fmt.Sprintf("Reminder %d: your appointment is tomorrow.", i),
			"send_at": sendAt(i),
		}
	}
	// The bad ones, each with what its refusal must say (code, part of the message).
	bad := map[int][2]string{}
	spoil := func(i int, code, says string, change func(m map[string]any)) {
		change(items[i].(map[string]any))
		bad[i] = [2]string{code, says}
	}
	spoil(7, "invalid", "to:", func(m map[string]any) { m["to"] = "12" })
	spoil(111, "invalid", "body must not be empty", func(m map[string]any) { m["body"] = "  " })
	spoil(222, "invalid", `"send_at" is required`, func(m map[string]any) { delete(m, "send_at") })
	spoil(333, "invalid", `"idempotency_key" is required`, func(m map[string]any) { delete(m, "idempotency_key") })
	spoil(444, "not_found", "team not found among your teams", func(m map[string]any) { m["team_id"] = "00000000-0000-4000-8000-000000000001" })
	spoil(555, "unprocessable", `"template_id" is not taken`, func(m map[string]any) { m["template_id"] = "welcome" })
	spoil(666, "unprocessable", "the limit is 1000", func(m map[string]any) { m["body"] = strings.Repeat("x", 1001) })
	spoil(777, "invalid", `"next tuesday" is not a time: send RFC 3339`, func(m map[string]any) { m["send_at"] = "next tuesday" })
	spoil(888, "invalid", "unknown field", func(m map[string]any) { m["colour"] = "blue" })
	items[999] = "not an object"
	bad[999] = [2]string{"invalid", "must be a JSON object"}

	post := func(attempt int) batchAnswer {
		t.Helper()
		start := time.Now()
		a, err := s.send(apiRequest{method: "POST", path: "/v1/scheduled-messages/batch", token: s.agentTok, body: map[string]any{"items": items}})
		if err != nil || a.status != http.StatusOK {
			t.Fatalf("batch attempt %d: %d %.500s %v; want 200", attempt, a.status, a.body, err)
		}
		t.Logf("batch attempt %d of %d items answered in %s", attempt, total, time.Since(start).Round(time.Millisecond))
		var ans batchAnswer
		if err := a.decode(&ans); err != nil {
			t.Fatal(err)
		}
		if len(ans.Results) != total {
			t.Fatalf("batch attempt %d: %d results; want %d, one per item", attempt, len(ans.Results), total)
		}
		return ans
	}
	check := func(attempt int, ans batchAnswer, wantGood string, ids []string) []string {
		t.Helper()
		seen := map[string]bool{}
		for i, r := range ans.Results {
			if want, isBad := bad[i]; isBad {
				if r.Status != "refused" || r.Code == nil || *r.Code != want[0] || r.Error == nil || !strings.Contains(*r.Error, want[1]) || r.ID != nil {
					t.Errorf("attempt %d, item %d: %s %s %q; want refused, %s, saying %q", attempt, i, r.Status, deref(r.Code), deref(r.Error), want[0], want[1])
				}
				continue
			}
			if r.Status != wantGood || r.ID == nil || r.Error != nil {
				t.Fatalf("attempt %d, item %d: %+v (error %v); want %s with an id", attempt, i, r, deref(r.Error), wantGood)
			}
			if seen[*r.ID] {
				t.Fatalf("attempt %d, item %d: id %s answered twice", attempt, i, *r.ID)
			}
			seen[*r.ID] = true
			if ids != nil && ids[i] != *r.ID {
				t.Errorf("attempt %d, item %d: id %s; the first attempt answered %s", attempt, i, *r.ID, ids[i])
			}
		}
		out := make([]string, total)
		for i, r := range ans.Results {
			if r.ID != nil {
				out[i] = *r.ID
			}
		}
		return out
	}
	// A batch answers within its time budget: items it had no time for (a slow machine,
	// -race) are refused as unavailable, and the client sends the batch again, as
	// docs/api.md says; the keys make that safe. Every good item ends with one id.
	ids := make([]string, total)
	attempt := 0
	for pending := -1; pending != 0; {
		if attempt++; attempt > 5 {
			t.Fatalf("%d items still unavailable after %d attempts", pending, attempt-1)
		}
		pending = 0
		for i, r := range post(attempt).Results {
			if _, isBad := bad[i]; isBad {
				continue
			}
			switch {
			case r.Status == "refused" && deref(r.Code) == "unavailable":
				pending++
			case (r.Status == "created" || attempt > 1 && r.Status == "duplicate") && r.ID != nil:
				if ids[i] != "" && ids[i] != *r.ID {
					t.Fatalf("attempt %d, item %d: id %s; an earlier attempt answered %s", attempt, i, *r.ID, ids[i])
				}
				ids[i] = *r.ID
			default:
				t.Fatalf("attempt %d, item %d: %s %s %q; want created (or, resent, duplicate) with an id", attempt, i, r.Status, deref(r.Code), deref(r.Error))
			}
		}
	}
	// Then the whole batch again: every good item a duplicate of its one message, the
	// bad ones refused as before.
	check(attempt+1, post(attempt+1), "duplicate", ids)

	// The team's list: exactly the 990, soonest first, over pages of 200.
	list := func(query string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > total {
				t.Fatal("the list does not end")
			}
			a, err := s.send(apiRequest{method: "GET", token: s.agentTok,
				path: "/v1/teams/" + s.team.ID + "/scheduled-messages?limit=200&" + query + "&cursor=" + url.QueryEscape(cursor)})
			if err != nil || a.status != http.StatusOK {
				t.Fatalf("list %s: %d %.300s %v", query, a.status, a.body, err)
			}
			var p teamScheduledPage
			if err := a.decode(&p); err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Scheduled {
				if (m.Status == "pending") != (m.CancelURL == "/v1/scheduled-messages/"+m.ID) {
					t.Errorf("list %s: %s is %s with cancel_url %q", query, m.ID, m.Status, m.CancelURL)
				}
				got = append(got, m.ID)
			}
			if cursor = p.NextCursor; cursor == "" {
				return got
			}
		}
	}
	var want []string
	for i, id := range ids {
		if _, isBad := bad[i]; !isBad {
			want = append(want, id) // in send_at order, as the list is
		}
	}
	if got := list(""); !slices.Equal(got, want) {
		t.Fatalf("pending list: %d messages; want the %d created, in send_at order", len(got), len(want))
	}
	if got := list("status=all"); len(got) != len(want) {
		t.Errorf("status=all: %d messages; want %d (nothing else stored)", len(got), len(want))
	}
	// from is inclusive, to exclusive: items 100..199, less the bad 111.
	window := list("from=" + url.QueryEscape(sendAt(100).Format(time.RFC3339)) + "&to=" + url.QueryEscape(sendAt(200).Format(time.RFC3339)))
	if len(window) != 99 || window[0] != ids[100] || window[98] != ids[199] {
		t.Errorf("from/to window: %d messages; want 99, items 100 to 199", len(window))
	}

	// Cancel through the list's link: it leaves pending and shows as cancelled.
	if a, err := s.send(apiRequest{method: "DELETE", path: "/v1/scheduled-messages/" + ids[5], token: s.agentTok}); err != nil || a.status != http.StatusNoContent {
		t.Fatalf("cancel: %d %.300s %v", a.status, a.body, err)
	}
	if got := list("status=cancelled"); !slices.Equal(got, []string{ids[5]}) {
		t.Errorf("cancelled list: %v; want [%s]", got, ids[5])
	}
	if got := list("status=pending"); len(got) != len(want)-1 || slices.Contains(got, ids[5]) {
		t.Errorf("pending list after cancel: %d messages (has the cancelled one: %v); want %d", len(got), slices.Contains(got, ids[5]), len(want)-1)
	}

	// A key repeated inside one batch: the same message again is a duplicate of the
	// first; another message under it is refused.
	phone := newPhone()
	same := map[string]any{"idempotency_key": fmt.Sprintf("twice-%d", run), "team_id": s.team.ID, "to": phone, "body": "Twice", "send_at": sendAt(3)}
	changed := map[string]any{"idempotency_key": same["idempotency_key"], "team_id": s.team.ID, "to": phone, "body": "Changed", "send_at": sendAt(3)}
	a, err := s.send(apiRequest{method: "POST", path: "/v1/scheduled-messages/batch", token: s.agentTok, body: map[string]any{"items": []any{same, same, changed}}})
	var twice batchAnswer
	if err != nil || a.status != http.StatusOK || a.decode(&twice) != nil || len(twice.Results) != 3 {
		t.Fatalf("repeated key: %d %.300s %v", a.status, a.body, err)
	}
	if r := twice.Results; r[0].Status != "created" || r[1].Status != "duplicate" || deref(r[1].ID) != deref(r[0].ID) ||
		r[2].Status != "refused" || deref(r[2].Code) != "conflict" {
		t.Errorf("repeated key: %s %s, %s %s, %s %s; want created, a duplicate of it, refused conflict",
			r[0].Status, deref(r[0].ID), r[1].Status, deref(r[1].ID), r[2].Status, deref(r[2].Code))
	}

	// Another team's agent: an item for this team is refused as the single endpoint
	// refuses it, and the list is 404.
	other := map[string]any{"idempotency_key": "x", "team_id": s.team.ID, "to": newPhone(), "body": "hi", "send_at": sendAt(1)}
	a, err = s.send(apiRequest{method: "POST", path: "/v1/scheduled-messages/batch", token: s.outsider, body: map[string]any{"items": []any{other}}})
	var ans batchAnswer
	if err != nil || a.status != http.StatusOK || a.decode(&ans) != nil || len(ans.Results) != 1 || ans.Results[0].Status != "refused" || deref(ans.Results[0].Code) != "not_found" {
		t.Errorf("outsider's batch: %d %.300s %v; want 200 with the item refused, not_found", a.status, a.body, err)
	}

	// Requests that are not a batch are refused whole.
	tooMany := make([]any, total+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{}
	}
	for _, c := range []struct {
		name string
		body any
		want int
	}{
		{"not JSON", rawJSON("items: 1"), 400},
		{"no items", map[string]any{"items": []any{}}, 400},
		{"items missing", map[string]any{}, 400},
		{"1,001 items", map[string]any{"items": tooMany}, 422},
	} {
		a, err := s.send(apiRequest{method: "POST", path: "/v1/scheduled-messages/batch", token: s.agentTok, body: c.body})
		if err != nil || a.status != c.want {
			t.Errorf("%s: %d %.300s %v; want %d", c.name, a.status, a.body, err, c.want)
		}
	}
	for _, q := range []string{"status=queued", "from=yesterday", "cursor=nope", "from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"} {
		a, err := s.send(apiRequest{method: "GET", token: s.agentTok, path: "/v1/teams/" + s.team.ID + "/scheduled-messages?" + q})
		if err != nil || a.status != 400 {
			t.Errorf("list ?%s: %d %.300s %v; want 400", q, a.status, a.body, err)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
