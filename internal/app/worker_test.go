package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	_ "unsafe" // go:linkname below

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/internal/testenv"
	"github.com/textdesk/textdesk/workflows"
)

// The SDK retries a poll refused as fatal for two minutes (proxies sometimes answer
// oddly) before it gives up; its own tests shorten that, and so does this one, through
// the test-only setter the SDK keeps in its internal package.
//
//go:linkname setRetryLongPollGracePeriod go.temporal.io/sdk/internal.SetRetryLongPollGracePeriod
func setRetryLongPollGracePeriod(time.Duration)

func workerConfig(t *testing.T, taskQueue string) config.Config {
	t.Helper()
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return config.Config{
		DatabaseURL: env.DatabaseURL, TemporalAddress: env.TemporalAddress, TemporalNamespace: env.Namespace,
		TaskQueue: taskQueue, TwilioAccountSID: "ACtest", TwilioAuthToken: "test", PublicURL: "http://127.0.0.1:1",
		CallerKey: strings.Repeat("k", 32), EventRetention: 720 * time.Hour, WorkerStopTimeout: time.Second,
		WorkflowCallTimeout: 5 * time.Second, WorkerMetricsAddr: fmt.Sprintf("127.0.0.1:%d", port),
		PayloadKeys: testenv.PayloadKeys,
	}
}

// TestWorkerExitsOnFatalError: a worker whose polls the server refuses for good (here a
// task queue name past the server's length limit: InvalidArgument) returns the error,
// so `textdesk worker` exits 1 and its orchestrator restarts it, instead of staying up
// doing nothing.
func TestWorkerExitsOnFatalError(t *testing.T) {
	needEnv(t)
	setRetryLongPollGracePeriod(time.Second)
	defer setRetryLongPollGracePeriod(2 * time.Minute)
	cfg := workerConfig(t, strings.Repeat("q", 1001))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- RunWorker(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	select {
	case err := <-done:
		t.Logf("RunWorker returned after %s: %v", time.Since(start).Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "fatal error") || !strings.Contains(err.Error(), "length exceeds limit") {
			t.Errorf("err = %v; want the fatal error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker kept running after a fatal error")
	}
}

// TestWorkerProbesAndPruneSchedule: a running worker is ready on its metrics address,
// has created the one prune schedule (overlap skip), and a second worker of the same
// deployment leaves it as it is; the scheduled workflow runs the prune.
func TestWorkerProbesAndPruneSchedule(t *testing.T) {
	needEnv(t)
	tq := "prune-" + fmt.Sprint(time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	run := func(cfg config.Config) chan error {
		done := make(chan error, 1)
		go func() { done <- RunWorker(ctx, cfg, slog.New(slog.DiscardHandler)) }()
		return done
	}
	cfg1, cfg2 := workerConfig(t, tq), workerConfig(t, tq)
	done1, done2 := run(cfg1), run(cfg2)
	defer func() {
		cancel()
		for _, d := range []chan error{done1, done2} {
			if err := <-d; err != nil {
				t.Errorf("worker: %v", err)
			}
		}
	}()
	ready := func(addr string) map[string]string {
		var body map[string]string
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return body
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("worker at %s not ready: %v %v", addr, err, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, cfg := range []config.Config{cfg1, cfg2} {
		if got := ready(cfg.WorkerMetricsAddr); got["temporal"] != "ok" || got["postgres"] != "ok" || got["worker"] != "started" {
			t.Errorf("readyz = %v", got)
		}
	}

	opts := client.Options{HostPort: env.TemporalAddress, Namespace: env.Namespace}
	if err := EncryptPayloads(cfg1, &opts); err != nil { // the prune result is encrypted too
		t.Fatal(err)
	}
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.ScheduleClient().GetHandle(ctx, workflows.PruneScheduleID(tq))
	defer func() { _ = h.Delete(context.Background()) }()
	// The schedule triggers once at creation; the prune workflow must complete.
	deadline := time.Now().Add(20 * time.Second)
	for {
		desc, err := h.Describe(ctx)
		if err == nil && desc.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
			t.Fatalf("overlap policy %v, want skip", desc.Schedule.Policy.Overlap)
		}
		if err == nil && len(desc.Info.RecentActions) > 0 {
			run := desc.Info.RecentActions[0].StartWorkflowResult
			var res struct{ AgentEvents, Auth int64 }
			if err := c.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res); err != nil {
				t.Fatalf("prune workflow: %v", err)
			}
			if n := len(desc.Info.RecentActions); n != 1 {
				t.Errorf("%d prune runs; two workers starting must make one", n)
			}
			if every := desc.Schedule.Spec.Intervals; len(every) != 1 || every[0].Every != time.Hour {
				t.Errorf("intervals %v, want hourly", every)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no prune run: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
