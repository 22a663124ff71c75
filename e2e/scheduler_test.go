package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// A scheduler's day: 500 messages to 50 contacts (10 each), all due within a short
// window, each POST retried with its Idempotency-Key (same answer), a few keys reused for
// a different request (409), every 7th message cancelled (twice: the second is a 409 and
// changes nothing). Exactly the uncancelled messages reach the emulator, once each, none
// before its send_at.
func TestSchedulerFiveHundredMessages(t *testing.T) {
	const (
		contacts    = 50
		perContact  = 10
		total       = contacts * perContact
		cancelEvery = 7
		workers     = 8 // concurrent API clients
		// The send_at are spread evenly over window, starting lead after the start; a
		// message is never due sooner than minLead after its POST starts, so that its
		// retry and cancellation are over by then however slow the machine. On a busy
		// 2-core machine with -race scheduling takes longer than the window; the due
		// times then follow the POSTs (and the window widens), rather than the test
		// waiting for a lead long enough for the slowest machine.
		lead    = 15 * time.Second
		window  = 20 * time.Second
		minLead = 15 * time.Second
		// maxLateness bounds how late a message may reach the emulator after its send_at:
		// generous, for slow CI machines; the distribution is logged.
		maxLateness = 30 * time.Second
	)
	s := startStack(t, true, "")
	ctx := context.Background()
	// The team number sends at most 1 segment/s by default (a long code, see
	// activities/send.go): 500 messages would take over 8 minutes. Give it a short code's
	// rate, well above the 25 messages a second the window asks for.
	if err := s.store.SetNumberRate(ctx, s.teamPhone, 200); err != nil {
		t.Fatal(err)
	}

	type planned struct {
		k       int
		key     string
		to      string
		body    string
		planned time.Time // where in the window it belongs
		nanos   bool      // send_at with nanoseconds
		cancel  bool
		// Set by the POST:
		sendAt  time.Time
		id      string
		convID  string
		arrived []twilioemu.Message
	}
	phones := make([]string, contacts)
	for i := range phones {
		phones[i] = newPhone()
	}
	run := time.Now().UnixNano()
	start := time.Now()
	msgs := make([]*planned, total)
	for k := range msgs {
		msgs[k] = &planned{
			k:   k,
			key: fmt.Sprintf("scheduler-%d-%d", run, k),
			// Contact k%50: each contact's ten messages are spread over the whole window,
			// so the 50 conversations' timers interleave.
			to:      phones[k%contacts],
			body:    fmt.Sprintf("Reminder %03d: your appointment is tomorrow at 9:00.", k),
			planned: start.Add(lead + window*time.Duration(k)/total),
			// Most clients send milliseconds; a Go client's times (time.Now().Add(...))
			// carry nanoseconds, more than Postgres keeps (microseconds), and its retry
			// must still be the same request.
			nanos:  k%100 == 50,
			cancel: k%cancelEvery == 0,
		}
	}

	schedule := func(p *planned, body string, sendAt time.Time, to string) (apiAnswer, error) {
		return s.send(apiRequest{
			method: "POST", path: "/v1/scheduled-messages", token: s.agentTok,
			header: map[string]string{"Idempotency-Key": p.key},
			body:   map[string]any{"team_id": s.team.ID, "to": to, "body": body, "send_at": sendAt},
		})
	}

	// Every message is scheduled, and every POST retried: the same key and request
	// answer the same scheduled message. Every 7th is then cancelled, twice: the second
	// time is a 409 (only a pending message can be cancelled) and changes nothing. The
	// cancellations run while other messages are being sent, some in the same
	// conversation.
	work := make(chan *planned)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				sendAt := p.planned
				if soonest := time.Now().Add(minLead); sendAt.Before(soonest) {
					sendAt = soonest
				}
				sendAt = sendAt.Truncate(time.Millisecond)
				if p.nanos {
					sendAt = sendAt.Add(456_789 * time.Nanosecond)
				}
				p.sendAt = sendAt
				var ids [2]string
				for attempt := range ids {
					a, err := schedule(p, p.body, p.sendAt, p.to)
					if err != nil || a.status != http.StatusCreated {
						t.Errorf("schedule %d (send_at %s), attempt %d: %d %s %v; want 201", p.k,
							p.sendAt.Format(time.RFC3339Nano), attempt+1, a.status, a.body, err)
						break
					}
					var sm store.ScheduledMessage
					if err := a.decode(&sm); err != nil {
						t.Error(err)
						break
					}
					if sm.Status != "pending" || sm.Body != p.body || sm.SendAt.Sub(p.sendAt).Abs() >= time.Microsecond ||
						sm.TeamID != s.team.ID || sm.ConversationID == nil {
						t.Errorf("schedule %d, attempt %d: %+v; want pending, %q at %s in a conversation", p.k, attempt+1, sm, p.body, p.sendAt)
						break
					}
					ids[attempt] = sm.ID
					p.convID = *sm.ConversationID
				}
				if ids[0] != ids[1] && ids[1] != "" {
					t.Errorf("message %d: the retry answered scheduled message %s, the first POST %s", p.k, ids[1], ids[0])
				}
				p.id = ids[0]
				if !p.cancel || p.id == "" {
					continue
				}
				for attempt, want := range []int{http.StatusNoContent, http.StatusConflict} {
					a, err := s.send(apiRequest{method: "DELETE", path: "/v1/scheduled-messages/" + p.id, token: s.agentTok})
					if err != nil || a.status != want {
						t.Errorf("cancel %d, attempt %d (%s before its send_at): %d %s %v; want %d",
							p.k, attempt+1, time.Until(p.sendAt).Round(time.Millisecond), a.status, a.body, err, want)
					}
				}
			}
		}()
	}
	for _, p := range msgs {
		work <- p
	}
	close(work)
	wg.Wait()
	first, last := msgs[0].sendAt, msgs[0].sendAt
	ids := map[string]int{}
	for _, p := range msgs {
		if p.id == "" {
			t.FailNow() // reported above
		}
		if k, dup := ids[p.id]; dup {
			t.Fatalf("messages %d and %d were given the same id %s", k, p.k, p.id)
		}
		ids[p.id] = p.k
		if p.sendAt.Before(first) {
			first = p.sendAt
		}
		if p.sendAt.After(last) {
			last = p.sendAt
		}
	}
	t.Logf("scheduled %d messages (each twice) and cancelled every %dth (twice) in %s; due from %s to %s after the start",
		total, cancelEvery, time.Since(start).Round(time.Millisecond), first.Sub(start).Round(time.Millisecond), last.Sub(start).Round(time.Millisecond))

	// A key reused for a different request is refused, and changes nothing.
	for _, c := range []struct {
		p      *planned
		what   string
		body   string
		sendAt time.Time
		to     string
	}{
		{msgs[1], "another body", msgs[1].body + " (changed)", msgs[1].sendAt, msgs[1].to},
		{msgs[2], "another body", "Changed: " + msgs[2].body, msgs[2].sendAt, msgs[2].to},
		{msgs[3], "another body", msgs[3].body + " ", msgs[3].sendAt, msgs[3].to},
		{msgs[4], "another send_at", msgs[4].body, msgs[4].sendAt.Add(time.Second), msgs[4].to},
		{msgs[5], "another contact", msgs[5].body, msgs[5].sendAt, msgs[6].to},
	} {
		a, err := schedule(c.p, c.body, c.sendAt, c.to)
		if err != nil || a.status != http.StatusConflict || a.errorCode() != "conflict" {
			t.Errorf("message %d's key with %s: %d %s %v; want 409 conflict", c.p.k, c.what, a.status, a.body, err)
		}
	}

	// Each contact's messages joined one conversation.
	convs := map[string]bool{}
	for i, phone := range phones {
		for _, p := range msgs {
			if p.to == phone && p.convID != msgs[i].convID {
				t.Errorf("%s's messages are in conversations %s and %s; want one", phone, msgs[i].convID, p.convID)
			}
		}
		convs[msgs[i].convID] = true
	}
	if len(convs) != contacts {
		t.Errorf("%d conversations for %d contacts", len(convs), contacts)
	}

	// Wait for the emulator to receive every uncancelled message, and for the cancelled
	// ones to be due (they would have gone out with the others).
	byBody := map[string]*planned{}
	want := 0
	var lastCancelled time.Time
	for _, p := range msgs {
		byBody[p.body] = p
		if p.cancel && p.sendAt.After(lastCancelled) {
			lastCancelled = p.sendAt
		}
		if !p.cancel {
			want++
		}
	}
	missing := want
	defer func() {
		if t.Failed() && missing > 0 {
			t.Logf("%d of the %d uncancelled messages had not reached the emulator", missing, want)
		}
	}()
	eventuallyWithin(t, "every uncancelled message at the emulator", time.Until(last.Add(maxLateness)), func() bool {
		seen := map[string]bool{}
		for _, m := range s.emu.Messages() {
			if p := byBody[m.Body]; p != nil && !p.cancel {
				seen[m.Body] = true
			}
		}
		missing = want - len(seen)
		return missing == 0 && time.Now().After(lastCancelled.Add(time.Second))
	})

	// Exactly those, each once, from the team's number to its contact, none early.
	var lateness []time.Duration
	for _, m := range s.emu.Messages() {
		p := byBody[m.Body]
		switch {
		case p == nil:
			t.Errorf("the emulator received %q to %s, which was never scheduled", m.Body, m.To)
			continue
		case p.cancel:
			t.Errorf("cancelled message %d reached the emulator at %s", p.k, m.ReceivedAt.Format(time.RFC3339Nano))
		case m.To != p.to || m.From != s.teamPhone:
			t.Errorf("message %d went from %s to %s; want from %s to %s", p.k, m.From, m.To, s.teamPhone, p.to)
		}
		p.arrived = append(p.arrived, m)
		late := m.ReceivedAt.Sub(p.sendAt)
		lateness = append(lateness, late)
		if late < 0 {
			t.Errorf("message %d reached the emulator at %s, %s before its send_at %s", p.k,
				m.ReceivedAt.Format(time.RFC3339Nano), -late, p.sendAt.Format(time.RFC3339Nano))
		} else if late > maxLateness {
			t.Errorf("message %d reached the emulator %s after its send_at; want at most %s", p.k, late, maxLateness)
		}
	}
	for _, p := range msgs {
		if n := len(p.arrived); n > 1 {
			t.Errorf("message %d reached the emulator %d times", p.k, n)
		}
	}
	slices.Sort(lateness)
	at := func(q float64) time.Duration {
		return lateness[int(q*float64(len(lateness)-1))].Round(time.Millisecond)
	}
	t.Logf("lateness after send_at of the %d messages sent: min %s, p50 %s, p90 %s, p99 %s, max %s",
		len(lateness), at(0), at(0.5), at(0.9), at(0.99), at(1))

	// Postgres agrees: the sent ones sent, the cancelled ones cancelled, nothing pending.
	for _, p := range msgs {
		sm, err := s.store.Scheduled(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := "sent"
		if p.cancel {
			wantStatus = "cancelled"
		}
		if sm.Status != wantStatus || (sm.MessageID != nil) == p.cancel {
			t.Errorf("scheduled message %d: status %s, message %v; want %s", p.k, sm.Status, sm.MessageID, wantStatus)
		}
	}
	for conv := range convs {
		var pending struct{ Scheduled []store.ScheduledMessage }
		if code := s.call("GET", "/v1/conversations/"+conv+"/scheduled", s.agentTok, nil, &pending); code != http.StatusOK || len(pending.Scheduled) != 0 {
			t.Errorf("conversation %s after the window: %d, %d still pending", conv, code, len(pending.Scheduled))
		}
	}
}
