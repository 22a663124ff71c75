package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/textdesk/textdesk/internal/loadgen/report"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
	"github.com/textdesk/textdesk/internal/loadgen/stats"
)

// Options configures Run.
type Options struct {
	Stack   stack.Options
	Quick   bool   // bench-quick: the same measurements on small numbers
	Out     string // markdown file ("" prints only)
	Only    string // comma-separated parts: ingest, scale, timers
	Command string // how the run was started, for the report
	// Scale and Timers override the plan's open conversations and scheduled messages.
	Scale, Timers int
	// Ingest overrides the saturation load's messages (over a tenth as many conversations).
	Ingest int
}

// Plan is the sizes of one run.
type Plan struct {
	Fixed, Saturation Load
	Scale             ScaleConfig
	Timers            TimersConfig
	Timeout           time.Duration // per wait
}

// Full is `make bench`. The sizes (10,000 open conversations, 10,000 timers)
// take over an hour on the 2-core reference machine at its measured rates, so the
// default sizes fit the 20-minute budget; -scale and -timers restore the issue's.
var Full = Plan{
	Fixed:      Load{N: 600, M: 60, Rate: 10, Concurrency: 32},
	Saturation: Load{N: 2500, M: 250, Concurrency: 32},
	Scale:      ScaleConfig{Conversations: 2500, Idle: 60 * time.Second, Drain: 500},
	Timers:     TimersConfig{N: 2500, Window: time.Minute, Margin: 15 * time.Second},
	Timeout:    10 * time.Minute,
}

// Quick is `make bench-quick`: the same measurements on small numbers, under a minute.
var Quick = Plan{
	Fixed:      Load{N: 40, M: 20, Rate: 10, Concurrency: 8},
	Saturation: Load{N: 120, M: 30, Concurrency: 16},
	Scale:      ScaleConfig{Conversations: 40, Idle: 3 * time.Second, Drain: 10},
	Timers:     TimersConfig{N: 40, Window: 3 * time.Second, Margin: 3 * time.Second},
	Timeout:    time.Minute,
}

// Run starts a stack, runs the benchmarks, prints the report and files it.
func Run(ctx context.Context, o Options) error {
	plan, kind := Full, "make bench"
	if o.Quick {
		plan, kind = Quick, "make bench-quick"
	}
	if o.Scale > 0 {
		plan.Scale.Conversations = o.Scale
	}
	if o.Ingest > 0 {
		plan.Saturation.N, plan.Saturation.M = o.Ingest, max(o.Ingest/10, 1)
	}
	if o.Timers > 0 {
		plan.Timers.N = o.Timers
	}
	want := func(part string) bool { return o.Only == "" || strings.Contains(","+o.Only+",", ","+part+",") }
	begin := time.Now()
	s, err := stack.Start(ctx, o.Stack)
	if err != nil {
		return err
	}
	defer s.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }
	logf("stack up in %s", time.Since(begin).Round(time.Millisecond))

	var b strings.Builder
	fmt.Fprintf(&b, "### %s — %s\n\n", kind, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, kv := range report.Environment(o.Stack.TemporalBin) {
		fmt.Fprintf(&b, "- %s: %s\n", kv[0], kv[1])
	}
	fmt.Fprintf(&b, "- command: `%s` (make target: `%s`)\n\n", o.Command, kind)
	var targets report.Table
	targets.Header = []string{"target", "measured", "met"}

	if want("ingest") {
		if err := runIngest(ctx, s, plan, &b, &targets, logf); err != nil {
			return err
		}
	}
	if want("scale") {
		logf("scale: %d conversations", plan.Scale.Conversations)
		res, err := Scale(ctx, s, plan.Scale, plan.Timeout, logf)
		if err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		res.write(&b, plan.Scale, &targets)
	}
	if want("timers") {
		logf("timers: %d scheduled messages", plan.Timers.N)
		res, err := Timers(ctx, s, plan.Timers, plan.Timeout, logf)
		if err != nil {
			return fmt.Errorf("timers: %w", err)
		}
		res.write(&b, plan.Timers, &targets)
	}
	fmt.Fprintf(&b, "**Targets** (%s, total run %s)\n\n%s", kind, time.Since(begin).Round(time.Second), targets.Markdown())
	fmt.Println(b.String())
	if o.Out != "" {
		if err := report.AppendToFile(o.Out, "Engine benchmarks", b.String()); err != nil {
			return err
		}
		logf("results added to %s", o.Out)
	}
	return nil
}

func runIngest(ctx context.Context, s *stack.Stack, plan Plan, b *strings.Builder, targets *report.Table, logf func(string, ...any)) error {
	var t report.Table
	t.Header = []string{"load", "system", "offered", "failed", "stored", "persisted+routed/s", "product/baseline", "response p50/p95/p99 ms", "first msg round trip p50/p95/p99 ms", "p99 ratio"}
	var satRatio, satP99Ratio float64
	var satResponse time.Duration
	var costs string
	var fixedP99Ratio float64
	for _, l := range []Load{plan.Fixed, plan.Saturation} {
		logf("ingest product: %s", l)
		p, err := ProductIngest(ctx, s, l, plan.Timeout)
		if err != nil {
			return fmt.Errorf("product ingest: %w", err)
		}
		logf("ingest baseline: %s", l)
		bl, err := BaselineIngest(ctx, s, l, plan.Timeout)
		if err != nil {
			return fmt.Errorf("baseline ingest: %w", err)
		}
		ratio := stats.Ratio(p.Throughput, bl.Throughput)
		p99 := stats.Ratio(float64(p.FirstLatency.P99), float64(bl.FirstLatency.P99))
		t.Add(l.String(), "textdesk", p.Offered, p.Failed, p.Stored, fmt.Sprintf("%.1f", p.Throughput), fmt.Sprintf("**%.2f**", ratio),
			triple(p.Response), triple(p.FirstLatency)+missing(p.Missing), fmt.Sprintf("**%.2f**", p99))
		t.Add(l.String(), "baseline", bl.Offered, bl.Failed, bl.Stored, fmt.Sprintf("%.1f", bl.Throughput), "", triple(bl.Response), triple(bl.FirstLatency)+missing(bl.Missing), "")
		logf("ingest %s: product %.1f/s, baseline %.1f/s, ratio %.2f, p99 ratio %.2f", l, p.Throughput, bl.Throughput, ratio, p99)
		if l.Rate == 0 {
			satRatio, satP99Ratio, satResponse = ratio, p99, p.Response.P99
			ph, err1 := History(ctx, s.Client, p.Sample)
			bh, err2 := History(ctx, s.Client, bl.Sample)
			if err1 == nil && err2 == nil {
				costs = fmt.Sprintf("History per message (one conversation each, %d and %d messages): textdesk %s; baseline %s. The product's conversation with chat off also stores and sends the auto-response.\n\n",
					p.SampleMessages, bl.SampleMessages, ph.PerMessage(p.SampleMessages), bh.PerMessage(bl.SampleMessages))
			}
		} else {
			fixedP99Ratio = p99
		}
	}
	fmt.Fprintf(b, "**Ingest and latency.** Product: signed webhooks to a chat-off team with an auto-response; persisted+routed = inbound row stored and the conversation's state saved after it (Postgres timestamps), first offer to last write. Round trip: a conversation's first webhook sent -> its auto-response accepted by the emulator. Baseline: SignalWithStart of the same signal type to a workflow running one insert activity per signal; round trip: first signal sent -> row inserted.\n\n%s\n%s", t.Markdown(), costs)
	targets.Add("ingest ratio at saturation >= 0.85", fmt.Sprintf("%.2f", satRatio), yes(satRatio >= 0.85))
	targets.Add("round-trip p99 ratio <= 1.5 (fixed rate)", fmt.Sprintf("%.2f", fixedP99Ratio), yes(fixedP99Ratio > 0 && fixedP99Ratio <= 1.5))
	targets.Add("round-trip p99 ratio <= 1.5 (saturation)", fmt.Sprintf("%.2f", satP99Ratio), yes(satP99Ratio > 0 && satP99Ratio <= 1.5))
	targets.Add("webhook response p99 < 100 ms at saturation", stats.Ms(satResponse)+" ms", yes(satResponse < 100*time.Millisecond))
	return nil
}

func triple(s stats.Summary) string {
	return fmt.Sprintf("%s / %s / %s", stats.Ms(s.P50), stats.Ms(s.P95), stats.Ms(s.P99))
}

func missing(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d missing)", n)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
