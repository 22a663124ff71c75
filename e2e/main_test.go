// Package e2e drives textdesk the way a new user does: signed Twilio webhooks in, the
// REST API, and the Twilio emulator's record of what was sent, against a real Temporal
// dev server and a real Postgres (started by internal/testenv, or DATABASE_URL and
// TEMPORAL_ADDRESS).
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/textdesk/textdesk/internal/testenv"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/workflows"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx, workflows.SearchAttributes())
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start test environment:", err)
		return 1
	}
	defer e.Close()
	if err := migrations.Up(ctx, e.DatabaseURL, slog.New(slog.DiscardHandler)); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: migrate:", err)
		return 1
	}
	env = e
	defer func() {
		if binary != "" {
			os.RemoveAll(filepath.Dir(binary))
		}
	}()
	return m.Run()
}
