package bench

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/door"
	"github.com/textdesk/textdesk/internal/loadgen/fixture"
	"github.com/textdesk/textdesk/internal/loadgen/report"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/internal/loadgen/stats"
)

// ScaleConfig sizes the scale benchmark.
type ScaleConfig struct {
	Conversations int           // open conversations, each with a live timer
	Idle          time.Duration // how long idle CPU is measured
	Drain         int           // messages queued while the worker is down
}

// ScaleResult is what the scale benchmark measured.
type ScaleResult struct {
	CreateRate                  float64 // conversations opened per second (webhook to routed)
	WorkerRSS, WorkerRSSDrained int64
	TemporalRSS                 int64
	TemporalDB                  int64
	IdleCPU                     map[string]float64 // share of one core over the idle window
	BacklogBefore, BacklogAfter int64
	Drain                       time.Duration
}

// Scale opens many conversations on a chat-on team without agents (each waits in New
// with its inactivity timer), measures the idle stack, then kills the worker, queues
// one message for Drain of them and times the restarted (cold) worker's catch-up.
func Scale(ctx context.Context, s *stack.Stack, c ScaleConfig, timeout time.Duration, logf func(string, ...any)) (ScaleResult, error) {
	var r ScaleResult
	team, err := fixture.NewTeam(ctx, s.Store, "Scale", true, "")
	if err != nil {
		return r, err
	}
	tw := &door.Twilio{PublicURL: s.APIURL, AccountSID: stack.AccountSID, AuthToken: stack.AuthToken, HTTP: door.NewHTTPClient(30 * time.Second)}
	send := func(l Load, body string) int {
		var failed atomic.Int64
		drive(ctx, l, func(i int) {
			m := door.Inbound{Sid: door.NewSid(), From: team.Contact(i % l.M), To: team.Number, Body: fmt.Sprintf("%s %d", body, i)}
			for attempt := 0; attempt < 5; attempt++ { // as Twilio would, retry a failed delivery
				if status, _, err := tw.Post(ctx, m); err == nil && status < 300 {
					return
				}
				pause(ctx, time.Second)
			}
			failed.Add(1)
		})
		return int(failed.Load())
	}
	begin := time.Now()
	failed := send(Load{N: c.Conversations, M: c.Conversations, Concurrency: 32}, "scale open")
	end, stored, err := waitRouted(ctx, s, team.ID, c.Conversations-failed, timeout+time.Duration(c.Conversations)*20*time.Millisecond)
	if err != nil {
		return r, err
	}
	r.CreateRate = stats.PerSecond(stored, end.Sub(begin))
	logf("scale: %d conversations open (%.1f/s); settling", stored, r.CreateRate)
	settle := time.Now().Add(timeout)
	for {
		n, err := s.Backlog(ctx)
		if err == nil && n == 0 || time.Now().After(settle) {
			break
		}
		pause(ctx, time.Second)
	}
	r.BacklogBefore, _ = s.Backlog(ctx)
	procs := map[string]int{"worker": s.Worker.Pid(), "api": s.API.Pid(), "temporal": s.TemporalPid()}
	before := map[string]stack.Usage{}
	for name, pid := range procs {
		before[name], _ = stack.ReadUsage(pid)
	}
	logf("scale: measuring idle for %s", c.Idle)
	pause(ctx, c.Idle)
	r.IdleCPU = map[string]float64{}
	for name, pid := range procs {
		after, err := stack.ReadUsage(pid)
		if err == nil {
			r.IdleCPU[name] = float64(after.CPU-before[name].CPU) / float64(c.Idle)
		}
		if name == "worker" {
			r.WorkerRSS = after.RSS
		}
		if name == "temporal" {
			r.TemporalRSS = after.RSS
		}
	}
	r.BacklogAfter, _ = s.Backlog(ctx)
	r.TemporalDB = s.TemporalDBSize()

	logf("scale: killing the worker, queueing %d messages", c.Drain)
	s.KillWorker()
	if f := send(Load{N: c.Drain, M: c.Drain, Concurrency: 32}, "scale drain"); f > 0 {
		return r, fmt.Errorf("%d drain messages refused by the API", f)
	}
	restart := time.Now()
	if err := s.StartWorker(ctx); err != nil {
		return r, err
	}
	end, _, err = waitRouted(ctx, s, team.ID, stored+c.Drain, timeout)
	if err != nil {
		return r, fmt.Errorf("drain: %w", err)
	}
	r.Drain = end.Sub(restart)
	if u, err := stack.ReadUsage(s.Worker.Pid()); err == nil {
		r.WorkerRSSDrained = u.RSS
	}
	return r, nil
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func (r ScaleResult) write(b *strings.Builder, c ScaleConfig, targets *report.Table) {
	var t report.Table
	t.Header = []string{"measure", "value"}
	t.Add("open conversations (each with its inactivity timer)", c.Conversations)
	t.Add("opened per second (webhook -> routed)", fmt.Sprintf("%.1f", r.CreateRate))
	t.Add("worker RSS, idle / after drain", mib(r.WorkerRSS)+" / "+mib(r.WorkerRSSDrained))
	t.Add("Temporal dev server RSS", mib(r.TemporalRSS))
	t.Add("Temporal DB size (SQLite + WAL)", mib(r.TemporalDB))
	t.Add(fmt.Sprintf("idle CPU over %s (share of one core): worker / api / temporal", c.Idle),
		fmt.Sprintf("%.1f%% / %.1f%% / %.1f%%", 100*r.IdleCPU["worker"], 100*r.IdleCPU["api"], 100*r.IdleCPU["temporal"]))
	t.Add("task backlog at start / end of idle window", fmt.Sprintf("%d / %d", r.BacklogBefore, r.BacklogAfter))
	t.Add(fmt.Sprintf("drain after worker kill -9 + restart (cold cache), %d queued messages", c.Drain),
		fmt.Sprintf("%s (%.1f msgs/s)", r.Drain.Round(time.Millisecond), stats.PerSecond(c.Drain, r.Drain)))
	fmt.Fprintf(b, "**Scale.**\n\n%s\n", t.Markdown())
	targets.Add("worker RSS <= 1 GiB with open conversations", mib(max(r.WorkerRSS, r.WorkerRSSDrained)), yes(max(r.WorkerRSS, r.WorkerRSSDrained) <= 1<<30))
	targets.Add("idle CPU near zero (worker < 5% of a core)", fmt.Sprintf("%.1f%%", 100*r.IdleCPU["worker"]), yes(r.IdleCPU["worker"] < 0.05))
	targets.Add("no growing task backlog", fmt.Sprintf("%d -> %d", r.BacklogBefore, r.BacklogAfter), yes(r.BacklogAfter <= r.BacklogBefore))
}
