// Package cluster runs a production-shaped textdesk on one machine, each part its own
// OS process: Postgres; a Temporal server (go.temporal.io/server) with its frontend,
// history, matching and internal-worker services as separate processes, persistence
// and visibility on that Postgres; Temporal Web (ui-server) on the frontend; and
// textdesk's emulator, api replicas behind a small load balancer, and worker replicas.
// `textdesk cluster` (make cluster) and the fault harness's cluster scenarios
// (internal/loadgen/stack) both use it.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/textdesk/textdesk/internal/devstack"
)

// Binaries built by `make cluster` into bin/, outside textdesk's go.mod.
const (
	ServerBinary  = "temporal-server"    // go.temporal.io/server/cmd/server
	SQLToolBinary = "temporal-sql-tool"  // go.temporal.io/server/cmd/tools/sql
	UIBinary      = "temporal-ui-server" // github.com/temporalio/ui-server/v2/cmd/server
)

// The Temporal services, in start order; each is one process.
var TemporalServices = []string{"history", "matching", "frontend", "worker"}

// Options configures Start.
type Options struct {
	DataDir string // .data/cluster: postgres/, temporal/, ui/, tls/, logs/
	BinDir  string // holds the three binaries above
	Ports   Ports  // zero ports are picked free
	// Namespace is registered at start (default "default"), with SearchAttributes.
	Namespace        string
	SearchAttributes map[string]string
	Shards           int // history shards (default 8); fixed once the database exists
	// PostgresFast turns durability off (throwaway test clusters only).
	PostgresFast bool
	UI           bool   // start Temporal Web
	Codec        string // Temporal Web's codec endpoint, "" none
	TLS          bool   // mTLS on the frontend (certificates generated under DataDir/tls)
	// AutoRestart restarts a child that died unexpectedly after this long (0: never;
	// the fault harness restarts what it kills itself).
	AutoRestart time.Duration
	Log         *slog.Logger
}

// Cluster is a running cluster.
type Cluster struct {
	o     Options
	Ports Ports

	PG              *devstack.Postgres
	pgOpts          devstack.PostgresOptions
	DatabaseURL     string   // textdesk's database
	FrontendAddress string   // host:port of Temporal's gRPC frontend
	TLSFiles        TLSFiles // set when Options.TLS
	UIURL           string
	APIURL          string // the load balancer
	EmulatorURL     string

	mu           sync.Mutex
	pgRestarting bool
	members      map[string]*member
	order        []string // start order; Stop goes in reverse
	stopping     bool
	lbSrv        *http.Server
	lbStop       context.CancelFunc
}

type member struct {
	spec  devstack.ChildSpec
	child *devstack.Child
	ready func(context.Context) error
	// expected is set while the supervisor (or a fault scenario) stops or kills the
	// child on purpose, so its exit is not reported as a crash.
	expected bool
}

// Start brings up Postgres, Temporal's four services and (with UI) Temporal Web, and
// returns when the namespace and its search attributes are usable. textdesk itself is
// started by StartApps, after the caller migrated and seeded its database.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Shards == 0 {
		o.Shards = 8
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return nil, err
	}
	for _, b := range []string{ServerBinary, SQLToolBinary, UIBinary} {
		if b == UIBinary && !o.UI {
			continue
		}
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return nil, fmt.Errorf("cluster: %s not found in %s: run `make cluster` (or `make bin/%s`), which builds it", b, o.BinDir, b)
		}
	}
	for _, d := range []string{"logs", "temporal", "ui/config"} {
		if err := os.MkdirAll(filepath.Join(o.DataDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	ports, err := fillPorts(o.Ports)
	if err != nil {
		return nil, err
	}
	c = &Cluster{o: o, Ports: ports, members: map[string]*member{}}
	started := c // error returns set c to nil
	defer func() {
		if err != nil {
			started.Stop()
		}
	}()
	c.FrontendAddress = hostPort(ports.Frontend)
	c.APIURL = "http://" + hostPort(ports.API)
	c.EmulatorURL = "http://" + hostPort(ports.Emulator)
	if o.UI {
		c.UIURL = "http://" + hostPort(ports.UI)
	}

	begin := time.Now()
	c.pgOpts = devstack.PostgresOptions{DataDir: filepath.Join(o.DataDir, "postgres"), Port: ports.Postgres,
		LogFile: c.logPath("postgres"), Fast: o.PostgresFast,
		// Four Temporal services with their pools, textdesk's replicas, the harness.
		Settings: map[string]string{"max_connections": "400"}}
	o.Log.Info("cluster: starting Postgres", "port", ports.Postgres, "data", c.pgOpts.DataDir)
	if c.PG, err = devstack.StartPostgres(ctx, c.pgOpts); err != nil {
		return nil, err
	}
	c.DatabaseURL = c.PG.URL
	go c.watchPostgres(c.PG)
	if err := c.applySchemas(ctx); err != nil {
		return nil, err
	}
	if o.TLS {
		if c.TLSFiles, err = EnsureCertificates(filepath.Join(o.DataDir, "tls")); err != nil {
			return nil, err
		}
	}
	cfgFile := filepath.Join(o.DataDir, "temporal", "config.yaml")
	dcFile := filepath.Join(o.DataDir, "temporal", "dynamicconfig.yaml")
	if err := os.WriteFile(dcFile, []byte(dynamicConfig), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgFile, []byte(serverConfig(ports, c.PG.User, dcFile, o.Shards, c.TLSFiles)), 0o644); err != nil {
		return nil, err
	}
	for _, svc := range TemporalServices {
		m := &member{spec: devstack.ChildSpec{Name: svc, Path: filepath.Join(o.BinDir, ServerBinary),
			Args:    []string{"--config-file", cfgFile, "--allow-no-auth", "start", "--service=" + svc},
			LogPath: c.logPath(svc)}}
		port := map[string]int{"history": ports.History, "matching": ports.Matching, "frontend": ports.Frontend, "worker": ports.Worker}[svc]
		m.ready = func(ctx context.Context) error { return waitTCP(ctx, hostPort(port), m.child) }
		if err := c.launch(ctx, m); err != nil {
			return nil, err
		}
	}
	o.Log.Info("cluster: Temporal services started; registering the namespace", "frontend", c.FrontendAddress)
	if err := c.waitForTemporal(ctx); err != nil {
		return nil, err
	}
	if o.UI {
		uiRoot := filepath.Join(o.DataDir, "ui")
		if err := os.WriteFile(filepath.Join(uiRoot, "config", "cluster.yaml"), []byte(uiConfig(ports, o.Namespace, o.Codec, c.TLSFiles)), 0o644); err != nil {
			return nil, err
		}
		m := &member{spec: devstack.ChildSpec{Name: "temporal-web", Path: filepath.Join(o.BinDir, UIBinary),
			Args: []string{"--root", uiRoot, "--config", "config", "--env", "cluster", "start"}, LogPath: c.logPath("temporal-web")}}
		m.ready = func(ctx context.Context) error { return waitTCP(ctx, hostPort(ports.UI), m.child) }
		if err := c.launch(ctx, m); err != nil {
			return nil, err
		}
	}
	o.Log.Info("cluster: Temporal is up", "took", time.Since(begin).Round(100*time.Millisecond))
	return c, nil
}

// ClientOptions are the Temporal client options for this cluster (TLS included).
func (c *Cluster) ClientOptions() (client.Options, error) {
	opts := client.Options{HostPort: c.FrontendAddress, Namespace: c.o.Namespace, Logger: quietLogger()}
	if c.TLSFiles.enabled() {
		tc, err := c.TLSFiles.clientConfig()
		if err != nil {
			return opts, err
		}
		opts.ConnectionOptions.TLS = tc
	}
	return opts, nil
}

// TemporalEnv are the client settings for textdesk processes (the SDK's envconfig
// names; the TLS ones only with Options.TLS).
func (c *Cluster) TemporalEnv() []string {
	env := []string{"TEMPORAL_ADDRESS=" + c.FrontendAddress, "TEMPORAL_NAMESPACE=" + c.o.Namespace}
	if c.TLSFiles.enabled() {
		env = append(env,
			"TEMPORAL_TLS=true",
			"TEMPORAL_TLS_CLIENT_CERT_PATH="+c.TLSFiles.ClientCert,
			"TEMPORAL_TLS_CLIENT_KEY_PATH="+c.TLSFiles.ClientKey,
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH="+c.TLSFiles.CA,
			"TEMPORAL_TLS_SERVER_NAME="+c.TLSFiles.ServerName)
	}
	return env
}

// applySchemas creates Temporal's two databases and brings their schemas to the
// module's latest version with the server's own SQL tool and its embedded schemas.
func (c *Cluster) applySchemas(ctx context.Context) error {
	for _, s := range []struct{ db, schema string }{{TemporalDB, "postgresql/v12/temporal"}, {VisibilityDB, "postgresql/v12/visibility"}} {
		if err := devstack.EnsureDatabase(ctx, c.PG.URL, s.db); err != nil {
			return err
		}
		versioned, err := hasSchemaVersion(ctx, c.PG.DatabaseURL(s.db))
		if err != nil {
			return err
		}
		// setup-schema records version 0.0, so run it only on a fresh database.
		if !versioned {
			if err := c.sqlTool(ctx, s.db, "setup-schema", "-v", "0.0"); err != nil {
				return err
			}
		}
		if err := c.sqlTool(ctx, s.db, "update-schema", "--schema-name", s.schema); err != nil {
			return err
		}
	}
	return nil
}

func hasSchemaVersion(ctx context.Context, dbURL string) (bool, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return false, fmt.Errorf("cluster: connect to %s: %w", dbURL, err)
	}
	defer conn.Close(context.Background())
	var ok bool
	err = conn.QueryRow(ctx, "SELECT to_regclass('public.schema_version') IS NOT NULL").Scan(&ok)
	return ok, err
}

func (c *Cluster) sqlTool(ctx context.Context, db string, args ...string) error {
	full := append([]string{"--plugin", "postgres12", "--ep", "127.0.0.1", "-p", strconv.Itoa(c.PG.Port),
		"-u", c.PG.User, "--db", db}, args...)
	out, err := exec.CommandContext(ctx, filepath.Join(c.o.BinDir, SQLToolBinary), full...).CombinedOutput()
	f, ferr := os.OpenFile(c.logPath("sql-tool"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if ferr == nil {
		fmt.Fprintf(f, "=== %s temporal-sql-tool %s ===\n%s\n", time.Now().Format(time.RFC3339), strings.Join(full, " "), out)
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("cluster: temporal-sql-tool %s on %s: %w\n%s", args[0], db, err, out)
	}
	return nil
}

// waitForTemporal registers the namespace once the frontend answers, then the search
// attributes (idempotent: a restart finds them in place).
func (c *Cluster) waitForTemporal(ctx context.Context) error {
	opts, err := c.ClientOptions()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var last error
	for {
		last = func() error {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			cl, err := client.DialContext(actx, opts)
			if err != nil {
				return err
			}
			defer cl.Close()
			_, err = cl.WorkflowService().RegisterNamespace(actx, &workflowservice.RegisterNamespaceRequest{
				Namespace: c.o.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
			var exists *serviceerror.NamespaceAlreadyExists
			if err != nil && !errors.As(err, &exists) {
				return fmt.Errorf("register namespace %q: %w", c.o.Namespace, err)
			}
			if _, err := cl.WorkflowService().DescribeNamespace(actx, &workflowservice.DescribeNamespaceRequest{Namespace: c.o.Namespace}); err != nil {
				return err
			}
			return devstack.EnsureSearchAttributesWith(actx, cl, c.o.Namespace, c.o.SearchAttributes)
		}()
		if last == nil {
			return nil
		}
		for _, name := range TemporalServices {
			if m := c.member(name); m != nil && m.child.Exited() {
				return fmt.Errorf("cluster: temporal %s exited during startup (%s)\n--- %s ---\n%s", name, m.child.ExitDescription(), m.spec.LogPath, m.child.LogTail())
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: Temporal at %s not usable: %w (logs in %s)", c.FrontendAddress, last, filepath.Join(c.o.DataDir, "logs"))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// AppOptions configures StartApps.
type AppOptions struct {
	Textdesk string   // bin/textdesk
	Env      []string // every textdesk process's environment (per-process settings are added)
	APIs     int      // api replicas (default 2)
	Workers  int      // worker replicas (default 2)
}

// StartApps starts the emulator, the api replicas and their load balancer, and the
// workers, each a separate bin/textdesk process with its own addresses.
func (c *Cluster) StartApps(ctx context.Context, o AppOptions) error {
	if o.APIs == 0 {
		o.APIs = 2
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	if len(c.Ports.APIReplicas) < o.APIs || len(c.Ports.WorkerMetrics) < o.Workers {
		return errors.New("cluster: fewer ports than replicas")
	}
	base := append(slices.Clip(o.Env), c.TemporalEnv()...)
	base = append(base,
		"DATABASE_URL="+c.DatabaseURL,
		"PUBLIC_URL="+c.APIURL, // Twilio signs what it calls: the load balancer's URL
		"EMULATOR_ADDR="+hostPort(c.Ports.Emulator),
		"TWILIO_BASE_URL="+c.EmulatorURL,
	)
	app := func(name, cmd string, env []string, ready func(*member) func(context.Context) error) error {
		m := &member{spec: devstack.ChildSpec{Name: name, Path: o.Textdesk, Args: []string{cmd},
			Env: append(slices.Clip(base), env...), LogPath: c.logPath(name)}}
		m.ready = ready(m)
		return c.launch(ctx, m)
	}
	httpReady := func(url string) func(*member) func(context.Context) error {
		return func(m *member) func(context.Context) error {
			return func(ctx context.Context) error { return waitHTTP(ctx, url, m.child) }
		}
	}
	if err := app("emulator", "emulator", nil, httpReady(c.EmulatorURL+"/healthz")); err != nil {
		return err
	}
	var replicas []string
	for i := range o.APIs {
		addr := hostPort(c.Ports.APIReplicas[i])
		replicas = append(replicas, "http://"+addr)
		env := []string{"API_ADDR=" + addr, "API_INTERNAL_ADDR=" + hostPort(c.Ports.APIInternal[i]), "TRUSTED_PROXY=true", "WORKER_METRICS_ADDR="}
		if err := app(fmt.Sprintf("api-%d", i+1), "api", env, httpReady("http://"+addr+"/healthz")); err != nil {
			return err
		}
	}
	if err := c.startBalancer(replicas); err != nil {
		return err
	}
	for i := range o.Workers {
		addr := hostPort(c.Ports.WorkerMetrics[i])
		env := []string{"WORKER_METRICS_ADDR=" + addr, "API_INTERNAL_ADDR="}
		tcpReady := func(m *member) func(context.Context) error {
			return func(ctx context.Context) error { return waitTCP(ctx, addr, m.child) }
		}
		if err := app(fmt.Sprintf("worker-%d", i+1), "worker", env, tcpReady); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) startBalancer(replicas []string) error {
	lb, err := NewBalancer(replicas, c.o.Log)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", hostPort(c.Ports.API))
	if err != nil {
		return fmt.Errorf("cluster: load balancer on %s: %w", hostPort(c.Ports.API), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.lbStop = cancel
	go lb.CheckHealth(ctx, time.Second)
	c.lbSrv = &http.Server{Handler: lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.lbSrv.Serve(l) }()
	return nil
}

// launch starts m, records it, waits until it is ready, and watches it.
func (c *Cluster) launch(ctx context.Context, m *member) error {
	ch, err := devstack.StartChild(m.spec)
	if err != nil {
		return err
	}
	c.mu.Lock()
	m.child, m.expected = ch, false
	if _, known := c.members[m.spec.Name]; !known {
		c.order = append(c.order, m.spec.Name)
	}
	c.members[m.spec.Name] = m
	c.mu.Unlock()
	c.writePids()
	go c.watch(m, ch)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := m.ready(rctx); err != nil {
		return fmt.Errorf("cluster: %s not ready: %w\n--- last lines of %s ---\n%s", m.spec.Name, err, m.spec.LogPath, ch.LogTail())
	}
	c.o.Log.Debug("cluster: started", "process", m.spec.Name, "pid", ch.Pid())
	return nil
}

// watch reports a child's unexpected death loudly and, with AutoRestart, restarts it.
func (c *Cluster) watch(m *member, ch *devstack.Child) {
	<-ch.Done()
	c.mu.Lock()
	unexpected := !m.expected && !c.stopping && m.child == ch
	c.mu.Unlock()
	if !unexpected {
		return
	}
	c.o.Log.Error("cluster: PROCESS DIED UNEXPECTEDLY", "process", m.spec.Name, "pid", ch.Pid(), "exit", ch.ExitDescription(), "log", m.spec.LogPath)
	fmt.Fprintf(os.Stderr, "--- last lines of %s ---\n%s\n---\n", m.spec.LogPath, lastLines(ch.LogTail(), 15))
	if c.o.AutoRestart <= 0 {
		return
	}
	time.Sleep(c.o.AutoRestart)
	c.mu.Lock()
	skip := c.stopping || m.child != ch
	c.mu.Unlock()
	if skip {
		return
	}
	c.o.Log.Warn("cluster: restarting", "process", m.spec.Name)
	if err := c.launch(context.Background(), m); err != nil {
		c.o.Log.Error("cluster: restart failed", "process", m.spec.Name, "error", err)
	}
}

func (c *Cluster) member(name string) *member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[name]
}

// Names are the supervised processes in start order (postgres is separate).
func (c *Cluster) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.order)
}

// Pid is a supervised process's pid (0 if unknown or exited).
func (c *Cluster) Pid(name string) int {
	m := c.member(name)
	if m == nil || m.child.Exited() {
		return 0
	}
	return m.child.Pid()
}

// LogFile is where process name writes.
func (c *Cluster) LogFile(name string) string { return c.logPath(name) }

// Kill SIGKILLs a supervised process (a crash: no graceful shutdown).
func (c *Cluster) Kill(name string) error {
	m := c.member(name)
	if m == nil {
		return fmt.Errorf("cluster: no process %q", name)
	}
	c.mu.Lock()
	m.expected = true
	c.mu.Unlock()
	m.child.Kill()
	return nil
}

// Restart starts a killed or stopped process again with the same command line and
// environment and waits until it is ready.
func (c *Cluster) Restart(ctx context.Context, name string) error {
	m := c.member(name)
	if m == nil {
		return fmt.Errorf("cluster: no process %q", name)
	}
	if !m.child.Exited() {
		c.mu.Lock()
		m.expected = true
		c.mu.Unlock()
		_ = m.child.Stop(10 * time.Second)
	}
	return c.launch(ctx, m)
}

// RestartPostgres stops Postgres (fast shutdown) and starts it again on the same data
// directory and port after down; everything above reconnects on its own.
func (c *Cluster) RestartPostgres(ctx context.Context, down time.Duration) error {
	c.mu.Lock()
	c.pgRestarting = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.pgRestarting = false
		c.mu.Unlock()
	}()
	if err := c.PG.Stop(); err != nil {
		c.o.Log.Warn("cluster: postgres stop", "error", err)
	}
	time.Sleep(down)
	pg, err := devstack.StartPostgres(ctx, c.pgOpts)
	if err != nil {
		return err
	}
	c.PG = pg
	go c.watchPostgres(pg)
	return nil
}

// watchPostgres reports Postgres's unexpected death loudly (it is not restarted: the
// data directory may need a look first).
func (c *Cluster) watchPostgres(pg *devstack.Postgres) {
	done := pg.Done()
	if done == nil {
		return // a server this cluster did not start
	}
	<-done
	c.mu.Lock()
	expected := c.stopping || c.pgRestarting
	c.mu.Unlock()
	if !expected {
		c.o.Log.Error("cluster: POSTGRES DIED UNEXPECTEDLY: Temporal and textdesk will fail until it is back; restart make cluster", "log", c.pgOpts.LogFile)
	}
}

// Stop stops everything in reverse start order: workers, load balancer, api replicas,
// emulator, Temporal Web, Temporal's services, Postgres.
func (c *Cluster) Stop() {
	c.mu.Lock()
	c.stopping = true
	names := slices.Clone(c.order)
	c.mu.Unlock()
	slices.Reverse(names)
	for _, name := range names {
		if strings.HasPrefix(name, "api-") {
			c.stopBalancer() // before the replicas behind it
		}
		m := c.member(name)
		if err := m.child.Stop(15 * time.Second); err != nil {
			c.o.Log.Warn("cluster: stop", "process", name, "error", err)
		}
		c.o.Log.Debug("cluster: stopped", "process", name)
	}
	c.stopBalancer()
	if c.PG != nil {
		if err := c.PG.Stop(); err != nil {
			c.o.Log.Warn("cluster: stop postgres", "error", err)
		}
	}
	_ = os.Remove(filepath.Join(c.o.DataDir, "pids"))
}

func (c *Cluster) stopBalancer() {
	if c.lbSrv == nil {
		return
	}
	c.lbStop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.lbSrv.Shutdown(ctx) // open event streams are cut after the timeout
	_ = c.lbSrv.Close()
	c.lbSrv = nil
}

// writePids records name, pid and log file of every process in DataDir/pids, so that
// a piece can be killed by hand (docs/cluster.md).
func (c *Cluster) writePids() {
	c.mu.Lock()
	var b strings.Builder
	if c.PG != nil {
		fmt.Fprintf(&b, "postgres\t%s\t%s\n", pgPid(c.pgOpts.DataDir), c.pgOpts.LogFile)
	}
	for _, name := range c.order {
		m := c.members[name]
		fmt.Fprintf(&b, "%s\t%d\t%s\n", name, m.child.Pid(), m.spec.LogPath)
	}
	c.mu.Unlock()
	_ = os.WriteFile(filepath.Join(c.o.DataDir, "pids"), []byte(b.String()), 0o644)
}

func pgPid(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
}

func (c *Cluster) logPath(name string) string { return filepath.Join(c.o.DataDir, "logs", name+".log") }

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// fillPorts picks free ports for the zero ones and fails, naming the port, when a
// fixed public one is taken.
func fillPorts(p Ports) (Ports, error) {
	// Every fixed port but Postgres's (devstack reuses a postmaster still running on the
	// same data directory, and names the port otherwise).
	all := p.All()
	delete(all, "postgres")
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if port := all[name]; port != 0 && !portFree(port) {
			return p, fmt.Errorf("cluster: port %d (%s) on 127.0.0.1 is already in use: stop what uses it (a running `make dev` or `make cluster`?) and try again", port, name)
		}
	}
	free := func(v *int) error {
		if *v != 0 {
			return nil
		}
		port, err := devstack.FreePort()
		*v = port
		return err
	}
	var errs []error
	for _, v := range []*int{&p.Postgres, &p.UI, &p.API, &p.Emulator} {
		errs = append(errs, free(v))
	}
	// Temporal stores its services' ports in a smallint column (cluster_membership), so
	// they must stay below 32768, under the kernel's ephemeral range that FreePort uses.
	for _, v := range []*int{&p.Frontend, &p.FrontendHTTP, &p.FrontendMembership, &p.History, &p.HistoryMembership,
		&p.Matching, &p.MatchingMembership, &p.Worker, &p.WorkerMembership} {
		if *v == 0 {
			port, err := freeLowPort()
			*v = port
			errs = append(errs, err)
		}
	}
	for _, s := range [][]int{p.APIReplicas, p.APIInternal, p.WorkerMetrics} {
		for i := range s {
			errs = append(errs, free(&s[i]))
		}
	}
	return p, errors.Join(errs...)
}

// freeLowPort is a free port in [20000, 32768), tried at random.
func freeLowPort() (int, error) {
	lowPortsMu.Lock()
	defer lowPortsMu.Unlock()
	for range 200 {
		port := 20000 + rand.IntN(12768)
		if portFree(port) && !lowPortsTaken[port] {
			lowPortsTaken[port] = true
			return port, nil
		}
	}
	return 0, errors.New("cluster: no free port in 20000-32767")
}

// lowPortsTaken keeps one Start from handing out a port twice before anything binds it.
var (
	lowPortsMu    sync.Mutex
	lowPortsTaken = map[int]bool{}
)

func portFree(port int) bool {
	l, err := net.Listen("tcp", hostPort(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func waitTCP(ctx context.Context, addr string, ch *devstack.Child) error {
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if err := pause(ctx, ch); err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
	}
}

func waitHTTP(ctx context.Context, url string, ch *devstack.Child) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := pause(ctx, ch); err != nil {
			return fmt.Errorf("%s: %w", url, err)
		}
	}
}

func pause(ctx context.Context, ch *devstack.Child) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch.Done():
		return fmt.Errorf("exited (%s)", ch.ExitDescription())
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
