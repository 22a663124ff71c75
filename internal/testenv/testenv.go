// Package testenv gives integration tests a PostgreSQL database and a
// Temporal server: one set per test package binary, started from TestMain.
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) {
//		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
//		e, err := testenv.Start(ctx, map[string]string{"TextdeskConversationId": "Keyword"})
//		cancel()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		env = e
//		code := m.Run()
//		env.Close()
//		os.Exit(code)
//	}
//
// Environment:
//
//   - DATABASE_URL: use that server instead of starting one; Start creates a
//     uniquely named database (textdesk_test_<random>) on it and Close drops it.
//     Without it, Start runs a throwaway PostgreSQL in a temporary directory
//     on a free port (fsync off) and Close stops it and removes the directory.
//   - TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, default "default"): use that
//     server; missing search attributes are registered on it. Without it,
//     Start runs an in-memory headless Temporal dev server on a free port.
//   - PG_BIN, TEMPORAL_CLI: where the binaries are (see package devstack).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/internal/devstack"
)

// PayloadKeys is the payload key list (TEXTDESK_PAYLOAD_KEYS) tests run textdesk with,
// so that integration tests go through the payload codec as production does. Tests
// only: this key is in the repository. Histories recorded by the tests (e2e's
// TEXTDESK_RECORD_HISTORIES) are encrypted under it, and the replay test reads them
// with it.
const PayloadKeys = "test-only:dGV4dGRlc2stdGVzdC1vbmx5LXBheWxvYWQta2V5ISE="

// Env is the set of servers for one test binary.
type Env struct {
	DatabaseURL     string
	TemporalAddress string
	Namespace       string

	closeOnce sync.Once
	cleanups  []func() // run in reverse order by Close
	tmpDir    string   // throwaway Postgres directory, if any
}

// Start brings up (or connects to) PostgreSQL and Temporal. searchAttributes
// maps custom search attribute names to types (Keyword, KeywordList, Text,
// Int, Datetime, Bool, Double); they are registered on the namespace. On
// error, whatever was started is stopped again.
func Start(ctx context.Context, searchAttributes map[string]string) (_ *Env, err error) {
	e := &Env{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()

	// Fail fast, before starting anything, when the Temporal CLI is missing.
	if os.Getenv("TEMPORAL_ADDRESS") == "" {
		if _, err := devstack.FindTemporalBinary(""); err != nil {
			return nil, fmt.Errorf("testenv: %w\n%s", err, missingTemporalHint)
		}
	}

	// Start Temporal in the background while Postgres starts: both take a
	// few seconds and the machine has cores to spare for it.
	type tres struct {
		addr, ns string
		stop     func()
		err      error
	}
	tch := make(chan tres, 1)
	go func() {
		addr, ns, stop, err := startTemporal(ctx, searchAttributes)
		tch <- tres{addr, ns, stop, err}
	}()

	dbURL, tmpDir, pgCleanup, pgErr := startPostgres(ctx)
	e.tmpDir = tmpDir
	if pgCleanup != nil {
		e.cleanups = append(e.cleanups, pgCleanup)
	}
	tr := <-tch
	if tr.stop != nil {
		e.cleanups = append(e.cleanups, tr.stop)
	}
	if err := errors.Join(pgErr, tr.err); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	e.DatabaseURL, e.TemporalAddress, e.Namespace = dbURL, tr.addr, tr.ns
	return e, nil
}

func startPostgres(ctx context.Context) (dbURL, tmpDir string, cleanup func(), err error) {
	if serverURL := os.Getenv("DATABASE_URL"); serverURL != "" {
		name := "textdesk_test_" + randomHex(6)
		if err := createDatabase(ctx, serverURL, name); err != nil {
			return "", "", nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		dbURL, err := withDatabase(serverURL, name)
		cleanup = func() {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := devstack.DropDatabase(cctx, serverURL, name); err != nil {
				fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
			}
		}
		if err != nil {
			return "", "", cleanup, err
		}
		return dbURL, "", cleanup, nil
	}

	dir, err := os.MkdirTemp("", "textdesk-testenv-")
	if err != nil {
		return "", "", nil, err
	}
	remove := func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		}
	}
	// MkdirTemp makes it 0700; when root, postgres runs as the postgres user
	// and must be able to traverse it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", dir, remove, err
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir: filepath.Join(dir, "postgres"),
		LogFile: filepath.Join(dir, "postgres.log"),
		Fast:    true,
	})
	if err != nil {
		return "", dir, remove, fmt.Errorf("start postgres (or set DATABASE_URL): %w", err)
	}
	return pg.URL, dir, func() {
		if err := pg.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop postgres: %v\n", err)
		}
		remove()
	}, nil
}

const missingTemporalHint = "run `make bin/temporal` to build the Temporal CLI (or set TEMPORAL_ADDRESS to use a running server)"

func startTemporal(ctx context.Context, attrs map[string]string) (addr, ns string, stop func(), err error) {
	if addr := os.Getenv("TEMPORAL_ADDRESS"); addr != "" {
		ns := os.Getenv("TEMPORAL_NAMESPACE")
		if ns == "" {
			ns = "default"
		}
		if err := devstack.EnsureSearchAttributes(ctx, addr, ns, attrs); err != nil {
			return "", "", nil, fmt.Errorf("TEMPORAL_ADDRESS=%s: %w", addr, err)
		}
		return addr, ns, nil, nil
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{SearchAttributes: attrs})
	if errors.Is(err, devstack.ErrTemporalNotFound) {
		return "", "", nil, fmt.Errorf("%w\n%s", err, missingTemporalHint)
	}
	if err != nil {
		return "", "", nil, err
	}
	return t.Address, t.Namespace, func() {
		if err := t.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop temporal: %v\n", err)
		}
	}, nil
}

// Close stops what Start started (Temporal first, then Postgres) and drops
// the test database. It is safe to call more than once.
func (e *Env) Close() {
	if e == nil {
		return
	}
	e.closeOnce.Do(func() {
		for i := len(e.cleanups) - 1; i >= 0; i-- {
			e.cleanups[i]()
		}
	})
}

// TaskQueue returns a task queue name unique to this test (and this call),
// so that workers of different tests never pick up each other's tasks.
func (e *Env) TaskQueue(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, t.Name())
	if len(name) > 80 {
		name = name[:80]
	}
	return "test-" + name + "-" + randomHex(4)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func createDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// withDatabase returns serverURL pointing at database name instead. It
// accepts URLs (postgres://...) and keyword/value strings (host=... ...).
func withDatabase(serverURL, name string) (string, error) {
	if strings.HasPrefix(serverURL, "postgres://") || strings.HasPrefix(serverURL, "postgresql://") {
		u, err := url.Parse(serverURL)
		if err != nil {
			return "", fmt.Errorf("parse DATABASE_URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		// A dbname query parameter would override the path.
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// Keyword/value form: a later dbname wins.
	return serverURL + " dbname=" + name, nil
}
