package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/internal/devstack"
)

// lastPlainIndexMigration is the newest migration allowed to build an index inside a
// transaction on a table that already existed: the ones before this rule was written.
// Later migrations must build such indexes CONCURRENTLY (docs/operations.md, Migrations).
const lastPlainIndexMigration = 15

var (
	createTable  = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)`)
	createIndex  = regexp.MustCompile(`(?i)CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON\s+(?:ONLY\s+)?(\w+)`)
	noTx         = regexp.MustCompile(`(?m)^--\s*\+goose\s+NO\s+TRANSACTION\s*$`)
	leadingDigit = regexp.MustCompile(`^(\d+)_`)
)

// An index built without CONCURRENTLY locks its table against writes for the whole
// build: on conversations or messages that stops the webhooks for minutes. Goose runs
// each migration in a transaction, where CONCURRENTLY is refused, so such a migration
// must also say NO TRANSACTION. Tables created in the same migration are empty and
// exempt.
func TestIndexesOnExistingTablesAreBuiltConcurrently(t *testing.T) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for _, name := range names {
		m := leadingDigit.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("%s: name must start with its version", name)
			continue
		}
		version, _ := strconv.Atoi(m[1])
		if version <= lastPlainIndexMigration {
			continue
		}
		body, _ := fs.ReadFile(files, name)
		sql := string(body)
		if i := strings.Index(sql, "-- +goose Down"); i >= 0 {
			sql = sql[:i]
		}
		created := map[string]bool{}
		for _, c := range createTable.FindAllStringSubmatch(sql, -1) {
			created[strings.ToLower(c[1])] = true
		}
		for _, c := range createIndex.FindAllStringSubmatch(sql, -1) {
			table := strings.ToLower(c[2])
			if created[table] {
				continue
			}
			if c[1] == "" {
				t.Errorf("%s: %q builds an index on existing table %s without CONCURRENTLY; writes to it would wait for the build", name, c[0], table)
			} else if !noTx.MatchString(sql) {
				t.Errorf("%s: CREATE INDEX CONCURRENTLY needs `-- +goose NO TRANSACTION` (Postgres refuses it in a transaction)", name)
			}
		}
	}
}

func TestIndexRuleCatchesAPlainIndex(t *testing.T) {
	m := createIndex.FindStringSubmatch("CREATE INDEX messages_body ON messages (body)")
	if m == nil || m[1] != "" || m[2] != "messages" {
		t.Fatalf("the rule does not see a plain index: %q", m)
	}
	m = createIndex.FindStringSubmatch("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS x ON conversations (a)")
	if m == nil || m[1] == "" || m[2] != "conversations" {
		t.Fatalf("the rule does not see a concurrent index: %q", m)
	}
}

// WaitCurrent (`textdesk migrate --wait`, the init container of api and worker pods)
// refuses a database the release's migrations have not reached, and returns as soon as
// they have.
func TestWaitCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postgres")
	}
	ctx := context.Background()
	// Not t.TempDir: as root, postgres runs as the postgres user, who must reach the
	// data directory, and t.TempDir's parent is 0700.
	dir, err := os.MkdirTemp("", "textdesk-migrations-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{DataDir: filepath.Join(dir, "pg"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	log := slog.New(slog.DiscardHandler)

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = WaitCurrent(short, pg.URL, 50*time.Millisecond, log)
	if err == nil || !strings.Contains(err.Error(), "textdesk migrate") {
		t.Fatalf("WaitCurrent on an empty database: %v; want an error telling to run textdesk migrate", err)
	}

	// It only reads: the migrate Job creates goose's version table, and a waiter creating
	// it too would make the Job fail on "relation already exists".
	db, err := sql.Open("pgx", pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version')::text`).Scan(&table); err != nil || table.Valid {
		t.Fatalf("after WaitCurrent the version table is %v (%v); want none: waiting must not write", table, err)
	}

	done := make(chan error, 1)
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	go func() { done <- WaitCurrent(wctx, pg.URL, 50*time.Millisecond, log) }()
	if err := Up(ctx, pg.URL, log); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitCurrent after migrating: %v", err)
	}
}
