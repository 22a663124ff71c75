// Package stack runs a complete textdesk for the harness as separate OS processes, so
// that a worker can be killed with SIGKILL and Temporal or Postgres restarted under load:
// Postgres and a file-backed Temporal dev server (via internal/devstack) on free ports
// with their data in a temporary directory, and bin/textdesk's emulator, api and worker,
// plus the baseline worker. Close removes everything; children also die with the harness.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/textdesk/textdesk/internal/cluster"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Credentials the emulator and the product share; the harness signs webhooks with them.
const (
	AccountSID = "ACb0000000000000000000000000000000"
	AuthToken  = "loadgenAuthToken000000000000000"
	// CallerKey signs workflow updates' callers (TEXTDESK_CALLER_KEY); harness-only.
	CallerKey = "loadgen-only-caller-key-not-a-secret-0123"
	// PayloadKeys encrypts what the product writes to Temporal (TEXTDESK_PAYLOAD_KEYS),
	// so the harness measures the codec too; harness-only.
	PayloadKeys = "loadgen-only:bG9hZGdlbi1vbmx5LXBheWxvYWQta2V5LTAxMjM0NTY="
	TaskQueue   = "textdesk-bench"
	Namespace   = "default"
)

// Options configures Start.
type Options struct {
	TextdeskBin string // bin/textdesk
	LoadgenBin  string // this program, run as `baseline-worker`
	TemporalBin string // bin/temporal
	// WorkerEnv and APIEnv are extra KEY=VALUE settings for those processes (tuning).
	WorkerEnv, APIEnv []string
	// DatabaseQuery is appended to the product's DATABASE_URL (e.g. pool_max_conns=8).
	DatabaseQuery string
	// SQLitePragmas and TemporalDynamicConfig tune the dev server (experiments).
	SQLitePragmas, TemporalDynamicConfig map[string]string
	// Cluster runs the production-shaped topology (internal/cluster) instead of the dev
	// server: Temporal's four services as processes on Postgres, two api replicas behind
	// the cluster's load balancer, two workers. ClusterBinDir holds temporal-server,
	// temporal-sql-tool (default: TextdeskBin's directory).
	Cluster       bool
	ClusterBinDir string
	// ClusterTLS turns on mTLS at the cluster's frontend; textdesk's processes get the
	// TEMPORAL_TLS_* settings, and no baseline worker runs (it dials plain gRPC).
	ClusterTLS bool
	// Keep leaves the temporary directory (logs, data) in place for a post-mortem.
	Keep bool
	Log  io.Writer
}

// Stack is a running textdesk.
type Stack struct {
	o   Options
	Dir string

	PG       *devstack.Postgres
	pgOpts   devstack.PostgresOptions
	Temporal *devstack.Temporal
	tOpts    devstack.TemporalOptions

	Emulator, API, Worker, Baseline *Proc
	// Cluster is set in cluster mode (Options.Cluster); Emulator, API, Worker and
	// Temporal are nil then: its processes are named "api-1", "worker-2", "history"...
	Cluster *cluster.Cluster
	// Partition is the worker in its own network namespace, when a scenario made one.
	Partition *Partition
	// Notes are what a scenario observed beyond the accounting, for the report.
	Notes []string

	APIURL, EmulatorURL string
	DatabaseURL         string        // the product's, with DatabaseQuery
	Store               *store.Store  // setup only
	DB                  *pgxpool.Pool // the harness's own reads (checks, completion)
	// Client is Temporal, for the baseline and task-queue stats. It has no payload codec:
	// the baseline's workflow is plain (it measures Temporal without textdesk), and the
	// stats and history sizes read no payload.
	Client client.Client
	env    []string
}

// Start brings up the whole stack; on error, whatever started is stopped.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	dir, err := os.MkdirTemp("", "textdesk-loadgen-*")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // postgres may run as another user
		return nil, err
	}
	started := &Stack{o: o, Dir: dir}
	s = started
	defer func() {
		if err != nil { // every error return sets s to nil: stop what did start
			started.o.Keep = true // the error names a log file in it
			started.Close()
		}
	}()
	s.logf("stack: data and logs in %s", dir)
	if o.Cluster {
		if err := s.startCluster(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	s.pgOpts = devstack.PostgresOptions{DataDir: filepath.Join(dir, "postgres"), LogFile: filepath.Join(dir, "postgres.log"),
		Fast: true, Settings: map[string]string{"max_connections": "300"}}
	if s.PG, err = devstack.StartPostgres(ctx, s.pgOpts); err != nil {
		return nil, err
	}
	s.pgOpts.Port = s.PG.Port // restarts come back on the same port
	s.tOpts = devstack.TemporalOptions{Binary: o.TemporalBin, DBFile: filepath.Join(dir, "temporal", "temporal.db"),
		SearchAttributes: workflows.SearchAttributes(), StartTimeout: 2 * time.Minute,
		SQLitePragmas: o.SQLitePragmas, DynamicConfig: o.TemporalDynamicConfig}
	if s.Temporal, err = devstack.StartTemporal(ctx, s.tOpts); err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(s.Temporal.Address)
	s.tOpts.Port, _ = strconv.Atoi(port)

	apiPort, err1 := devstack.FreePort()
	emuPort, err2 := devstack.FreePort()
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	s.APIURL = fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	s.EmulatorURL = fmt.Sprintf("http://127.0.0.1:%d", emuPort)
	s.DatabaseURL = s.PG.URL
	if o.DatabaseQuery != "" {
		s.DatabaseURL += "&" + o.DatabaseQuery
	}
	s.env = s.baseEnv()
	mig := exec.CommandContext(ctx, o.TextdeskBin, "migrate")
	mig.Env = append(s.env, "DATABASE_URL="+s.PG.URL) // goose's driver takes no pool settings
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("textdesk migrate: %w\n%s", err, out)
	}
	if err := s.connect(ctx, client.Options{HostPort: s.Temporal.Address, Namespace: Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err != nil {
		return nil, err
	}
	if s.Emulator, err = s.startTextdesk("emulator", nil); err != nil {
		return nil, err
	}
	if s.API, err = s.startTextdesk("api", o.APIEnv); err != nil {
		return nil, err
	}
	if err := s.waitHTTP(ctx, s.EmulatorURL+"/healthz", s.Emulator); err != nil {
		return nil, err
	}
	if err := s.waitHTTP(ctx, s.APIURL+"/healthz", s.API); err != nil {
		return nil, err
	}
	if err := s.StartWorker(ctx); err != nil {
		return nil, err
	}
	if err := s.startBaseline(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// baseEnv is every textdesk process's environment (cluster mode overrides the
// addresses per process).
func (s *Stack) baseEnv() []string {
	temporalAddr := ""
	if s.Temporal != nil {
		temporalAddr = s.Temporal.Address
	}
	return append(os.Environ(),
		"DATABASE_URL="+s.DatabaseURL,
		"TEMPORAL_ADDRESS="+temporalAddr,
		"TEMPORAL_NAMESPACE="+Namespace,
		"TEXTDESK_TASK_QUEUE="+TaskQueue,
		"API_ADDR="+strings.TrimPrefix(s.APIURL, "http://"),
		"PUBLIC_URL="+s.APIURL,
		"EMULATOR_ADDR="+strings.TrimPrefix(s.EmulatorURL, "http://"),
		"TWILIO_BASE_URL="+s.EmulatorURL,
		"TWILIO_ACCOUNT_SID="+AccountSID,
		"TWILIO_AUTH_TOKEN="+AuthToken,
		"TEXTDESK_CALLER_KEY="+CallerKey,
		"TEXTDESK_PAYLOAD_KEYS="+PayloadKeys,
		"LOG_LEVEL=warn",
		"WORKER_METRICS_ADDR=", // a worker restarted while the old one's port lingers must not fail
		// The harness measures the engine at saturation: its floods of new senders, sends
		// and API calls must not meet the abuse limits (docs/security.md).
		"TEXTDESK_INTAKE_LIMIT=1000000",
		"TEXTDESK_DAILY_SEND_QUOTA=100000000",
		"API_RATE_LIMIT_PER_MINUTE=100000000",
		"API_EXPENSIVE_RATE_LIMIT_PER_MINUTE=100000000",
		"API_INTERNAL_ADDR=", // likewise for api processes (several may run)
	)
}

// connect opens the harness's own Postgres and Temporal connections.
func (s *Stack) connect(ctx context.Context, topts client.Options) (err error) {
	if s.Store, err = store.Open(ctx, s.PG.URL); err != nil {
		return err
	}
	if s.DB, err = pgxpool.New(ctx, s.PG.URL); err != nil {
		return err
	}
	s.Client, err = client.DialContext(ctx, topts)
	return err
}

func (s *Stack) startBaseline(ctx context.Context) (err error) {
	if s.Baseline, err = startProc("baseline", s.o.LoadgenBin, []string{"baseline-worker"}, s.env, filepath.Join(s.Dir, "baseline.log")); err != nil {
		return err
	}
	return s.WaitPoller(ctx, "baseline", s.Baseline)
}

// Note records an observation for the report (and logs it).
func (s *Stack) Note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
	s.logf("stack: "+format, args...)
}

func (s *Stack) logf(format string, args ...any) {
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, format+"\n", args...)
	}
}

func (s *Stack) startTextdesk(cmd string, extra []string) (*Proc, error) {
	return startProc(cmd, s.o.TextdeskBin, []string{cmd}, append(s.env, extra...), filepath.Join(s.Dir, cmd+".log"))
}

// LogFile is where a process of the stack writes (worker, api, emulator, baseline, ...).
func (s *Stack) LogFile(name string) string { return filepath.Join(s.Dir, name+".log") }

// StartWorker starts a product worker and waits until it polls its task queue.
func (s *Stack) StartWorker(ctx context.Context) error {
	w, err := s.startTextdesk("worker", s.o.WorkerEnv)
	if err != nil {
		return err
	}
	s.Worker = w
	return s.WaitPoller(ctx, "product", w)
}

// KillWorker SIGKILLs the product worker (no graceful shutdown).
func (s *Stack) KillWorker() { s.Worker.Kill() }

// RestartTemporal stops the dev server (SIGTERM) and starts it again on the same file
// and port after down; clients reconnect on their own.
func (s *Stack) RestartTemporal(ctx context.Context, down time.Duration) error {
	if err := s.Temporal.Stop(); err != nil {
		s.logf("stack: temporal stop: %v", err)
	}
	time.Sleep(down)
	t, err := devstack.StartTemporal(ctx, s.tOpts)
	if err != nil {
		return err
	}
	s.Temporal = t
	return nil
}

// RestartPostgres stops Postgres (fast shutdown: open transactions are aborted) and
// starts it again on the same cluster and port after down.
func (s *Stack) RestartPostgres(ctx context.Context, down time.Duration) error {
	if s.Cluster != nil {
		err := s.Cluster.RestartPostgres(ctx, down)
		s.PG = s.Cluster.PG
		return err
	}
	if err := s.PG.Stop(); err != nil {
		s.logf("stack: postgres stop: %v", err)
	}
	time.Sleep(down)
	pg, err := devstack.StartPostgres(ctx, s.pgOpts)
	if err != nil {
		return err
	}
	s.PG = pg
	return nil
}

// TemporalDBSize is the size of the dev server's SQLite file with its WAL.
func (s *Stack) TemporalDBSize() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if st, err := os.Stat(s.tOpts.DBFile + suffix); err == nil {
			n += st.Size()
		}
	}
	return n
}

// TemporalPid is the dev server's process id (for CPU and memory readings).
func (s *Stack) TemporalPid() int {
	pidOf := func() int {
		out, err := exec.Command("pgrep", "-f", "--", "--db-filename "+s.tOpts.DBFile).Output()
		if err != nil {
			return 0
		}
		pid, _ := strconv.Atoi(strings.Fields(string(out))[0])
		return pid
	}
	return pidOf()
}

// Backlog is the approximate number of tasks waiting in the product's workflow and
// activity task queues.
func (s *Stack) Backlog(ctx context.Context) (int64, error) {
	resp, err := s.Client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace: Namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		ApiMode: enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED, ReportStats: true,
		TaskQueueTypes: []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY},
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, v := range resp.GetVersionsInfo() {
		for _, ti := range v.GetTypesInfo() {
			n += ti.GetStats().GetApproximateBacklogCount()
		}
	}
	return n, nil
}

// WaitPoller waits until p polls the task queue of which ("product" or "baseline"):
// the SDK's default identity starts with the pid.
func (s *Stack) WaitPoller(ctx context.Context, which string, p *Proc) error {
	tq := TaskQueue
	if which == "baseline" {
		tq = "loadgen-baseline"
	}
	prefix := strconv.Itoa(p.Pid()) + "@"
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := s.Client.DescribeTaskQueue(ctx, tq, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil {
			for _, pi := range resp.GetPollers() {
				if strings.HasPrefix(pi.GetIdentity(), prefix) {
					return nil
				}
			}
		}
		if p.Exited() {
			return fmt.Errorf("%s worker exited; see %s", which, s.LogFile(p.Name))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s worker not polling after 60s (last error %v); see %s", which, err, s.LogFile(p.Name))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Stack) waitHTTP(ctx context.Context, url string, p *Proc) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s (%v); see %s", p.Name, url, err, s.LogFile(p.Name))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops every process and removes the data (unless Options.Keep).
func (s *Stack) Close() {
	if s.Cluster != nil {
		s.Baseline.Stop(5 * time.Second)
		s.closeConns()
		s.Cluster.Stop()
		s.removeDir()
		return
	}
	for _, p := range []*Proc{s.API, s.Worker, s.Baseline, s.Emulator} {
		p.Stop(5 * time.Second)
	}
	s.closeConns()
	if s.Temporal != nil {
		_ = s.Temporal.Stop()
	}
	if s.PG != nil {
		_ = s.PG.Stop()
	}
	s.removeDir()
}

func (s *Stack) closeConns() {
	if s.Client != nil {
		s.Client.Close()
	}
	if s.Store != nil {
		s.Store.Close()
	}
	if s.DB != nil {
		s.DB.Close()
	}
}

func (s *Stack) removeDir() {
	if !s.o.Keep {
		os.RemoveAll(s.Dir)
	} else {
		s.logf("stack: kept %s", s.Dir)
	}
}
