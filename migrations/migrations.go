// Package migrations holds the SQL schema as goose migrations, embedded in the binary
// so `textdesk migrate` needs nothing but a DATABASE_URL.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
	target, err := latestVersion()
	if err != nil {
		return err
	}
	for {
		current, err := appliedVersion(ctx, db)
		switch {
		case err == nil && current >= target:
			log.Info("database schema is current", "version", current)
			return nil
		case err == nil:
			log.Info("waiting for migrations", "database_version", current, "wanted", target)
		default:
			log.Info("waiting for the database", "wanted", target, "error", err)
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

// latestVersion is the newest migration this binary embeds.
func latestVersion() (int64, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", name, err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// appliedVersion reads the newest applied migration without touching the database:
// goose's own reader creates its version table when missing, which would race the
// migrate Job's creating it. No table yet is version 0.
func appliedVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	return v.Int64, err
}
