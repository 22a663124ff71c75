// Command loadgen is textdesk's load and fault harness (issue #6).
//
//	loadgen bench [-quick] [-out docs/benchmarks.md]   engine benchmarks (make bench, make bench-quick)
//	loadgen chaos [-out docs/benchmarks.md]            fault suite (make chaos); exits 1 on any loss
//	loadgen chaos -cluster                             the cluster scenarios (make chaos-cluster)
//	loadgen bench -cluster                             the benchmarks on make cluster's topology
//	loadgen baseline-worker                            the baseline's worker process (started by the harness)
//
// bench and chaos start their own stack (Postgres, Temporal dev server, bin/textdesk
// emulator/api/worker) in a temporary directory and remove it on exit, Ctrl-C included.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/textdesk/textdesk/internal/loadgen/baseline"
	"github.com/textdesk/textdesk/internal/loadgen/bench"
	"github.com/textdesk/textdesk/internal/loadgen/chaos"
	"github.com/textdesk/textdesk/internal/loadgen/stack"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen bench|chaos|baseline-worker [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string, args []string) error {
	if cmd == "baseline-worker" {
		return baseline.RunWorker(ctx, os.Getenv("TEMPORAL_ADDRESS"), os.Getenv("TEMPORAL_NAMESPACE"), os.Getenv("DATABASE_URL"))
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	out := fs.String("out", "docs/benchmarks.md", "markdown file to add the results to (\"\": print only)")
	quick := fs.Bool("quick", false, "bench: small numbers, under a minute")
	textdesk := fs.String("textdesk", "bin/textdesk", "the textdesk binary to measure")
	temporal := fs.String("temporal", "bin/temporal", "the Temporal CLI (dev server)")
	keep := fs.Bool("keep", false, "keep the stack's temporary directory (logs, data)")
	only := fs.String("only", "", "run only these parts (comma-separated; bench: ingest,scale,timers; chaos: scenario names)")
	// synchronous=off: measured +20% product throughput on the file-backed dev server
	// (docs/benchmarks.md); the harness's data is thrown away, so durability across an
	// OS crash does not matter here. -sqlite-pragma synchronous=normal restores devstack's.
	pragmas, dynconfig := keyValues{"synchronous": "off"}, keyValues{}
	fs.Var(pragmas, "sqlite-pragma", "SQLite pragma for the Temporal dev server, name=value (repeatable; default synchronous=off)")
	fs.Var(dynconfig, "temporal-config", "Temporal dynamic config value, name=json (repeatable)")
	scale := fs.Int("scale", 0, "bench: open conversations in the scale test (default: the plan's)")
	timers := fs.Int("timers", 0, "bench: scheduled messages in the timers test (default: the plan's)")
	ingest := fs.Int("ingest", 0, "bench: messages in the saturation ingest (over a tenth as many conversations)")
	clusterMode := fs.Bool("cluster", false, "bench: run on make cluster's topology (Temporal services as processes on Postgres, 2 api, 2 workers); chaos: the cluster scenarios only")
	clusterTLS := fs.Bool("cluster-tls", false, "chaos -cluster: mTLS on the cluster's Temporal frontend (textdesk must read TEMPORAL_TLS_*)")
	suites := fs.String("suites", "dev", "chaos: which scenario suites, comma-separated: dev, cluster")
	dbQuery := fs.String("db-query", "", "appended to the product's DATABASE_URL, e.g. pool_max_conns=16")
	var workerEnv, apiEnv envList
	fs.Var(&workerEnv, "worker-env", "extra KEY=VALUE for the worker process (repeatable)")
	fs.Var(&apiEnv, "api-env", "extra KEY=VALUE for the api process (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	opts := stack.Options{TextdeskBin: abs(*textdesk), TemporalBin: abs(*temporal), LoadgenBin: self, Keep: *keep, Log: os.Stderr,
		SQLitePragmas: pragmas, TemporalDynamicConfig: dynconfig, DatabaseQuery: *dbQuery, WorkerEnv: workerEnv, APIEnv: apiEnv}
	if *clusterMode {
		*suites = "cluster"
	}
	// temporal-server and temporal-sql-tool are built into bin/ beside this program.
	opts.ClusterBinDir, opts.ClusterTLS = filepath.Dir(self), *clusterTLS
	command := "loadgen " + cmd
	for _, a := range args {
		command += " " + a
	}
	switch cmd {
	case "bench":
		if *clusterMode {
			return bench.RunTopologies(ctx, bench.Options{Stack: opts, Quick: *quick, Out: *out, Command: command, Ingest: *ingest})
		}
		return bench.Run(ctx, bench.Options{Stack: opts, Quick: *quick, Out: *out, Only: *only, Command: command, Scale: *scale, Timers: *timers, Ingest: *ingest})
	case "chaos":
		return chaos.Run(ctx, chaos.Options{Stack: opts, Out: *out, Only: *only, Command: command, Suites: strings.Split(*suites, ",")})
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// keyValues collects repeated name=value flags.
type keyValues map[string]string

func (kv keyValues) String() string { return fmt.Sprint(map[string]string(kv)) }

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	kv[k] = v
	return nil
}

// envList collects repeated KEY=VALUE flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(s string) error {
	if !strings.Contains(s, "=") {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	*e = append(*e, s)
	return nil
}
