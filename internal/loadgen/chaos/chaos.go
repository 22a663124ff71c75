// Package chaos is the fault suite (`make chaos`): each scenario starts a fresh stack,
// runs a burst of traffic (inbound webhooks, agent replies, scheduled sends) while a
// fault strikes, then checks from Postgres and from the emulator's record that every
// message exists once and every due send happened once.
package chaos

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/report"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/twilioemu"
)

// Options configures Run.
type Options struct {
	Stack stack.Options
	Out   string // markdown file ("" prints only)
	Only  string // comma-separated scenario names
	// Suites are "dev" (Scenarios, on the dev server) and/or "cluster"
	// (ClusterScenarios, Stack.Cluster set for them); empty: dev only.
	Suites  []string
	Command string
}

// Scenario is a fault and the traffic it strikes.
type Scenario struct {
	Name, Fault string
	Traffic     Traffic
	// Strike injects the fault while the burst runs (begin is the burst's start) and
	// returns when the fault is over.
	Strike func(ctx context.Context, s *stack.Stack, begin time.Time) error
	// Prepare, if set, shapes the stack before the burst; its cleanup runs even when
	// the scenario fails.
	Prepare func(ctx context.Context, s *stack.Stack) (cleanup func(), err error)
}

// Scenarios are the six faults.
var Scenarios = []Scenario{
	{
		Name: "kill-worker", Fault: "kill -9 the worker five times during a 1,000-message burst",
		Traffic: Traffic{N: 1000, M: 100, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			for k := range 5 {
				sleepUntil(ctx, begin.Add(time.Duration(5+k*11)*time.Second))
				s.KillWorker()
				if err := s.StartWorker(ctx); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		Name: "restart-temporal", Fault: "restart the Temporal dev server (file-backed) mid-burst",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			sleepUntil(ctx, begin.Add(10*time.Second))
			return s.RestartTemporal(ctx, 2*time.Second)
		},
	},
	{
		Name: "restart-postgres", Fault: "restart Postgres mid-burst",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			sleepUntil(ctx, begin.Add(10*time.Second))
			return s.RestartPostgres(ctx, 2*time.Second)
		},
	},
	{
		Name: "emulator-errors", Fault: "emulator answers 20% of sends with 500/429/timeouts",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			// Applied in order, each to 7% of what the previous ones let through: ~20%
			// in all. A slow answer outlasts twilio-go's 10 s timeout after the message
			// was created, as a lost answer from Twilio would.
			f := twilioemu.Faults{REST: []twilioemu.RESTFault{
				{Kind: twilioemu.Fault500, Rate: 0.07, Method: "POST"},
				{Kind: twilioemu.Fault429, Rate: 0.07, Method: "POST"},
				{Kind: twilioemu.FaultSlow, Rate: 0.07, Method: "POST", Delay: twilioemu.Duration(12 * time.Second)},
			}}
			if err := emulator(s).SetFaults(ctx, f); err != nil {
				return err
			}
			sleepUntil(ctx, begin.Add(400/15*time.Second))
			return emulator(s).SetFaults(ctx, twilioemu.Faults{})
		},
	},
	{
		Name: "duplicate-webhooks", Fault: "every inbound webhook delivered twice, some out of order",
		Traffic: Traffic{N: 400, M: 40, Rate: 15, Duplicate: true, DuplicateDelay: 2 * time.Second},
	},
	{
		Name: "slow-callbacks", Fault: "network delay (3 s) on the emulator's status callbacks",
		Traffic: Traffic{N: 400, M: 40, Rate: 15},
		Strike: func(ctx context.Context, s *stack.Stack, begin time.Time) error {
			if err := emulator(s).SetFaults(ctx, twilioemu.Faults{CallbackDelay: twilioemu.Duration(3 * time.Second)}); err != nil {
				return err
			}
			sleepUntil(ctx, begin.Add(400/15*time.Second))
			return emulator(s).SetFaults(ctx, twilioemu.Faults{})
		},
	},
}

// Result is one scenario's row.
type Result struct {
	Scenario
	Outcome
	Notes []string // what the scenario observed beyond the accounting
	Err   error
}

// Run runs the scenarios, prints the table and files it; it fails if any scenario lost
// or duplicated anything, or could not run.
func Run(ctx context.Context, o Options) error {
	begin := time.Now()
	var results []Result
	type run struct {
		sc    Scenario
		stack stack.Options
	}
	var runs []run
	if len(o.Suites) == 0 {
		o.Suites = []string{"dev"}
	}
	for _, suite := range o.Suites {
		so := o.Stack
		list := Scenarios
		if suite == "cluster" {
			so.Cluster, list = true, ClusterScenarios
		}
		for _, sc := range list {
			runs = append(runs, run{sc, so})
		}
	}
	for _, r := range runs {
		sc := r.sc
		if o.Only != "" && !strings.Contains(","+o.Only+",", ","+sc.Name+",") {
			continue
		}
		fmt.Fprintf(os.Stderr, "chaos: %s: %s\n", sc.Name, sc.Fault)
		out, notes, err := runScenario(ctx, r.stack, sc)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "chaos: %s: %v\n", sc.Name, err)
		}
		results = append(results, Result{sc, out, notes, err})
	}
	t, failed := table(results)
	fmt.Println(t.Text())
	var b strings.Builder
	fmt.Fprintf(&b, "### make chaos — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, kv := range report.Environment(o.Stack.TemporalBin) {
		fmt.Fprintf(&b, "- %s: %s\n", kv[0], kv[1])
	}
	target := "make chaos"
	if strings.Join(o.Suites, ",") == "cluster" {
		target = "make chaos-cluster"
	}
	fmt.Fprintf(&b, "- command: `%s` (make target: `%s`), total %s\n", o.Command, target, time.Since(begin).Round(time.Second))
	if slices.Contains(o.Suites, "cluster") {
		fmt.Fprintf(&b, "- cluster-* scenarios: `make cluster`'s topology (docs/cluster.md): %s, its frontend, history, matching and worker services as separate processes on Postgres; 2 api replicas behind the load balancer; 2 workers\n", stack.ClusterServerVersion(o.Stack))
	}
	b.WriteString("\n")
	b.WriteString("Each scenario: fresh stack; inbound webhooks round-robin over the conversations of a chat-off team (a conversation is due at most one auto-response: the ones the product recorded must each be sent once), one agent reply per conversation (REST, Idempotency-Key), one scheduled message per other conversation (due 10 s after it is scheduled). Failed deliveries are retried, as Twilio and a careful client do. *Sent* counts due sends (auto-responses, replies, scheduled) found in the emulator's record; *lost* = inbound not stored + due sends never sent; *recover* = end of the fault (restart done, faults cleared, or for duplicates the last delivery) until every check passed, which includes finishing the rest of the burst.\n\n")
	b.WriteString(t.Markdown())
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(&b, "\n- %s: %v\n", r.Name, r.Err)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "\n- %s: %s\n", r.Name, n)
		}
	}
	fmt.Println(b.String())
	if o.Out != "" {
		if err := report.AppendToFile(o.Out, "Fault suite", b.String()); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios lost or duplicated messages (or did not run)", failed, len(results))
	}
	return nil
}

func table(results []Result) (report.Table, int) {
	var t report.Table
	t.Header = []string{"scenario", "fault", "offered", "stored", "inbound dups", "sends due", "sent", "send dups", "lost", "retried requests", "recover", "result"}
	failed := 0
	for _, r := range results {
		verdict := "ok"
		dups := r.InboundDup + r.SendDup + r.StoredOutDup
		if r.Err != nil || r.Lost > 0 || dups > 0 || r.Refused > 0 {
			verdict, failed = "**FAIL**", failed+1
		}
		rec := "-"
		if r.Complete {
			rec = r.Recovery.Round(100 * time.Millisecond).String()
		}
		t.Add(r.Name, r.Fault, r.Offered, r.Stored, r.InboundDup, r.ExpectedSends, r.Sent, r.SendDup+r.StoredOutDup, r.Lost, r.Retries, rec, verdict)
	}
	return t, failed
}

// runScenario starts a stack, runs the burst with the fault, and polls the checks until
// they pass or the recovery deadline passes.
func runScenario(ctx context.Context, so stack.Options, sc Scenario) (out Outcome, notes []string, err error) {
	s, err := stack.Start(ctx, so)
	if err != nil {
		return Outcome{}, nil, err
	}
	defer s.Close()
	defer func() { notes = s.Notes }()
	out, err = strikeAndCheck(ctx, s, sc)
	return out, nil, err
}

func strikeAndCheck(ctx context.Context, s *stack.Stack, sc Scenario) (Outcome, error) {
	if sc.Prepare != nil {
		cleanup, err := sc.Prepare(ctx, s)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return Outcome{}, fmt.Errorf("prepare: %w", err)
		}
	}
	b, err := newBurst(ctx, s, sc.Traffic, sc.Name)
	if err != nil {
		return Outcome{}, err
	}
	begin := time.Now()
	strikeErr := make(chan error, 1)
	var faultOver time.Time // when the fault ended: the restart finished, the faults were cleared
	go func() {
		var err error
		if sc.Strike != nil {
			err = sc.Strike(ctx, s, begin)
		}
		faultOver = time.Now()
		strikeErr <- err
	}()
	b.run(ctx)
	if err := <-strikeErr; err != nil {
		return Outcome{}, fmt.Errorf("fault: %w", err)
	}
	if sc.Strike == nil { // the fault is the traffic itself
		faultOver = time.Now()
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		out, err := b.check(ctx)
		if err == nil && out.Complete {
			// Wait a little longer: a duplicate send would show up after completion.
			time.Sleep(3 * time.Second)
			if again, err := b.check(ctx); err == nil {
				again.Recovery = time.Since(faultOver) - 3*time.Second
				return again, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return out, err
			}
			return out, fmt.Errorf("not complete %s after the fault: %d lost", time.Since(faultOver).Round(time.Second), out.Lost)
		}
		time.Sleep(time.Second)
	}
}

func emulator(s *stack.Stack) *emulatorClient { return &emulatorClient{s.EmulatorURL} }

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}
