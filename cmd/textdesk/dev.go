//go:build !production

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/internal/demo"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/internal/payloadcrypt"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Dev-only credentials for the local Twilio emulator. They are not secrets and
// authenticate nothing outside this machine.
const (
	devAccountSID = "ACdev0000000000000000000000000000"
	devAuthToken  = "devOnlyEmulatorAuthToken0000000"
	devPGPort     = 55432 // away from 5432 so a distribution's Postgres does not clash
)

// applyDevDefaults fills in what `textdesk dev` needs and the user did not set.
func applyDevDefaults() {
	setDefault := func(k, v string) {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	setDefault("TWILIO_ACCOUNT_SID", devAccountSID)
	setDefault("TWILIO_AUTH_TOKEN", devAuthToken)
	// Dev only, as the token above: anyone reading this repository knows it.
	setDefault("TEXTDESK_CALLER_KEY", "dev-only-caller-key-not-a-secret-0123456789")
	setDefault("EMULATOR_ADDR", "127.0.0.1:8081")
	setDefault("TWILIO_BASE_URL", "http://"+os.Getenv("EMULATOR_ADDR"))
	// The dev server's web UI, which decodes payloads through the api's /codec.
	setDefault("TEMPORAL_WEB_ORIGIN", "http://127.0.0.1:8233,http://localhost:8233")
}

// devPayloadKey makes sure dev has a payload key: the one in file, created (0600) on
// the first run and kept, so a restarted dev still reads the workflows of the last.
// It returns file; the key never leaves it.
func devPayloadKey(file string) (string, error) {
	if _, err := os.Stat(file); err == nil {
		return file, nil
	}
	entry, err := payloadcrypt.NewKeyEntry("dev-" + time.Now().UTC().Format("20060102"))
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create the dev payload key: %w", err)
	}
	if _, err := f.WriteString(entry + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write the dev payload key %s: %w", file, err)
	}
	return file, f.Close()
}

// runDev starts the whole stack in the foreground; Ctrl-C stops everything it started,
// in reverse order. Data lives under TEXTDESK_DATA_DIR (default .data) and survives.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	dataDir, err := filepath.Abs(envOr("TEXTDESK_DATA_DIR", ".data"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if cfg.PayloadEncryption != "off" && cfg.PayloadKeys == "" && cfg.PayloadKeysFile == "" {
		if cfg.PayloadKeysFile, err = devPayloadKey(filepath.Join(dataDir, "payload-key")); err != nil {
			return err
		}
		log.Info("payloads in Temporal are encrypted with the dev key", "file", cfg.PayloadKeysFile)
	}
	// Infrastructure must outlive the Ctrl-C context long enough to stop cleanly.
	infra := context.WithoutCancel(ctx)

	if cfg.DatabaseURL == "" {
		log.Info("starting Postgres", "data", filepath.Join(dataDir, "postgres"), "port", devPGPort)
		pg, err := devstack.StartPostgres(infra, devstack.PostgresOptions{DataDir: filepath.Join(dataDir, "postgres"), Port: devPGPort})
		if err != nil {
			return err
		}
		defer stopLogged(log, "postgres", pg.Stop)
		cfg.DatabaseURL = pg.URL
	}

	if os.Getenv("TEMPORAL_ADDRESS") != "" || temporalAlreadyUp(ctx, cfg) {
		log.Info("using running Temporal server", "addr", cfg.TemporalAddress)
	} else {
		log.Info("starting Temporal dev server", "db", filepath.Join(dataDir, "temporal.db"))
		t, err := devstack.StartTemporal(infra, devstack.TemporalOptions{
			DBFile:           filepath.Join(dataDir, "temporal.db"),
			Port:             7233,
			UIPort:           8233,
			UICodecEndpoint:  cfg.PublicURL + "/codec",
			Namespace:        cfg.TemporalNamespace,
			SearchAttributes: workflows.SearchAttributes(),
		})
		if err != nil {
			return err
		}
		defer stopLogged(log, "temporal", t.Stop)
		cfg.TemporalAddress = t.Address
	}

	// The database migrations, and the search attributes on a server we did not start
	// (through the same TEMPORAL_* connection settings as api and worker).
	if err := app.Migrate(ctx, cfg, log, app.MigrateOptions{}); err != nil {
		return err
	}
	envFile := filepath.Join(dataDir, "demo.env")
	env, err := seed(ctx, cfg, envFile)
	if err != nil {
		return err
	}

	// api, worker metrics and emulator run in this one process, each on its own port.
	if a := cfg.WorkerMetricsAddr; a != "" && (a == cfg.APIAddr || a == cfg.EmulatorAddr || a == cfg.APIInternalAddr) {
		return fmt.Errorf("WORKER_METRICS_ADDR %s is also the API's (public or internal) or the emulator's address", a)
	}
	if a := cfg.APIInternalAddr; a != "" && a == cfg.EmulatorAddr {
		return fmt.Errorf("API_INTERNAL_ADDR %s is also the emulator's address", a)
	}

	g, gctx := errgroup.WithContext(ctx)
	apiReady := make(chan string, 1)
	g.Go(func() error { return app.RunEmulator(gctx, cfg, log) })
	g.Go(func() error { return app.RunAPI(gctx, cfg, log, apiReady) })
	g.Go(func() error { return app.RunWorker(gctx, cfg, log) })
	select {
	case <-apiReady:
		fmt.Fprintf(os.Stderr, `
textdesk is running (Ctrl-C stops everything).
  Console        %s   (sign in as TEXTDESK_AGENT_EMAIL / TEXTDESK_AGENT_PASSWORD from %s)
  API            %s
  Metrics        %s (api; also its detailed /readyz) · %s (worker)
  Temporal Web   http://127.0.0.1:8233   (gRPC %s; payloads are encrypted: to read them, sign in to the
                 console as the admin and tick "Include cross-origin credentials" in Temporal Web's
                 Codec Server settings; CLI: --codec-endpoint %s/codec --codec-auth "Bearer $TEXTDESK_ADMIN_TOKEN")
  Twilio emu     %s
  Demo team      %s  number %s
Try it:
  source %s
  curl -s -X POST $TEXTDESK_EMULATOR_URL/emulator/inbound -H 'Content-Type: application/json' \
    -d '{"from":"+14155550123","to":"%s","body":"Hello!"}'
  curl -s -H "Authorization: Bearer $TEXTDESK_AGENT_TOKEN" $TEXTDESK_URL/v1/conversations

`, env.URL, envFile, env.URL, apiMetricsURL(cfg), workerMetricsURL(cfg), cfg.TemporalAddress, env.URL, env.EmulatorURL, env.TeamID, demo.Number, envFile, demo.Number)
	case <-gctx.Done():
	}
	return g.Wait()
}

func seed(ctx context.Context, cfg config.Config, envFile string) (demo.Env, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return demo.Env{}, err
	}
	defer st.Close()
	return demo.Seed(ctx, st, envFile, demo.Env{
		URL:         cfg.PublicURL,
		EmulatorURL: "http://" + cfg.EmulatorAddr,
		AccountSID:  cfg.TwilioAccountSID,
		AuthToken:   cfg.TwilioAuthToken,
	})
}

// temporalAlreadyUp reports whether a Temporal server (say, a previous `make dev`'s)
// already answers at the configured address, so a second `make dev` reuses it.
func temporalAlreadyUp(ctx context.Context, cfg config.Config) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := app.DialTemporal(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func stopLogged(log *slog.Logger, name string, stop func() error) {
	if err := stop(); err != nil {
		log.Error("stop "+name, "error", err)
		return
	}
	log.Info("stopped " + name)
}

func apiMetricsURL(cfg config.Config) string {
	if cfg.APIInternalAddr == "" {
		return "off"
	}
	return "http://" + cfg.APIInternalAddr + "/metrics"
}

func workerMetricsURL(cfg config.Config) string {
	if cfg.WorkerMetricsAddr == "" {
		return "off"
	}
	return "http://" + cfg.WorkerMetricsAddr + "/metrics"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
