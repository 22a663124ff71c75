// Package bench runs the engine benchmarks of issue #6 against a stack: ingest and
// latency against the baseline, scale (many open conversations), and timers.
package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/baseline"
	"github.com/textdesk/textdesk/internal/loadgen/door"
	"github.com/textdesk/textdesk/internal/loadgen/fixture"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/internal/loadgen/stats"
	"github.com/textdesk/textdesk/workflows"
)

// Load is an ingest load: N messages round-robin over M conversations, offered at Rate
// per second, or as fast as Concurrency senders go when Rate is 0 (saturation).
type Load struct {
	N, M        int
	Rate        float64
	Concurrency int
}

func (l Load) String() string {
	if l.Rate == 0 {
		return fmt.Sprintf("%d msgs / %d convs, saturation (%d senders)", l.N, l.M, l.Concurrency)
	}
	return fmt.Sprintf("%d msgs / %d convs at %.0f/s", l.N, l.M, l.Rate)
}

// IngestResult is what one system did with a Load.
type IngestResult struct {
	Offered, Stored, Failed int
	Elapsed                 time.Duration // first offer to last message persisted and routed
	Throughput              float64       // messages persisted and routed per second
	Response                stats.Summary // webhook (product) or SignalWithStart (baseline) response time
	FirstLatency            stats.Summary // first message of a conversation -> auto-response at the emulator / insert
	Missing                 int           // first messages whose round trip never completed
	// Sample is one conversation's workflow id, and the messages it received, for the
	// history cost per message.
	Sample         string
	SampleMessages int
}

// drive offers l's messages in order, calling send for each from Concurrency goroutines,
// paced at l.Rate. It returns when all were offered.
func drive(ctx context.Context, l Load, send func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(l.Concurrency, 1) {
		wg.Go(func() {
			for i := range jobs {
				send(i)
			}
		})
	}
	begin := time.Now()
	for i := range l.N {
		if l.Rate > 0 {
			if d := time.Until(begin.Add(time.Duration(float64(i) / l.Rate * float64(time.Second)))); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// offers records when each message was offered and how the door answered.
type offers struct {
	mu        sync.Mutex
	firstSent []time.Time // per conversation: when its first message was offered
	response  []time.Duration
	failed    atomic.Int64
	begin     time.Time
}

func newOffers(m int) *offers { return &offers{firstSent: make([]time.Time, m), begin: time.Now()} }

func (o *offers) record(conv int, first bool, sent time.Time, took time.Duration, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if first {
		o.firstSent[conv] = sent
	}
	o.response = append(o.response, took)
	if !ok {
		o.failed.Add(1)
	}
}

// ProductIngest sends l as signed webhooks to a chat-off team with an auto-response,
// and waits until every message is persisted and routed and every conversation's
// auto-response reached the emulator.
func ProductIngest(ctx context.Context, s *stack.Stack, l Load, timeout time.Duration) (IngestResult, error) {
	team, err := fixture.NewTeam(ctx, s.Store, "Ingest", false, "We are closed (bench).")
	if err != nil {
		return IngestResult{}, err
	}
	tw := &door.Twilio{PublicURL: s.APIURL, AccountSID: stack.AccountSID, AuthToken: stack.AuthToken, HTTP: door.NewHTTPClient(30 * time.Second)}
	o := newOffers(l.M)
	drive(ctx, l, func(i int) {
		conv := i % l.M
		m := door.Inbound{Sid: door.NewSid(), From: team.Contact(conv), To: team.Number, Body: fmt.Sprintf("bench message %06d", i)}
		sent := time.Now()
		status, took, err := tw.Post(ctx, m)
		o.record(conv, i < l.M, sent, took, err == nil && status < 300)
	})
	res := IngestResult{Offered: l.N, Failed: int(o.failed.Load()), Response: stats.Summarize(o.response)}
	want := l.N - res.Failed
	end, stored, err := waitRouted(ctx, s, team.ID, want, timeout)
	res.Stored = stored
	if err != nil {
		return res, err
	}
	res.Elapsed = end.Sub(o.begin)
	res.Throughput = stats.PerSecond(stored, res.Elapsed)
	var conv string
	if err := s.DB.QueryRow(ctx, `SELECT conversation_id, count(*)::int FROM messages WHERE conversation_id IN
		(SELECT id FROM conversations WHERE team_id = $1) AND direction = 'inbound' GROUP BY 1 ORDER BY 2 DESC LIMIT 1`, team.ID).Scan(&conv, &res.SampleMessages); err == nil {
		res.Sample = workflows.WorkflowID(conv)
	}
	lat, missing, err := autoResponseLatency(ctx, s, team, o.firstSent, timeout)
	res.FirstLatency, res.Missing = stats.Summarize(lat), missing
	return res, err
}

// waitRouted polls Postgres until want inbound messages of the team are stored and
// every conversation's state was saved after its last message; it returns the time the
// last of them was written.
func waitRouted(ctx context.Context, s *stack.Stack, teamID string, want int, timeout time.Duration) (time.Time, int, error) {
	deadline := time.Now().Add(timeout)
	var stored, behind int
	for {
		var lastMsg, lastConv *time.Time
		err := s.DB.QueryRow(ctx, `
			WITH m AS (SELECT m.conversation_id, count(*) n, max(m.updated_at) last
				FROM messages m JOIN conversations c ON c.id = m.conversation_id
				WHERE c.team_id = $1 AND m.direction = 'inbound' GROUP BY 1)
			SELECT coalesce(sum(m.n), 0)::int, count(*) FILTER (WHERE c.updated_at < m.last)::int, max(m.last), max(c.updated_at)
			FROM m JOIN conversations c ON c.id = m.conversation_id`, teamID).Scan(&stored, &behind, &lastMsg, &lastConv)
		if err == nil && stored >= want && behind == 0 && lastMsg != nil {
			end := *lastMsg
			if lastConv != nil && lastConv.After(end) {
				end = *lastConv
			}
			return end, stored, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, stored, fmt.Errorf("after %s: %d of %d messages stored, %d conversations not yet routed (last error %v)", timeout, stored, want, behind, err)
		}
		if !pause(ctx, 200*time.Millisecond) {
			return time.Time{}, stored, ctx.Err()
		}
	}
}

// autoResponseLatency waits for each conversation's auto-response at the emulator and
// returns, per conversation, first message offered -> auto-response accepted.
func autoResponseLatency(ctx context.Context, s *stack.Stack, team fixture.Team, firstSent []time.Time, timeout time.Duration) ([]time.Duration, int, error) {
	emu := &door.Emulator{URL: s.EmulatorURL, HTTP: door.NewHTTPClient(60 * time.Second)}
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := emu.Messages(ctx)
		if err != nil {
			return nil, len(firstSent), err
		}
		got := map[string]time.Time{}
		for _, m := range msgs {
			if m.From == team.Number && m.Body == team.AutoResponse {
				if _, seen := got[m.To]; !seen {
					got[m.To] = m.ReceivedAt
				}
			}
		}
		var lat []time.Duration
		for i, sent := range firstSent {
			if at, ok := got[team.Contact(i)]; ok && !sent.IsZero() {
				lat = append(lat, at.Sub(sent))
			}
		}
		missing := len(firstSent) - len(lat)
		if missing == 0 || time.Now().After(deadline) {
			return lat, missing, nil
		}
		if !pause(ctx, 500*time.Millisecond) {
			return lat, missing, ctx.Err()
		}
	}
}

// BaselineIngest offers the same load to the baseline: SignalWithStart with the same
// signal payload, one insert activity per signal.
func BaselineIngest(ctx context.Context, s *stack.Stack, l Load, timeout time.Duration) (IngestResult, error) {
	run := fmt.Sprintf("run%d", time.Now().UnixNano())
	o := newOffers(l.M)
	drive(ctx, l, func(i int) {
		conv := i % l.M
		sig := workflows.InboundSignal{MessageSid: door.NewSid(), From: fmt.Sprintf("+1415%07d", 3_000_000+conv), To: "+14159999999",
			Body: fmt.Sprintf("bench message %06d", i), NumSegments: 1}
		sent := time.Now()
		sig.ReceivedAt = sent.UTC()
		err := baseline.Signal(ctx, s.Client, run, fmt.Sprintf("%s-%d", run, conv), sig)
		o.record(conv, i < l.M, sent, time.Since(sent), err == nil)
	})
	res := IngestResult{Offered: l.N, Failed: int(o.failed.Load()), Response: stats.Summarize(o.response)}
	want := l.N - res.Failed
	deadline := time.Now().Add(timeout)
	for {
		var n int
		var last *time.Time
		if err := s.DB.QueryRow(ctx, `SELECT count(*)::int, max(inserted_at) FROM loadgen_baseline WHERE run = $1`, run).Scan(&n, &last); err != nil {
			return res, err
		}
		res.Stored = n
		if n >= want && last != nil {
			res.Elapsed = last.Sub(o.begin)
			res.Throughput = stats.PerSecond(n, res.Elapsed)
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("baseline: after %s only %d of %d signals inserted", timeout, n, want)
		}
		if !pause(ctx, 200*time.Millisecond) {
			return res, ctx.Err()
		}
	}
	rows, err := s.DB.Query(ctx, `SELECT conversation_id, min(inserted_at) FROM loadgen_baseline WHERE run = $1 GROUP BY 1`, run)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	var lat []time.Duration
	for rows.Next() {
		var conv string
		var at time.Time
		if err := rows.Scan(&conv, &at); err != nil {
			return res, err
		}
		var i int
		if _, err := fmt.Sscanf(conv[len(run)+1:], "%d", &i); err == nil && i < len(o.firstSent) {
			lat = append(lat, at.Sub(o.firstSent[i]))
		}
	}
	res.FirstLatency = stats.Summarize(lat)
	res.Missing = l.M - len(lat)
	res.Sample, res.SampleMessages = baseline.WorkflowID(run+"-0"), (l.N+l.M-1)/l.M
	return res, rows.Err()
}

// pause waits d unless ctx ends first.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
