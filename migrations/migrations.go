// Package migrations holds the SQL schema as goose migrations, embedded in the binary
// so `textdesk migrate` needs nothing but a DATABASE_URL.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration. A Postgres advisory lock serialises concurrent
// callers (two `make dev`s, or api and worker starting together).
func Up(ctx context.Context, databaseURL string, log *slog.Logger) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// WaitCurrent returns once the database's schema is at the latest version this binary
// embeds, checking every interval until ctx is done. api and worker pods run it before
// starting (`textdesk migrate --wait`), so a rollout never serves on an old schema while
// the release's migrate Job is still running. It never migrates itself.
func WaitCurrent(ctx context.Context, databaseURL string, interval time.Duration, log *slog.Logger) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	sources := provider.ListSources()
	target := sources[len(sources)-1].Version
	for {
		// A database goose has never seen has no version table yet: that is "behind",
		// not an error worth stopping for.
		current, err := provider.GetDBVersion(ctx)
		switch {
		case err == nil && current >= target:
			log.Info("database schema is current", "version", current)
			return nil
		case err == nil:
			log.Info("waiting for migrations", "database_version", current, "wanted", target)
		default:
			log.Info("waiting for the database", "wanted", target, "err", err)
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("database schema not at version %d in time (run `textdesk migrate`): %w", target, err)
			}
			return fmt.Errorf("database schema at version %d, this release needs %d: run `textdesk migrate` (the migrate Job)", current, target)
		case <-time.After(interval):
		}
	}
}
