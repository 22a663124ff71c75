//go:build !production

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/cluster"
	"github.com/textdesk/textdesk/internal/demo"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/workflows"
)

// runCluster starts the production-shaped local stack (docs/cluster.md): Postgres,
// Temporal's four services as separate processes, Temporal Web, the emulator, two api
// replicas behind a load balancer and two workers. Ctrl-C stops everything in reverse
// order; data under TEXTDESK_CLUSTER_DIR (default .data/cluster) survives.
func runCluster(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	begin := time.Now()
	dataDir, err := filepath.Abs(envOr("TEXTDESK_CLUSTER_DIR", filepath.Join(".data", "cluster")))
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tlsOn := envOr("CLUSTER_TLS", "") == "1" || envOr("CLUSTER_TLS", "") == "true"
	ports := cluster.DefaultPorts(2, 2)
	// As in dev: payloads are encrypted with a dev key kept beside the cluster's data,
	// and Temporal Web decodes them through the api's codec endpoint (behind the load
	// balancer) for an admin signed in to the console.
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if cfg.PayloadEncryption != "off" && cfg.PayloadKeys == "" && cfg.PayloadKeysFile == "" {
		keyFile, err := devPayloadKey(filepath.Join(dataDir, "payload-key"))
		if err != nil {
			return err
		}
		os.Setenv("TEXTDESK_PAYLOAD_KEYS_FILE", keyFile) // the api and worker replicas inherit it
	}
	codec := envOr("CLUSTER_CODEC_ENDPOINT", fmt.Sprintf("http://127.0.0.1:%d/codec", ports.API))
	c, err := cluster.Start(context.WithoutCancel(ctx), cluster.Options{
		DataDir: dataDir, BinDir: filepath.Dir(self), Ports: ports,
		Namespace: cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributes(),
		UI: true, Codec: codec, TLS: tlsOn,
		AutoRestart: 5 * time.Second, Log: log,
	})
	if err != nil {
		return err
	}
	defer func() {
		log.Info("cluster: stopping everything (reverse order)")
		c.Stop()
		log.Info("cluster: stopped")
	}()
	cfg.DatabaseURL = c.DatabaseURL
	cfg.TemporalAddress = c.FrontendAddress
	cfg.PublicURL = c.APIURL
	cfg.EmulatorAddr = strings.TrimPrefix(c.EmulatorURL, "http://")
	if err := migrations.Up(ctx, cfg.DatabaseURL, log); err != nil {
		return err
	}
	envFile := filepath.Join(dataDir, "demo.env")
	env, err := seed(ctx, cfg, envFile)
	if err != nil {
		return err
	}
	// The textdesk processes get this process's environment (dev defaults applied)
	// minus what the cluster sets per process.
	var base []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "PUBLIC_URL", "API_ADDR", "API_INTERNAL_ADDR",
			"WORKER_METRICS_ADDR", "EMULATOR_ADDR", "TWILIO_BASE_URL", "TRUSTED_PROXY":
			continue
		}
		base = append(base, kv)
	}
	if err := c.StartApps(ctx, cluster.AppOptions{Textdesk: self, Env: base}); err != nil {
		return err
	}
	tlsNote := ""
	if tlsOn {
		tlsNote = fmt.Sprintf("\n  Temporal mTLS  client cert %s (CA %s, server name %s)", c.TLSFiles.ClientCert, c.TLSFiles.CA, c.TLSFiles.ServerName)
	}
	fmt.Fprintf(os.Stderr, `
textdesk cluster is running (%s to start; Ctrl-C stops everything). See docs/cluster.md.
  Console        %s   (sign in as TEXTDESK_AGENT_EMAIL / TEXTDESK_AGENT_PASSWORD from %s)
  API            %s   (load balancer over api-1 %s and api-2 %s)
  Temporal Web   %s   (gRPC frontend %s; history, matching, worker services separate)%s
  Twilio emu     %s
  Postgres       %s
  Processes      %s   (name, pid, log; e.g. kill -9 a worker and watch the other take over)
  Demo team      %s  number %s
Try it:
  source %s
  curl -s -X POST $TEXTDESK_EMULATOR_URL/emulator/inbound -H 'Content-Type: application/json' \
    -d '{"from":"+14155550123","to":"%s","body":"Hello!"}'
  curl -s -H "Authorization: Bearer $TEXTDESK_AGENT_TOKEN" $TEXTDESK_URL/v1/conversations

`, time.Since(begin).Round(100*time.Millisecond), env.URL, envFile, c.APIURL,
		fmt.Sprintf("127.0.0.1:%d", c.Ports.APIReplicas[0]), fmt.Sprintf("127.0.0.1:%d", c.Ports.APIReplicas[1]),
		c.UIURL, c.FrontendAddress, tlsNote, c.EmulatorURL, c.DatabaseURL, filepath.Join(dataDir, "pids"),
		env.TeamID, demo.Number, envFile, demo.Number)
	<-ctx.Done()
	return nil
}
