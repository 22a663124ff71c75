// Command textdesk is the single textdesk binary:
//
//	textdesk api        serve the HTTP API and Twilio webhooks
//	textdesk worker     run the Temporal worker (conversation workflow + activities)
//	textdesk migrate    apply database migrations
//	textdesk create-admin --email E   create an admin; print a one-time set-password link
//	textdesk emulator   run the local Twilio emulator (dev and tests only)
//	textdesk dev        run the whole stack locally (what `make dev` runs)
//
// A production build (go build -tags production, as deploy/Dockerfile does) has no
// emulator and no dev: see devcommands.go.
//
// Configuration comes from the environment; see docs/configuration.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
)

const usage = `usage: textdesk <command>

commands:
  api        serve the HTTP API and Twilio webhooks
  worker     run the Temporal worker
  migrate [--wait D] [--skip-search-attributes]
             apply database migrations (DATABASE_URL) and register textdesk's search
             attributes in the Temporal namespace (TEMPORAL_*); --wait: only wait up to
             D for the migrations to be applied
  create-admin --email E [--name N] [--promote] [--link-valid-for D]
             create an admin (or give an existing admin a way back in; --promote an existing agent)
             and print a one-time set-password link
`

// devCommand is a subcommand only development builds have (devcommands.go).
type devCommand struct {
	usage string
	run   func(ctx context.Context, cfg config.Config, log *slog.Logger) error
	// prepare runs before the configuration is read (defaults for dev).
	prepare func()
}

// devCommands is filled by devcommands.go unless built with -tags production.
var devCommands = map[string]devCommand{}

func printUsage() {
	fmt.Fprint(os.Stderr, usage)
	for _, name := range slices.Sorted(maps.Keys(devCommands)) {
		fmt.Fprintf(os.Stderr, "  %s\n", devCommands[name].usage)
	}
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		printUsage()
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
	dc, isDev := devCommands[cmd]
	if isDev && dc.prepare != nil {
		dc.prepare()
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
	case "migrate":
		return runMigrate(ctx, cfg, log, os.Args[2:])
	case "create-admin":
		return runCreateAdmin(ctx, cfg, log, os.Args[2:])
	}
	if isDev {
		return dc.run(ctx, cfg, log)
	}
	printUsage()
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
