package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/migrations"
)

// runMigrate applies the migrations and registers the search attributes
// (app.Migrate), or with --wait D only waits up to D for someone else (the release's
// migrate Job) to have applied the migrations: api and worker pods run that as an init
// container so they never start on an old schema.
func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Duration("wait", 0, "only wait up to this long for the schema to be current; apply nothing")
	skip := fs.Bool("skip-search-attributes", false, "apply the database migrations only; register the search attributes by other means (tcld on Temporal Cloud)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (usage: textdesk migrate [--skip-search-attributes] [--wait 10m])", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (usage: textdesk migrate [--skip-search-attributes] [--wait 10m])", fs.Arg(0))
	}
	if err := cfg.Require("DATABASE_URL"); err != nil {
		return err
	}
	if *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		return migrations.WaitCurrent(wctx, cfg.DatabaseURL, 2*time.Second, log)
	}
	return app.Migrate(ctx, cfg, log, app.MigrateOptions{SkipSearchAttributes: *skip})
}
