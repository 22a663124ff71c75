// Package app assembles textdesk's processes (api, worker, emulator) from a Config.
// The single-purpose subcommands, `textdesk dev` and the integration tests all start
// them through here, so there is one wiring to keep right.
package app

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/api"
	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/dispatch"
	"github.com/textdesk/textdesk/internal/searchattrs"
	"github.com/textdesk/textdesk/internal/telemetry"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/worker"
	"github.com/textdesk/textdesk/workflows"
)

// DialTemporal connects to the Temporal frontend named in cfg, without metrics.
func DialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger) (client.Client, error) {
	return dialTemporal(ctx, cfg, log, nil)
}

// dialTemporal connects to Temporal with the SDK's metrics going to metrics (nil: none).
func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := temporalOptions(cfg, log, metrics)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s, %s): %w", cfg.TemporalAddress, cfg.TemporalNamespace, describeSecurity(opts), err)
	}
	return c, nil
}

// temporalOptions are the options of every Temporal client textdesk makes: where and
// how to connect (cfg's address, namespace and connection profile: TLS, client
// certificate, API key), our logger and the SDK metrics (nil: none). Client-wide
// options (data converter, interceptors) are set here too.
func temporalOptions(cfg config.Config, log *slog.Logger, metrics client.MetricsHandler) (client.Options, error) {
	prof := cfg.TemporalConnection
	prof.Address, prof.Namespace = cfg.TemporalAddress, cfg.TemporalNamespace
	// envconfig v0.1.0 refuses a server CA given as data (only a path passes its
	// check): take the data out and add it to the TLS config ourselves.
	var caData []byte
	if prof.TLS != nil && len(prof.TLS.ServerCACertData) > 0 && prof.TLS.ServerCACertPath == "" {
		t := *prof.TLS
		caData, t.ServerCACertData = t.ServerCACertData, nil
		prof.TLS = &t
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal connection settings (TEMPORAL_TLS_*, TEMPORAL_API_KEY, TEMPORAL_PROFILE): %w", err)
	}
	if caData != nil && opts.ConnectionOptions.TLS != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caData) {
			return client.Options{}, errors.New("TEMPORAL_TLS_SERVER_CA_CERT_DATA holds no PEM certificate")
		}
		opts.ConnectionOptions.TLS.RootCAs = pool
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal"))
	opts.MetricsHandler = metrics
	if opts.Interceptors, err = telemetry.TemporalInterceptors(); err != nil { // tracing, when on
		return client.Options{}, err
	}
	if err := EncryptPayloads(cfg, &opts); err != nil {
		return client.Options{}, err
	}
	return opts, nil
}

// describeSecurity names how a client connects, for error messages (no secrets).
func describeSecurity(opts client.Options) string {
	t := opts.ConnectionOptions.TLS
	switch {
	case t == nil && opts.Credentials != nil:
		return "plain gRPC with an API key"
	case t == nil:
		return "plain gRPC"
	case len(t.Certificates) > 0:
		return "mTLS"
	case opts.Credentials != nil:
		return "TLS with an API key"
	}
	return "TLS"
}

// connection is what both api and worker need: Postgres, Temporal (its SDK metrics in
// the process's registry), and the dispatcher that reaches conversation workflows
// through them.
type connection struct {
	store    *store.Store
	temporal client.Client
	dispatch *dispatch.Dispatcher
	metrics  *prometheus.Registry
	flush    io.Closer // the SDK metrics' reporting
}

// connect opens a connection for process ("api" or "worker", the process label of
// its Temporal metrics).
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, process string) (*connection, error) {
	var opts []store.Option
	if telemetry.TracingOn() {
		opts = append(opts, store.WithTracing())
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, opts...)
	if err != nil {
		return nil, err
	}
	reg := telemetry.NewRegistry()
	handler, flush := telemetry.TemporalMetrics(reg, process, log.With("component", "metrics"))
	tc, err := dialTemporal(ctx, cfg, log, handler)
	if err != nil {
		_ = flush.Close() // reports nothing yet: nothing to lose
		st.Close()
		return nil, err
	}
	d := &dispatch.Dispatcher{Store: st, Temporal: tc, TaskQueue: cfg.TaskQueue, ContinueAsNewAfter: cfg.ContinueAsNewAfter,
		CallerKey: []byte(cfg.CallerKey), IntakeLimit: cfg.IntakeLimit, IntakeWindow: cfg.IntakeWindow, CallTimeout: cfg.WorkflowCallTimeout}
	return &connection{store: st, temporal: tc, dispatch: d, metrics: reg, flush: flush}, nil
}

func (c *connection) Close() {
	c.temporal.Close()
	_ = c.flush.Close() // the last metrics report; the process is stopping
	c.store.Close()
}

// RunAPI serves the HTTP API on cfg.APIAddr until ctx is done. If ready is not nil it
// receives the bound address once the listener is open.
func RunAPI(ctx context.Context, cfg config.Config, log *slog.Logger, ready chan<- string) (err error) {
	defer func() { err = ignoreShutdown(ctx, err) }()
	if err := cfg.Require("DATABASE_URL", "TWILIO_AUTH_TOKEN", "TEXTDESK_CALLER_KEY"); err != nil {
		return err
	}
	codec, err := PayloadCodec(cfg)
	if err != nil {
		return err
	}
	stopTracing, err := startTracing(ctx, cfg, "api")
	if err != nil {
		return err
	}
	defer stopTracing(log)
	conn, err := connect(ctx, cfg, log, "api")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := requireSearchAttributes(ctx, conn.temporal, cfg.TemporalNamespace); err != nil {
		return err
	}

	srv := &api.Server{
		Store:           conn.store,
		Temporal:        conn.temporal,
		Dispatch:        conn.dispatch,
		Metrics:         conn.metrics,
		PublicURL:       cfg.PublicURL,
		TwilioAuthToken: cfg.TwilioAuthToken,
		Log:             log.With("component", "api"),
		Stopping:        ctx.Done(),
		SessionIdle:     cfg.SessionIdleTimeout,
		SessionLifetime: cfg.SessionLifetime,
		WriteTimeout:    cfg.WriteTimeout,
		SearchAttributes: func(ctx context.Context) error {
			return searchattrs.Require(ctx, conn.temporal, cfg.TemporalNamespace, workflows.SearchAttributes())
		},
		Limits: api.Limits{PerMinute: cfg.RateLimit, ExpensivePerMinute: cfg.ExpensiveRateLimit,
			StreamsPerUser: cfg.MaxStreamsPerUser, DailySendQuota: cfg.DailySendQuota, SearchContacts: cfg.SearchMaxContacts},
	}
	if codec != nil { // a nil *Codec in the interface would not read as none
		srv.PayloadCodec = codec
	}
	srv.TemporalWebOrigins = cfg.TemporalWebOrigins
	srv.DefaultSendRate = cfg.SendRate
	srv.Webhooks = api.WebhookOptions{SecondaryAuthToken: cfg.TwilioAuthTokenSecondary, TrustedProxy: cfg.TrustedProxy}
	public := srv.Handler()
	if cfg.APIInternalAddr == "" {
		return serveHTTP(ctx, cfg.APIAddr, public, log.With("component", "api"), ready, apiTimeouts(cfg))
	}
	// Listen on both before reporting ready, so that an address in use fails the start.
	iln, err := net.Listen("tcp", cfg.APIInternalAddr)
	if err != nil {
		return fmt.Errorf("API_INTERNAL_ADDR: listen on %s: %w", cfg.APIInternalAddr, err)
	}
	ilog := log.With("component", "api-internal")
	ilog.Info("serving metrics and detailed readiness", "url", "http://"+iln.Addr().String())
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	internalDone := make(chan error, 1)
	go func() { internalDone <- serve(sctx, iln, srv.InternalHandler(), timeouts{}) }()
	err = serveHTTP(sctx, cfg.APIAddr, public, log.With("component", "api"), ready, apiTimeouts(cfg))
	cancel()
	if ierr := <-internalDone; err == nil && ierr != nil {
		err = fmt.Errorf("internal address %s: %w", cfg.APIInternalAddr, ierr)
	}
	return err
}

// RunWorker runs the Temporal worker until ctx is done (SIGTERM: in-flight activities
// get cfg.WorkerStopTimeout to finish) or the worker fails for good, which it returns,
// so that the process exits non-zero and its orchestrator restarts it. It serves
// metrics, /healthz and /readyz at cfg.WorkerMetricsAddr unless that is empty.
func RunWorker(ctx context.Context, cfg config.Config, log *slog.Logger) (err error) {
	defer func() { err = ignoreShutdown(ctx, err) }()
	if err := cfg.Require("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TEXTDESK_CALLER_KEY"); err != nil {
		return err
	}
	workflows.SetCallerKey([]byte(cfg.CallerKey))
	stopTracing, err := startTracing(ctx, cfg, "worker")
	if err != nil {
		return err
	}
	defer stopTracing(log)
	conn, err := connect(ctx, cfg, log, "worker")
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.metrics.MustRegister(activities.Collectors()...)
	st, tc, d := conn.store, conn.temporal, conn.dispatch
	if err := requireSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}

	acts := &activities.Activities{
		Store: st,
		Twilio: sms.NewClient(sms.Config{
			BaseURL:    cfg.TwilioBaseURL,
			AccountSID: cfg.TwilioAccountSID,
			AuthToken:  cfg.TwilioAuthToken,
		}),
		Dispatch:          d,
		StatusCallbackURL: cfg.PublicURL + "/webhooks/twilio/status",
		DefaultSendRate:   cfg.SendRate,
		ValidityPeriod:    cfg.ValidityPeriod,
		DailySendQuota:    cfg.DailySendQuota,
		EventRetention:    cfg.EventRetention,
	}
	fatal := make(chan error, 1)
	w := worker.New(tc, cfg.TaskQueue, acts, worker.Lifecycle{
		StopTimeout:  cfg.WorkerStopTimeout,
		OnFatalError: func(err error) { fatal <- err }, // called once
	})
	var started atomic.Bool
	health := &workerHealth{store: st, temporal: tc, started: &started}
	metricsDone := make(chan error, 1)
	sctx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	if cfg.WorkerMetricsAddr == "" {
		metricsDone <- nil
	} else {
		// Listen before going on, so that an address in use fails the worker at start.
		ln, err := net.Listen("tcp", cfg.WorkerMetricsAddr)
		if err != nil {
			return fmt.Errorf("WORKER_METRICS_ADDR: listen on %s: %w", cfg.WorkerMetricsAddr, err)
		}
		mlog := log.With("component", "worker-metrics")
		mlog.Info("serving metrics, /healthz and /readyz", "url", "http://"+ln.Addr().String())
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", telemetry.Handler(conn.metrics, mlog))
		mux.HandleFunc("GET /healthz", health.healthz)
		mux.HandleFunc("GET /readyz", health.readyz)
		go func() {
			err := serve(sctx, ln, mux, timeouts{read: 10 * time.Second, write: 30 * time.Second, idle: 2 * time.Minute})
			if err != nil {
				mlog.Error("metrics server stopped", "error", err)
			}
			metricsDone <- err
		}()
	}
	if err := w.Start(); err != nil {
		stopServing()
		if merr := <-metricsDone; merr != nil {
			log.Warn("metrics server", "error", merr) // the start's error is the one to report
		}
		return fmt.Errorf("start worker on task queue %s: %w", cfg.TaskQueue, err)
	}
	started.Store(true)
	log.Info("worker started", "task_queue", cfg.TaskQueue, "temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace)
	if err := ensurePruneSchedule(ctx, tc, cfg.TaskQueue, log); err != nil && ctx.Err() == nil {
		// Not fatal: pruning waits for the next worker start; serving texts must not.
		log.Error("prune schedule", "error", err)
	}
	released := make(chan struct{})
	go func() {
		defer close(released)
		releaseParked(sctx, conn.dispatch, time.Second, log)
	}()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping worker: draining in-flight activities", "stop_timeout", cfg.WorkerStopTimeout)
	case err := <-fatal:
		runErr = fmt.Errorf("worker stopped on a fatal error (task queue %s, namespace %s): %w", cfg.TaskQueue, cfg.TemporalNamespace, err)
		log.Error("worker failed", "error", err)
	}
	started.Store(false)
	w.Stop() // after a fatal error the SDK stops it too; Stop is idempotent
	stopServing()
	<-released
	if merr := <-metricsDone; runErr == nil {
		runErr = merr
	}
	if runErr != nil {
		return runErr // a fatal error is a failure even while shutting down
	}
	return nil
}

// startTracing starts exporting spans when cfg configures OTLP (telemetry.StartTracing)
// and returns what flushes them at the end, bounded by 5 s: ctx is done by then.
func startTracing(ctx context.Context, cfg config.Config, process string) (stop func(*slog.Logger), err error) {
	shutdown, err := telemetry.StartTracing(ctx, telemetry.TracingOptions{
		Enabled: cfg.TracingEnabled(), ServiceName: cmp.Or(cfg.OTelServiceName, "textdesk-"+process)})
	if err != nil {
		return nil, err
	}
	return func(log *slog.Logger) {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(flush); err != nil {
			log.Warn("flushing traces", "error", err)
		}
	}, nil
}

// releaseParked hands texts parked by the intake limit to their conversations, every
// interval until ctx is done (dispatch.ReleaseParked). The parked rows are the durable
// queue: a worker that dies mid-way leaves them for the next pass, of any worker.
func releaseParked(ctx context.Context, d *dispatch.Dispatcher, interval time.Duration, log *slog.Logger) {
	for {
		if n, err := d.ReleaseParked(ctx); err != nil && ctx.Err() == nil {
			log.Warn("releasing parked texts", "error", err)
		} else if n > 0 {
			log.Info("released parked texts", "released", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// serveHTTP serves h on addr until ctx is done, then drains in-flight requests.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready chan<- string, t timeouts) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info("http listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return serve(ctx, ln, h, t)
}

// timeouts are an http.Server's; zero fields: ReadHeaderTimeout 10 s, no other.
type timeouts struct{ readHeader, read, write, idle time.Duration }

// apiTimeouts bound how long a slow or idle client holds an api connection (the
// event stream lifts the read and write deadlines for itself).
func apiTimeouts(cfg config.Config) timeouts {
	return timeouts{readHeader: cfg.ReadHeaderTimeout, read: cfg.ReadTimeout, write: cfg.WriteTimeout, idle: cfg.IdleTimeout}
}

// serve serves h on ln until ctx is done, then drains in-flight requests.
func serve(ctx context.Context, ln net.Listener, h http.Handler, t timeouts) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: cmp.Or(t.readHeader, 10*time.Second),
		ReadTimeout: t.read, WriteTimeout: t.write, IdleTimeout: t.idle}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ignoreShutdown drops the error of a start-up interrupted by shutdown: stopping a
// process before it was ready is not a failure.
func ignoreShutdown(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
