package devstack

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func pgExec(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func pgQueryInt(t *testing.T, url, sql string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func startPG(t *testing.T, o PostgresOptions) *Postgres {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	pg, err := StartPostgres(ctx, o)
	if err != nil {
		t.Fatalf("StartPostgres: %v", err)
	}
	t.Logf("postgres ready on port %d in %s (owned=%v)", pg.Port, time.Since(begin).Round(time.Millisecond), pg.Owned())
	t.Cleanup(func() { pg.Stop() })
	return pg
}

func TestPostgresRestartKeepsDataAndReuse(t *testing.T) {
	dir := reachableTempDir(t)
	dataDir := filepath.Join(dir, "data", "postgres") // "data" does not exist yet
	o := PostgresOptions{DataDir: dataDir}

	pg := startPG(t, o) // fresh initdb, fsync on (the dev default)
	if !pg.Owned() {
		t.Fatal("fresh server not owned")
	}
	if want := "postgres://textdesk@127.0.0.1:" + strconv.Itoa(pg.Port) + "/textdesk?sslmode=disable"; pg.URL != want {
		t.Fatalf("URL = %q, want %q", pg.URL, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postgres.log")); err != nil {
		t.Fatalf("default log file: %v", err)
	}
	if n := pgQueryInt(t, pg.URL, "SELECT 1 + 1"); n != 2 {
		t.Fatalf("SELECT 1 + 1 = %d", n)
	}
	pgExec(t, pg.URL, "CREATE TABLE kept (id int)")
	pgExec(t, pg.URL, "INSERT INTO kept VALUES (1), (2), (3)")
	port := pg.Port

	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !portFree(port) {
		t.Fatalf("port %d still in use after Stop", port)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid after Stop: %v", err)
	}

	// Warm start on the same directory and port: the data survived.
	o.Port = port
	pg = startPG(t, o)
	if n := pgQueryInt(t, pg.URL, "SELECT count(*) FROM kept"); n != 3 {
		t.Fatalf("rows after restart = %d, want 3", n)
	}

	// A second start on the running cluster reuses it (port 0 = whatever it uses).
	again := startPG(t, PostgresOptions{DataDir: dataDir, Database: "other"})
	if again.Owned() || again.Port != pg.Port {
		t.Fatalf("reuse: owned=%v port=%d, want not owned on %d", again.Owned(), again.Port, pg.Port)
	}
	if n := pgQueryInt(t, again.URL, "SELECT count(*) FROM pg_database WHERE datname = 'other'"); n != 1 {
		t.Fatal("reuse did not create the requested database")
	}
	if err := again.Stop(); err != nil {
		t.Fatalf("Stop of reused server: %v", err)
	}
	if n := pgQueryInt(t, pg.URL, "SELECT count(*) FROM kept"); n != 3 {
		t.Fatal("Stop of a reused server stopped it")
	}

	// Asking for another port on a running cluster is an error.
	other, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = StartPostgres(context.Background(), PostgresOptions{DataDir: dataDir, Port: other})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("start on another port: err = %v", err)
	}

	// Test-isolation databases.
	url, err := pg.CreateDatabase(context.Background(), "iso-lated")
	if err != nil {
		t.Fatal(err)
	}
	pgExec(t, url, "CREATE TABLE x (id int)")
	if err := pg.DropDatabase(context.Background(), "iso-lated"); err != nil {
		t.Fatal(err)
	}
	if n := pgQueryInt(t, pg.URL, "SELECT count(*) FROM pg_database WHERE datname = 'iso-lated'"); n != 0 {
		t.Fatal("database still there after DropDatabase")
	}
	if err := pg.DropDatabase(context.Background(), "iso-lated"); err != nil {
		t.Fatalf("dropping a missing database: %v", err)
	}
}

func TestPostgresFastStaleIfPidFile(t *testing.T) {
	dir := reachableTempDir(t)
	dataDir := filepath.Join(dir, "pg")
	pg := startPG(t, PostgresOptions{DataDir: dataDir, Fast: true, Database: "fast"})
	if n := pgQueryInt(t, pg.URL, "SELECT CASE WHEN current_setting('fsync') = 'off' THEN 1 ELSE 0 END"); n != 1 {
		t.Fatal("Fast did not turn fsync off")
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// A stale postmaster.pid (process gone) must not block a start.
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte("999999\n"+dataDir+"\n0\n5432\n\n127.0.0.1\n0 0\nready\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pg = startPG(t, PostgresOptions{DataDir: dataDir, Fast: true})
	if !pg.Owned() {
		t.Fatal("stale pid file was taken for a running server")
	}
	if n := pgQueryInt(t, pg.DatabaseURL("fast"), "SELECT 7"); n != 7 {
		t.Fatal("query failed")
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// The wrong superuser for an existing cluster fails fast and says why.
	begin := time.Now()
	_, err := StartPostgres(context.Background(), PostgresOptions{DataDir: dataDir, Fast: true, User: "alice"})
	if err == nil || !strings.Contains(err.Error(), `role "alice" does not exist`) {
		t.Fatalf("wrong user: err = %v", err)
	}
	if d := time.Since(begin); d > 20*time.Second {
		t.Fatalf("wrong user took %s to fail", d)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("server left running after a failed start: %v", err)
	}
}

func TestPostgresPortInUse(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = StartPostgres(context.Background(), PostgresOptions{DataDir: filepath.Join(reachableTempDir(t), "pg"), Port: port, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("err = %v, want port already in use", err)
	}
}

func TestPostgresStartFailureQuotesLog(t *testing.T) {
	dir := reachableTempDir(t)
	_, err := StartPostgres(context.Background(), PostgresOptions{
		DataDir:  filepath.Join(dir, "pg"),
		Fast:     true,
		Settings: map[string]string{"shared_buffers": "lots"},
	})
	if err == nil {
		t.Fatal("start with a bad setting succeeded")
	}
	if !strings.Contains(err.Error(), "shared_buffers") || !strings.Contains(err.Error(), "last lines of") {
		t.Fatalf("error does not quote the log: %v", err)
	}
	t.Logf("error as reported:\n%v", err)
}

func TestPostgresUnreachableDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs postgres as another user")
	}
	dir := reachableTempDir(t)
	private := filepath.Join(dir, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := StartPostgres(context.Background(), PostgresOptions{DataDir: filepath.Join(private, "pg"), Fast: true})
	if err == nil || !strings.Contains(err.Error(), private+" (mode 0700") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("err = %v, want one naming %s", err, private)
	}
}

// A parent killed with SIGKILL must not leak postgres (Pdeathsig, set after
// the switch to the postgres user, must still be in force).
func TestPostgresDiesWithParent(t *testing.T) {
	dir := reachableTempDir(t)
	rep := startOrphanParent(t, "postgres:"+filepath.Join(dir, "pg"))
	waitUntil(t, 30*time.Second, "orphaned postgres to exit", func() bool { return zombieOrGone(rep.Pid) })
	waitUntil(t, 10*time.Second, "port to be released", func() bool { return portFree(rep.Port) })
}

// Unix socket paths are limited to ~107 bytes; deep data directories run
// TCP-only instead of failing.
func TestPostgresDeepDataDir(t *testing.T) {
	dataDir := filepath.Join(reachableTempDir(t), strings.Repeat("d", 60), strings.Repeat("e", 60), "pg")
	pg := startPG(t, PostgresOptions{DataDir: dataDir, Fast: true})
	if n := pgQueryInt(t, pg.URL, "SELECT length(current_setting('unix_socket_directories'))"); n != 0 {
		t.Fatalf("unix_socket_directories has length %d, want 0", n)
	}
}
