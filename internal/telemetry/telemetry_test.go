package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

func greeting(_ context.Context, name string) (string, error) { return "hello " + name, nil }

func greet(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	var s string
	err := workflow.ExecuteLocalActivity(ctx, "say-hello.v1", name).Get(ctx, &s)
	return s, err
}

// The SDK's own metrics, recorded while a workflow's local activity runs, reach the
// registry under Prometheus names with the process label, next to the Go runtime's.
func TestTemporalMetricsLandInRegistry(t *testing.T) {
	reg := NewRegistry()
	handler, closer := TemporalMetrics(reg, "worker", slog.New(slog.DiscardHandler))
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(handler)
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(greeting, activity.RegisterOptions{Name: "say-hello.v1"})
	env.ExecuteWorkflow(greet, "ada")
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if err := closer.Close(); err != nil { // flushes the buffered counters
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	Handler(reg, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	out := string(body)
	for _, want := range []string{
		"# TYPE temporal_local_activity_execution_latency_seconds histogram",
		`temporal_local_activity_execution_latency_seconds_bucket{activity_type="say-hello.v1",`,
		"temporal_local_activity_total{",
		`activity_type="say-hello.v1"`, // values kept as they are
		`process="worker"`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
}
