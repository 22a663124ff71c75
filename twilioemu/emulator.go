// Package twilioemu is a local Twilio emulator for development and tests.
//
// It speaks the subset of Twilio's REST API that twilio-go uses for
// Messages (create, fetch, list), sends signed status callbacks, and can
// simulate inbound SMS by calling the product's webhook, so the product's
// unmodified twilio-go client works against it.
package twilioemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config configures an Emulator.
type Config struct {
	// AccountSID is required; requests must use it in the path and as the
	// basic-auth username.
	AccountSID string
	// AuthToken is the basic-auth password and the key that signs
	// callbacks and webhooks.
	AuthToken string
	// WebhookURL is the product's inbound-message webhook.
	WebhookURL string
	// CallbackDelay is the pause between status transitions (default 50ms).
	CallbackDelay time.Duration
	// HTTPClient sends callbacks and webhooks (default: 10s timeout).
	HTTPClient *http.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Faults to inject from the start (see Faults; zero: none). New panics if they
	// are invalid; check them with Faults.Validate or ParseFaults first.
	Faults Faults
}

// Emulator is an http.Handler emulating Twilio's Messages API.
type Emulator struct {
	cfg    Config
	log    *slog.Logger
	store  *store
	faults *faults
	mux    *http.ServeMux

	// Background work (status lifecycles) runs under ctx and is tracked by
	// wg so Close can cancel and wait for it.
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	wg     sync.WaitGroup
}

// New returns an Emulator. It panics if cfg.AccountSID is empty, because
// every request would then fail authentication in confusing ways.
func New(cfg Config) *Emulator {
	if cfg.AccountSID == "" {
		panic("twilioemu: Config.AccountSID is required")
	}
	if cfg.CallbackDelay <= 0 {
		cfg.CallbackDelay = 50 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Faults.Validate(); err != nil {
		panic("twilioemu: Config.Faults: " + err.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "twilioemu"),
		store:  newStore(),
		faults: &faults{},
		ctx:    ctx,
		cancel: cancel,
	}
	e.faults.set(cfg.Faults)
	e.mux = e.routes()
	return e
}

func (e *Emulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/2010-04-01/", e.serveREST)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("POST /emulator/inbound", e.handleControlInbound)
	mux.HandleFunc("GET /emulator/messages", e.handleControlMessages)
	mux.HandleFunc("POST /emulator/reset", e.handleControlReset)
	mux.HandleFunc("GET /emulator/faults", e.handleGetFaults)
	mux.HandleFunc("POST /emulator/faults", e.handleSetFaults)
	mux.HandleFunc("DELETE /emulator/faults", e.handleClearFaults)
	return mux
}

// SetFaults replaces the injected faults (the zero Faults clears them).
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("twilioemu: faults: %w", err)
	}
	e.faults.set(f)
	return nil
}

// Faults returns the faults being injected.
func (e *Emulator) Faults() Faults { return e.faults.get() }

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// ListenAndServe serves on addr until ctx is done, then shuts down
// gracefully. It does not Close the emulator; callers do that.
func (e *Emulator) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
	}
	e.log.Info("listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shutErr := srv.Shutdown(shutCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return shutErr
}

// Close stops background status callbacks and waits for them to finish.
// Messages created afterwards are recorded but get no lifecycle.
func (e *Emulator) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
}

// goBackground runs fn on a tracked goroutine unless the emulator is closed.
func (e *Emulator) goBackground(fn func(ctx context.Context)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		fn(e.ctx)
	}()
	return true
}
