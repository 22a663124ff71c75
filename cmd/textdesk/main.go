// Command textdesk is the single textdesk binary:
//
//	textdesk api        serve the HTTP API and Twilio webhooks
//	textdesk worker     run the Temporal worker (conversation workflow + activities)
//	textdesk migrate    apply database migrations
//	textdesk emulator   run the local Twilio emulator (dev and tests only)
//	textdesk dev        run the whole stack locally (what `make dev` runs)
//	textdesk create-admin --email E   create an admin; print a set-password link and an API token
//
// Configuration comes from the environment; see docs/configuration.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/migrations"
)

const usage = `usage: textdesk <command>

commands:
  api        serve the HTTP API and Twilio webhooks
  worker     run the Temporal worker
  migrate    apply database migrations (DATABASE_URL)
  emulator   run the local Twilio emulator (dev and tests only)
  dev        run everything locally: Postgres, Temporal dev server, emulator, api, worker
  create-admin --email E [--name N] [--promote]
             create an admin (or re-key one; --promote an existing agent) and print a set-password link and an API token
`

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "textdesk %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string) error {
	if cmd == "dev" {
		applyDevDefaults()
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	switch cmd {
	case "api":
		return app.RunAPI(ctx, cfg, log, nil)
	case "worker":
		return app.RunWorker(ctx, cfg, log)
	case "emulator":
		return app.RunEmulator(ctx, cfg, log)
	case "migrate":
		if err := cfg.Require("DATABASE_URL"); err != nil {
			return err
		}
		return migrations.Up(ctx, cfg.DatabaseURL, log)
	case "dev":
		return runDev(ctx, cfg, log)
	case "create-admin":
		return runCreateAdmin(ctx, cfg, log, os.Args[2:])
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
