// Package app assembles textdesk's processes (api, worker, emulator) from a Config.
// The single-purpose subcommands, `textdesk dev` and the integration tests all start
// them through here, so there is one wiring to keep right.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/api"
	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/dispatch"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/worker"
)

// DialTemporal connects to the Temporal frontend named in cfg.
func DialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(log.With("component", "temporal")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// connect opens what both api and worker need: Postgres, Temporal, and the dispatcher
// that reaches conversation workflows through them.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, client.Client, *dispatch.Dispatcher, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	tc, err := DialTemporal(ctx, cfg, log)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	d := &dispatch.Dispatcher{Store: st, Temporal: tc, TaskQueue: cfg.TaskQueue, ContinueAsNewAfter: cfg.ContinueAsNewAfter}
	return st, tc, d, nil
}

// RunAPI serves the HTTP API on cfg.APIAddr until ctx is done. If ready is not nil it
// receives the bound address once the listener is open.
func RunAPI(ctx context.Context, cfg config.Config, log *slog.Logger, ready chan<- string) (err error) {
	defer func() { err = ignoreShutdown(ctx, err) }()
	if err := cfg.Require("DATABASE_URL", "TWILIO_AUTH_TOKEN"); err != nil {
		return err
	}
	st, tc, d, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	defer tc.Close()

	srv := &api.Server{
		Store:           st,
		Temporal:        tc,
		Dispatch:        d,
		PublicURL:       cfg.PublicURL,
		TwilioAuthToken: cfg.TwilioAuthToken,
		Log:             log.With("component", "api"),
		Stopping:        ctx.Done(),
	}
	srv.Webhooks = api.WebhookOptions{SecondaryAuthToken: cfg.TwilioAuthTokenSecondary, TrustedProxy: cfg.TrustedProxy}
	return serveHTTP(ctx, cfg.APIAddr, srv.Handler(), log.With("component", "api"), ready)
}

// RunWorker runs the Temporal worker until ctx is done.
func RunWorker(ctx context.Context, cfg config.Config, log *slog.Logger) (err error) {
	defer func() { err = ignoreShutdown(ctx, err) }()
	if err := cfg.Require("DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"); err != nil {
		return err
	}
	st, tc, d, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	defer tc.Close()

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
	}
	w := worker.New(tc, cfg.TaskQueue, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker started", "task_queue", cfg.TaskQueue, "temporal", cfg.TemporalAddress)
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		pruneAgentEvents(ctx, st, cfg.EventRetention, time.Hour, log)
	}()
	<-ctx.Done()
	w.Stop()
	<-pruned
	return nil
}

// pruneAgentEvents deletes agent events older than retention now and every interval
// until ctx is done. Several workers may do it at once: a delete is harmless twice.
func pruneAgentEvents(ctx context.Context, st *store.Store, retention, interval time.Duration, log *slog.Logger) {
	const batch = 10_000
	for {
		var total int64
		for {
			n, err := st.PruneAgentEvents(ctx, time.Now().Add(-retention), batch)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("pruning agent events", "err", err)
				}
				break
			}
			if n < batch {
				break
			}
		}
		if total > 0 {
			log.Info("pruned agent events", "deleted", total, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// RunEmulator serves the Twilio emulator on cfg.EmulatorAddr until ctx is done.
func RunEmulator(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := cfg.Require("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"); err != nil {
		return err
	}
	var faults twilioemu.Faults
	if cfg.EmulatorFaults != "" {
		f, err := twilioemu.ParseFaults([]byte(cfg.EmulatorFaults))
		if err != nil {
			return fmt.Errorf("EMULATOR_FAULTS: %w", err)
		}
		faults = f
	}
	emu := twilioemu.New(twilioemu.Config{
		AccountSID: cfg.TwilioAccountSID,
		AuthToken:  cfg.TwilioAuthToken,
		WebhookURL: cfg.PublicURL + "/webhooks/twilio/messages",
		Logger:     log.With("component", "emulator"),
		Faults:     faults,
	})
	defer emu.Close()
	log.Info("twilio emulator listening", "addr", cfg.EmulatorAddr, "webhook", cfg.PublicURL+"/webhooks/twilio/messages")
	return emu.ListenAndServe(ctx, cfg.EmulatorAddr)
}

// serveHTTP serves h on addr until ctx is done, then drains in-flight requests.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("http listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
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
