package config

import (
	"strings"
	"testing"
	"time"
)

func TestFromEnvMessagingSettings(t *testing.T) {
	t.Setenv("TWILIO_AUTH_TOKEN_SECONDARY", "newToken123")
	t.Setenv("TRUSTED_PROXY", "true")
	t.Setenv("SMS_DEFAULT_SEND_RATE", "2.5")
	t.Setenv("SMS_VALIDITY_PERIOD", "90m")
	t.Setenv("EMULATOR_FAULTS", `{"duplicate_inbound":1}`)
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.TwilioAuthTokenSecondary != "newToken123" || !c.TrustedProxy || c.SendRate != 2.5 ||
		c.ValidityPeriod != 90*time.Minute || c.EmulatorFaults != `{"duplicate_inbound":1}` {
		t.Errorf("config = %+v", c)
	}
}

func TestFromEnvDefaultsAndRefusals(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionIdleTimeout != 12*time.Hour || c.SessionLifetime != 7*24*time.Hour {
		t.Errorf("session defaults = idle %s, lifetime %s", c.SessionIdleTimeout, c.SessionLifetime)
	}
	if c.SendRate != 1 || c.ValidityPeriod != 4*time.Hour || c.TrustedProxy || c.EventRetention != 30*24*time.Hour {
		t.Errorf("defaults = rate %v validity %s proxy %v", c.SendRate, c.ValidityPeriod, c.TrustedProxy)
	}
	for name, value := range map[string]string{
		"SMS_DEFAULT_SEND_RATE":         "0",
		"SMS_VALIDITY_PERIOD":           "11h",
		"TWILIO_AUTH_TOKEN_SECONDARY":   "not-alphanumeric",
		"TEXTDESK_EVENT_RETENTION":      "5m",
		"TEXTDESK_SESSION_IDLE_TIMEOUT": "1m",
		"TEXTDESK_SESSION_LIFETIME":     "1h", // shorter than the default idle timeout
		"TEXTDESK_PAYLOAD_ENCRYPTION":   "false",
		"TEMPORAL_WEB_ORIGIN":           "http://127.0.0.1:8233/namespaces",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: err %v; want it named", name, value, err)
			}
		})
	}
}

func TestFromEnvPayloadEncryption(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.PayloadEncryption != "on" || len(c.TemporalWebOrigins) != 0 {
		t.Errorf("defaults: encryption %q, Temporal Web origins %v; want on and none", c.PayloadEncryption, c.TemporalWebOrigins)
	}
	t.Setenv("TEMPORAL_WEB_ORIGIN", "http://127.0.0.1:8233, https://temporal.example.com/")
	t.Setenv("TEXTDESK_PAYLOAD_ENCRYPTION", "off")
	if c, err = FromEnv(); err != nil {
		t.Fatal(err)
	}
	if c.PayloadEncryption != "off" || strings.Join(c.TemporalWebOrigins, " ") != "http://127.0.0.1:8233 https://temporal.example.com" {
		t.Errorf("encryption %q, Temporal Web origins %q", c.PayloadEncryption, c.TemporalWebOrigins)
	}
}

func TestFromEnvWorkerMetricsAddr(t *testing.T) {
	for _, c := range []struct {
		set         bool
		value, want string
	}{{false, "", "127.0.0.1:9464"}, {true, "", ""}, {true, "0.0.0.0:9464", "0.0.0.0:9464"}} {
		if c.set {
			t.Setenv("WORKER_METRICS_ADDR", c.value)
		}
		cfg, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.WorkerMetricsAddr != c.want {
			t.Errorf("WORKER_METRICS_ADDR set %v %q: %q; want %q", c.set, c.value, cfg.WorkerMetricsAddr, c.want)
		}
	}
}

// The api's internal address (metrics, detailed readiness) defaults to loopback, may
// be turned off, and must not be the public port.
func TestFromEnvAPIInternalAddr(t *testing.T) {
	cfg, err := FromEnv()
	if err != nil || cfg.APIInternalAddr != "127.0.0.1:9463" {
		t.Fatalf("default API_INTERNAL_ADDR = %q, %v; want 127.0.0.1:9463", cfg.APIInternalAddr, err)
	}
	t.Setenv("API_INTERNAL_ADDR", "")
	if cfg, err := FromEnv(); err != nil || cfg.APIInternalAddr != "" {
		t.Errorf("API_INTERNAL_ADDR empty: %q, %v; want none", cfg.APIInternalAddr, err)
	}
	t.Setenv("API_INTERNAL_ADDR", "127.0.0.1:8080")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "API_INTERNAL_ADDR") {
		t.Errorf("API_INTERNAL_ADDR = API_ADDR: %v; want a refusal naming it", err)
	}
}

// Logs are text unless LOG_FORMAT=json; tracing is on only with an OTLP endpoint,
// and OTEL_SDK_DISABLED turns it off again.
func TestFromEnvLogFormatAndTracing(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "text" || c.TracingEnabled() {
		t.Errorf("defaults: LOG_FORMAT %q, tracing %v", c.LogFormat, c.TracingEnabled())
	}
	t.Setenv("LOG_FORMAT", "yaml")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "LOG_FORMAT") {
		t.Errorf("LOG_FORMAT=yaml: %v", err)
	}
	t.Setenv("LOG_FORMAT", "json")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces")
	if c, err = FromEnv(); err != nil || c.LogFormat != "json" || !c.TracingEnabled() {
		t.Errorf("json + traces endpoint: %v, %q, tracing %v", err, c.LogFormat, c.TracingEnabled())
	}
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if c, err = FromEnv(); err != nil || c.TracingEnabled() {
		t.Errorf("OTEL_SDK_DISABLED: %v, tracing %v", err, c.TracingEnabled())
	}
}
