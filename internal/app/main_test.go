package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/textdesk/textdesk/internal/testenv"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/workflows"
)

// env is a real Temporal dev server and Postgres for this package's tests.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // the integration tests skip themselves
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx, workflows.SearchAttributes())
	if err != nil {
		fmt.Fprintln(os.Stderr, "app: start test environment:", err)
		return 1
	}
	defer e.Close()
	if err := migrations.Up(ctx, e.DatabaseURL, slog.New(slog.DiscardHandler)); err != nil {
		fmt.Fprintln(os.Stderr, "app: migrate:", err)
		return 1
	}
	env = e
	return m.Run()
}

func needEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("integration test (not in -short)")
	}
}
