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

// RunTopologies is `loadgen bench -cluster`: the ingest workload (fixed rate and
// saturation) on the dev server's stack and then on make cluster's topology, each with
// its own same-run baseline (the baseline worker on the same Temporal), filed side by
// side under "Dev server and cluster".
func RunTopologies(ctx context.Context, o Options) error {
	plan, kind := Full, "loadgen bench -cluster"
	if o.Quick {
		plan = Quick
	}
	if o.Ingest > 0 {
		plan.Saturation.N, plan.Saturation.M = o.Ingest, max(o.Ingest/10, 1)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }
	begin := time.Now()
	var t report.Table
	t.Header = []string{"load", "Temporal", "system", "offered", "failed", "stored", "persisted+routed/s", "product/baseline", "response p50/p95/p99 ms", "first msg round trip p50/p95/p99 ms", "p99 ratio"}
	rows := map[string][][]any{} // load -> rows, so each load's four rows sit together
	var loads []string
	startUps := map[string]time.Duration{}
	for _, topo := range []struct {
		name    string
		cluster bool
	}{{"dev server", false}, {"cluster", true}} {
		so := o.Stack
		so.Cluster = topo.cluster
		t0 := time.Now()
		s, err := stack.Start(ctx, so)
		if err != nil {
			return fmt.Errorf("%s: %w", topo.name, err)
		}
		startUps[topo.name] = time.Since(t0)
		logf("%s: stack up in %s", topo.name, startUps[topo.name].Round(time.Millisecond))
		err = func() error {
			defer s.Close()
			for _, l := range []Load{plan.Fixed, plan.Saturation} {
				logf("%s: ingest product: %s", topo.name, l)
				p, err := ProductIngest(ctx, s, l, plan.Timeout)
				if err != nil {
					return fmt.Errorf("product ingest: %w", err)
				}
				logf("%s: ingest baseline: %s", topo.name, l)
				bl, err := BaselineIngest(ctx, s, l, plan.Timeout)
				if err != nil {
					return fmt.Errorf("baseline ingest: %w", err)
				}
				ratio := stats.Ratio(p.Throughput, bl.Throughput)
				p99 := stats.Ratio(float64(p.FirstLatency.P99), float64(bl.FirstLatency.P99))
				logf("%s %s: product %.1f/s, baseline %.1f/s, ratio %.2f", topo.name, l, p.Throughput, bl.Throughput, ratio)
				key := l.String()
				if _, seen := rows[key]; !seen {
					loads = append(loads, key)
				}
				rows[key] = append(rows[key],
					[]any{key, topo.name, "textdesk", p.Offered, p.Failed, p.Stored, fmt.Sprintf("%.1f", p.Throughput), fmt.Sprintf("**%.2f**", ratio),
						triple(p.Response), triple(p.FirstLatency) + missing(p.Missing), fmt.Sprintf("**%.2f**", p99)},
					[]any{key, topo.name, "baseline", bl.Offered, bl.Failed, bl.Stored, fmt.Sprintf("%.1f", bl.Throughput), "",
						triple(bl.Response), triple(bl.FirstLatency) + missing(bl.Missing), ""})
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", topo.name, err)
		}
	}
	for _, l := range loads {
		for _, r := range rows[l] {
			t.Add(r...)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s — %s\n\n", kind, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	for _, kv := range report.Environment(o.Stack.TemporalBin) {
		fmt.Fprintf(&b, "- %s: %s\n", kv[0], kv[1])
	}
	fmt.Fprintf(&b, "- cluster: %s; frontend, history, matching and worker services as separate processes, 8 history shards, persistence and visibility on the same Postgres as textdesk; 2 api replicas behind the cluster's load balancer, 2 workers\n", stack.ClusterServerVersion(o.Stack))
	fmt.Fprintf(&b, "- dev server: the Temporal CLI's start-dev (SQLite file, synchronous=off as in make bench), 1 api, 1 worker\n")
	fmt.Fprintf(&b, "- stack start (Postgres initdb included): dev server %s, cluster %s\n", startUps["dev server"].Round(100*time.Millisecond), startUps["cluster"].Round(100*time.Millisecond))
	fmt.Fprintf(&b, "- command: `%s` (make target: `make bench-cluster`), total %s\n\n", o.Command, time.Since(begin).Round(time.Second))
	b.WriteString("The same ingest workload as `make bench` on each topology, each with its baseline measured on the same Temporal in the same run (a SignalWithStart workflow running one insert activity per signal), so *product/baseline* compares like with like; columns as in the engine benchmarks above.\n\n")
	b.WriteString(t.Markdown())
	fmt.Println(b.String())
	if o.Out != "" {
		if err := report.AppendToFile(o.Out, "Dev server and cluster", b.String()); err != nil {
			return err
		}
		logf("results added to %s", o.Out)
	}
	return nil
}
