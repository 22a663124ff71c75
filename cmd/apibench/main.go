// Command apibench is `make bench-api`: it seeds 100,000 conversations into a throwaway
// Postgres, times the inbox, contact search and history endpoints of the real API
// handler, and writes p50/p99 (and their ratio to a trivial endpoint measured
// alongside) with each endpoint's query plans to docs/benchmarks.md.
//
//	apibench [-out docs/benchmarks.md] [-requests 300] [-conversations 100000] ...
//
// DATABASE_URL, if set, names a server to use instead of a throwaway one (a database
// is created on it and dropped after; plans are then not recorded). PG_BIN says where
// the PostgreSQL binaries are (default: the newest /usr/lib/postgresql/*/bin).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/textdesk/textdesk/internal/apibench"
)

func main() {
	var cfg apibench.Config
	flag.StringVar(&cfg.Out, "out", "docs/benchmarks.md", "markdown file whose \"API (make bench-api)\" section is replaced; empty: print only")
	flag.IntVar(&cfg.Conversations, "conversations", 100_000, "conversations in the team under test")
	flag.IntVar(&cfg.OtherTeams, "other-teams", 4, "other teams")
	flag.IntVar(&cfg.OtherConversations, "other-conversations", 5_000, "conversations per other team")
	flag.IntVar(&cfg.Contacts, "contacts", 80_000, "contacts")
	flag.IntVar(&cfg.Requests, "requests", 300, "timed requests per endpoint")
	flag.IntVar(&cfg.Warmup, "warmup", 30, "untimed warm-up requests per endpoint")
	flag.IntVar(&cfg.MinRequests, "min-requests", 40, "timed requests per endpoint before -budget may stop it")
	flag.DurationVar(&cfg.Budget, "budget", 10*time.Second, "time after which a slow endpoint stops (once it has -min-requests); warm-up stops after a quarter of it")
	flag.Uint64Var(&cfg.Seed, "seed", 4, "seed of the generated data")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the seeded Postgres (and the API) running until Ctrl-C, to look at plans by hand")
	flag.Parse()
	cfg.DatabaseURL = os.Getenv("DATABASE_URL")
	cfg.Command = strings.Join(append([]string{"bin/apibench"}, os.Args[1:]...), " ")
	cfg.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := apibench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
	if !cfg.Keep {
		fmt.Print(res.Table)
	}
}
