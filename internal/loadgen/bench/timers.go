package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/door"
	"github.com/textdesk/textdesk/internal/loadgen/fixture"
	"github.com/textdesk/textdesk/internal/loadgen/report"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/internal/loadgen/stats"
)

// TimersConfig sizes the timers benchmark.
type TimersConfig struct {
	N      int           // scheduled messages
	Window time.Duration // all due within this window
	Margin time.Duration // between the expected end of scheduling and the window
}

// TimersResult is what the timers benchmark measured.
type TimersResult struct {
	Scheduled, Sent, Missing, Duplicates int
	CreateRate                           float64 // scheduled per second through the API
	CreatedLate                          int     // scheduling answered after the due time (left out of lateness)
	Lateness                             stats.Summary
}

// Timers schedules N messages through the REST API (one per contact, so N
// conversations), all due within one Window, and measures at the emulator how late
// each was sent. A pilot measures the scheduling rate first, so the due window starts
// after the last one is scheduled.
func Timers(ctx context.Context, s *stack.Stack, c TimersConfig, timeout time.Duration, logf func(string, ...any)) (TimersResult, error) {
	var r TimersResult
	team, err := fixture.NewTeam(ctx, s.Store, "Timers", true, "")
	if err != nil {
		return r, err
	}
	api := &door.API{URL: s.APIURL, HTTP: door.NewHTTPClient(60 * time.Second)}
	var mu sync.Mutex
	var errs []error
	schedule := func(l Load, offset int, sendAt func(i int) time.Time, done func(i int, at time.Time)) {
		drive(ctx, l, func(i int) {
			body := fmt.Sprintf("timer %d", offset+i)
			_, err := api.Schedule(ctx, team.AdminToken, team.ID, team.Contact(offset+i), body, sendAt(i), body)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			done(i, time.Now())
		})
	}
	pilot := max(10, c.N/50)
	begin := time.Now()
	schedule(Load{N: pilot, M: pilot, Concurrency: 32}, 0, func(int) time.Time { return begin.Add(2 * time.Hour) }, func(int, time.Time) {})
	if len(errs) > 0 {
		return r, fmt.Errorf("pilot: %d errors, first: %w", len(errs), errs[0])
	}
	rate := stats.PerSecond(pilot, time.Since(begin))
	due := time.Now().Add(time.Duration(float64(c.N)/rate*1.3*float64(time.Second)) + c.Margin)
	logf("timers: pilot scheduled %.1f/s; %d messages due from %s for %s", rate, c.N, due.Format("15:04:05"), c.Window)
	sendAt := make([]time.Time, c.N)
	for i := range sendAt {
		sendAt[i] = due.Add(time.Duration(int64(c.Window) * int64(i) / int64(c.N))).Truncate(time.Millisecond)
	}
	late := make([]bool, c.N)
	begin = time.Now()
	schedule(Load{N: c.N, M: c.N, Concurrency: 32}, pilot, func(i int) time.Time { return sendAt[i] }, func(i int, at time.Time) {
		late[i] = at.After(sendAt[i])
	})
	r.CreateRate = stats.PerSecond(c.N, time.Since(begin))
	r.Scheduled = c.N - len(errs)
	if len(errs) > 0 {
		logf("timers: %d scheduling errors, first: %v", len(errs), errs[0])
	}
	emu := &door.Emulator{URL: s.EmulatorURL, HTTP: door.NewHTTPClient(60 * time.Second)}
	deadline := due.Add(c.Window + timeout)
	for {
		if !pause(ctx, time.Second) {
			return r, ctx.Err()
		}
		msgs, err := emu.Messages(ctx)
		if err != nil {
			return r, err
		}
		got := map[int][]time.Time{}
		for _, m := range msgs {
			var i int
			if m.From == team.Number && strings.HasPrefix(m.Body, "timer ") {
				if _, err := fmt.Sscanf(m.Body, "timer %d", &i); err == nil && i >= pilot {
					got[i-pilot] = append(got[i-pilot], m.ReceivedAt)
				}
			}
		}
		if len(got) < r.Scheduled && time.Now().Before(deadline) {
			continue
		}
		var lateness []time.Duration
		r.Sent, r.Duplicates, r.CreatedLate = len(got), 0, 0
		for i, ats := range got {
			r.Duplicates += len(ats) - 1
			if late[i] {
				r.CreatedLate++
				continue
			}
			lateness = append(lateness, ats[0].Sub(sendAt[i]))
		}
		r.Missing = r.Scheduled - r.Sent
		r.Lateness = stats.Summarize(lateness)
		return r, nil
	}
}

func (r TimersResult) write(b *strings.Builder, c TimersConfig, targets *report.Table) {
	var t report.Table
	t.Header = []string{"scheduled (API)", "scheduling rate/s", "due window", "sent", "missing", "duplicates", "scheduled after due", "lateness p50 / p99 / max"}
	t.Add(r.Scheduled, fmt.Sprintf("%.1f", r.CreateRate), c.Window, r.Sent, r.Missing, r.Duplicates, r.CreatedLate,
		fmt.Sprintf("%s / %s / %s ms", stats.Ms(r.Lateness.P50), stats.Ms(r.Lateness.P99), stats.Ms(r.Lateness.Max)))
	fmt.Fprintf(b, "**Timers.** Scheduled messages (POST /v1/scheduled-messages, one contact each), all due within the window; lateness = emulator receive time - send_at.\n\n%s\n", t.Markdown())
	targets.Add("scheduled-send lateness p99 <= 2 s", stats.Ms(r.Lateness.P99)+" ms", yes(r.Missing == 0 && r.Lateness.N > 0 && r.Lateness.P99 <= 2*time.Second))
}
