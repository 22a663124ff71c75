package testenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/internal/devstack"
)

func requireTemporal(t *testing.T) {
	t.Helper()
	if os.Getenv("TEMPORAL_ADDRESS") != "" {
		return
	}
	if _, err := devstack.FindTemporalBinary(""); errors.Is(err, devstack.ErrTemporalNotFound) {
		t.Skipf("%v", err)
	}
}

func queryInt(t *testing.T, url, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func canConnect(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	conn.Close(context.Background())
	return true
}

func searchAttributes(t *testing.T, e *Env) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: e.TemporalAddress, Namespace: e.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: e.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range resp.GetCustomAttributes() {
		out[k] = v.String()
	}
	return out
}

func start(t *testing.T, attrs map[string]string) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	e, err := Start(ctx, attrs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("environment ready in %s", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(e.Close)
	return e
}

func TestThrowawayServers(t *testing.T) {
	requireTemporal(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("TEMPORAL_ADDRESS", "")
	e := start(t, map[string]string{"TextdeskConversationId": "Keyword"})

	if n := queryInt(t, e.DatabaseURL, "SELECT 40 + 2"); n != 42 {
		t.Fatalf("query = %d", n)
	}
	if e.Namespace != "default" {
		t.Fatalf("Namespace = %q", e.Namespace)
	}
	if sa := searchAttributes(t, e); sa["TextdeskConversationId"] != "Keyword" {
		t.Fatalf("search attributes = %v", sa)
	}
	a, b := e.TaskQueue(t), e.TaskQueue(t)
	if a == b || !strings.HasPrefix(a, "test-TestThrowawayServers-") {
		t.Fatalf("task queues %q %q", a, b)
	}
	t.Run("sub/test name", func(t *testing.T) {
		if q := e.TaskQueue(t); strings.ContainsAny(q, "/ ") {
			t.Fatalf("task queue %q", q)
		}
	})

	e.Close()
	if canConnect(e.DatabaseURL) {
		t.Fatal("postgres still answers after Close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := client.DialContext(ctx, client.Options{HostPort: e.TemporalAddress}); err == nil {
		c.Close()
		t.Fatal("temporal still answers after Close")
	}
	if e.tmpDir == "" {
		t.Fatal("no temporary directory recorded")
	}
	if _, err := os.Stat(e.tmpDir); !os.IsNotExist(err) {
		t.Fatalf("temporary directory %s left behind (%v)", e.tmpDir, err)
	}
	e.Close() // idempotent
}

func TestExistingServers(t *testing.T) {
	requireTemporal(t)
	// Stand-ins for servers that CI or a developer would provide.
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} { // both are 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{DataDir: filepath.Join(dir, "pg"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	tp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{Namespace: "textdesk"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Stop() })

	t.Setenv("DATABASE_URL", pg.URL)
	t.Setenv("TEMPORAL_ADDRESS", tp.Address)
	t.Setenv("TEMPORAL_NAMESPACE", "textdesk")
	e := start(t, map[string]string{"TextdeskInboxId": "Int"})

	if !strings.Contains(e.DatabaseURL, "/textdesk_test_") {
		t.Fatalf("DatabaseURL = %q", e.DatabaseURL)
	}
	name := e.DatabaseURL[strings.Index(e.DatabaseURL, "/textdesk_test_")+1 : strings.Index(e.DatabaseURL, "?")]
	if n := queryInt(t, e.DatabaseURL, "SELECT CASE WHEN current_database() = $1 THEN 1 ELSE 0 END", name); n != 1 {
		t.Fatal("DatabaseURL does not point at the test database")
	}
	if e.TemporalAddress != tp.Address || e.Namespace != "textdesk" {
		t.Fatalf("Temporal = %s/%s", e.TemporalAddress, e.Namespace)
	}
	if sa := searchAttributes(t, e); sa["TextdeskInboxId"] != "Int" {
		t.Fatalf("search attribute not registered on the existing server: %v", sa)
	}

	e.Close()
	if n := queryInt(t, pg.URL, "SELECT count(*) FROM pg_database WHERE datname = $1", name); n != 0 {
		t.Fatalf("test database %s not dropped", name)
	}
	if !canConnect(pg.URL) {
		t.Fatal("Close stopped a server it did not start")
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/app?sslmode=disable":   "postgres://u:p@h:5432/x?sslmode=disable",
		"postgresql://h/app":                          "postgresql://h/x",
		"postgres://h?dbname=app":                     "postgres://h/x?dbname=x",
		"host=/var/run/postgresql user=me dbname=app": "host=/var/run/postgresql user=me dbname=app dbname=x",
	} {
		got, err := withDatabase(in, "x")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestMissingTemporalBinary(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "")
	t.Setenv("TEMPORAL_CLI", filepath.Join(t.TempDir(), "no-such-temporal"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := Start(ctx, nil)
	if err == nil {
		e.Close()
		t.Fatal("Start succeeded without a Temporal binary")
	}
	if !strings.Contains(err.Error(), "make bin/temporal") || !errors.Is(err, devstack.ErrTemporalNotFound) {
		t.Fatalf("err = %v", err)
	}
}
