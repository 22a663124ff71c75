package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/door"
	"github.com/textdesk/textdesk/internal/loadgen/fixture"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
)

// Traffic sizes one scenario's burst: N inbound messages round-robin over M
// conversations offered at Rate per second; an agent reply in every conversation and a
// scheduled message (due during the burst) in every other one.
type Traffic struct {
	N, M int
	Rate float64
	// Duplicate delivers every webhook a second time, after a random delay of up to
	// DuplicateDelay, so some copies arrive after later messages.
	Duplicate      bool
	DuplicateDelay time.Duration
}

// burst is one scenario's traffic in flight and what it offered.
type burst struct {
	s       *stack.Stack
	team    fixture.Team
	tw      *door.Twilio
	api     *door.API
	t       Traffic
	tag     string
	retries atomic.Int64 // webhook or API deliveries that had to be retried
	refused atomic.Int64 // requests the product refused for good (4xx)
	wg      sync.WaitGroup

	mu        sync.Mutex
	inbound   []string // bodies offered
	replies   []string // bodies of replies accepted by the API
	scheduled []string // bodies of scheduled messages accepted by the API
}

func newBurst(ctx context.Context, s *stack.Stack, t Traffic, tag string) (*burst, error) {
	team, err := fixture.NewTeam(ctx, s.Store, "Chaos "+tag, false, "Closed now (chaos "+tag+").")
	if err != nil {
		return nil, err
	}
	return &burst{
		s: s, team: team, t: t, tag: tag,
		tw:  &door.Twilio{PublicURL: s.APIURL, AccountSID: stack.AccountSID, AuthToken: stack.AuthToken, HTTP: door.NewHTTPClient(20 * time.Second)},
		api: &door.API{URL: s.APIURL, HTTP: door.NewHTTPClient(40 * time.Second)},
	}, nil
}

// retry repeats do until it succeeds, the product refuses for good (4xx other than 429),
// or the deadline passes; Twilio and a careful client both retry failed deliveries.
func (b *burst) retry(ctx context.Context, deadline time.Time, do func() (int, error)) bool {
	for attempt := 0; ; attempt++ {
		status, err := do()
		if err == nil && status < 300 {
			return true
		}
		if status >= 400 && status < 500 && status != 429 && status != 409 {
			b.refused.Add(1)
			return false
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		b.retries.Add(1)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Duration(min(attempt+1, 5)) * 300 * time.Millisecond):
		}
	}
}

// run offers the whole burst; it returns when every request got its final answer.
func (b *burst) run(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Minute)
	begin := time.Now()
	sem := make(chan struct{}, 32)
	for i := range b.t.N {
		if d := time.Until(begin.Add(time.Duration(float64(i) / b.t.Rate * float64(time.Second)))); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		conv := i % b.t.M
		m := door.Inbound{Sid: door.NewSid(), From: b.team.Contact(conv), To: b.team.Number, Body: fmt.Sprintf("in %s %d", b.tag, i)}
		b.mu.Lock()
		b.inbound = append(b.inbound, m.Body)
		b.mu.Unlock()
		sem <- struct{}{}
		b.wg.Go(func() {
			defer func() { <-sem }()
			post := func() (int, error) { st, _, err := b.tw.Post(ctx, m); return st, err }
			b.retry(ctx, deadline, post)
			if b.t.Duplicate {
				b.wg.Go(func() {
					time.Sleep(time.Duration(rand.Int64N(int64(b.t.DuplicateDelay) + 1)))
					b.retry(ctx, deadline, post)
				})
			}
			switch round := i / b.t.M; {
			case round == 1: // the conversation exists: its agent replies
				b.reply(ctx, conv, deadline)
			case round == 0 && conv%2 == 0:
				b.schedule(ctx, conv, deadline)
			}
		})
	}
	b.wg.Wait()
}

func (b *burst) reply(ctx context.Context, conv int, deadline time.Time) {
	body := fmt.Sprintf("reply %s %d", b.tag, conv)
	var id string
	err := b.s.DB.QueryRow(ctx, `SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.team_id = $1 AND ct.phone = $2 ORDER BY c.opened_at DESC LIMIT 1`, b.team.ID, b.team.Contact(conv)).Scan(&id)
	for err != nil && time.Now().Before(deadline) { // Postgres may be restarting
		time.Sleep(500 * time.Millisecond)
		err = b.s.DB.QueryRow(ctx, `SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.team_id = $1 AND ct.phone = $2 ORDER BY c.opened_at DESC LIMIT 1`, b.team.ID, b.team.Contact(conv)).Scan(&id)
	}
	if err != nil {
		return
	}
	if b.retry(ctx, deadline, func() (int, error) { return b.api.Reply(ctx, b.team.AdminToken, id, body, body) }) {
		b.mu.Lock()
		b.replies = append(b.replies, body)
		b.mu.Unlock()
	}
}

func (b *burst) schedule(ctx context.Context, conv int, deadline time.Time) {
	body := fmt.Sprintf("sched %s %d", b.tag, conv)
	at := time.Now().Add(10 * time.Second)
	if b.retry(ctx, deadline, func() (int, error) {
		return b.api.Schedule(ctx, b.team.AdminToken, b.team.ID, b.team.Contact(conv), body, at, body)
	}) {
		b.mu.Lock()
		b.scheduled = append(b.scheduled, body)
		b.mu.Unlock()
	}
}

// Outcome is what a scenario's checks found.
type Outcome struct {
	Offered, Stored, InboundDup        int // inbound messages
	ExpectedSends, Sent, SendDup, Lost int // auto-responses, replies, scheduled
	StoredOutDup                       int // outbound rows stored more than once
	Retries, Refused                   int64
	Recovery                           time.Duration
	Complete                           bool
}

// check compares Postgres and the emulator's record with what was offered: every
// inbound message stored once, every conversation's auto-response and every accepted
// reply and scheduled message sent once.
func (b *burst) check(ctx context.Context) (Outcome, error) {
	var o Outcome
	b.mu.Lock()
	inbound, replies, scheduled := append([]string(nil), b.inbound...), append([]string(nil), b.replies...), append([]string(nil), b.scheduled...)
	b.mu.Unlock()
	o.Offered, o.Retries, o.Refused = len(inbound), b.retries.Load(), b.refused.Load()

	// Auto-responses are keyed by contact: whether one is due depends on the order
	// events reached the conversation (an agent's reply first means none), so the due
	// ones are those the product recorded, at most one per contact.
	rows, err := b.s.DB.Query(ctx, `SELECT m.direction, CASE WHEN m.kind = 'auto_response' THEN 'auto ' || m.to_number ELSE m.body END,
			count(*)::int FROM messages m
		JOIN conversations c ON c.id = m.conversation_id WHERE c.team_id = $1 GROUP BY 1, 2`, b.team.ID)
	if err != nil {
		return o, err
	}
	in, out := map[string]int{}, map[string]int{}
	for rows.Next() {
		var dir, body string
		var n int
		if err := rows.Scan(&dir, &body, &n); err != nil {
			rows.Close()
			return o, err
		}
		if dir == "inbound" {
			in[body] = n
		} else {
			out[body] = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return o, err
	}
	for _, body := range inbound {
		if n := in[body]; n > 0 {
			o.Stored++
			o.InboundDup += n - 1
		}
	}
	var autos []string
	for body, n := range out {
		if strings.HasPrefix(body, "auto ") {
			autos = append(autos, body)
			o.StoredOutDup += n - 1
		}
	}
	for _, body := range append(replies, scheduled...) {
		o.StoredOutDup += max(out[body]-1, 0)
		if out[body] == 0 {
			o.Lost++ // accepted by the API, never stored
		}
	}

	msgs, err := (&door.Emulator{URL: b.s.EmulatorURL, HTTP: door.NewHTTPClient(30 * time.Second)}).Messages(ctx)
	if err != nil {
		return o, err
	}
	sent := map[string]int{} // replies and scheduled by body, auto-responses by contact
	for _, m := range msgs {
		if m.From != b.team.Number {
			continue
		}
		if m.Body == b.team.AutoResponse {
			sent["auto "+m.To]++
		} else {
			sent[m.Body]++
		}
	}
	want := append(append(replies, scheduled...), autos...)
	o.ExpectedSends = len(want)
	for _, k := range want {
		if n := sent[k]; n > 0 {
			o.Sent++
			o.SendDup += n - 1
		}
	}
	o.Lost += (o.Offered - o.Stored) + (o.ExpectedSends - o.Sent)
	o.Complete = o.Lost == 0
	return o, nil
}
