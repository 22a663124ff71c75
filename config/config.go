// Package config reads textdesk's settings from the environment. Every variable is
// documented in docs/configuration.md; secrets have no defaults here.
package config

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Config is everything the api and worker processes need.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL"`

	// TemporalAddress and TemporalNamespace are where every Temporal client of textdesk
	// connects: the only source of both. FromEnv fills them from the Temporal client
	// profile (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE over TEMPORAL_CONFIG_FILE's
	// TEMPORAL_PROFILE), else 127.0.0.1:7233 and default.
	TemporalAddress   string `env:"-"`
	TemporalNamespace string `env:"-"`
	// TemporalConnection is the rest of that profile: TLS, mTLS client certificate,
	// server CA and name, API key, gRPC metadata. Its Address and Namespace are
	// always empty (see above). Zero: plain gRPC, no credentials.
	TemporalConnection envconfig.ClientConfigProfile `env:"-"`
	TaskQueue          string                        `env:"TEXTDESK_TASK_QUEUE" envDefault:"textdesk-conversations"`
	// ContinueAsNewAfter: history events after which a conversation run continues as new.
	ContinueAsNewAfter int `env:"TEXTDESK_CONTINUE_AS_NEW_EVENTS" envDefault:"10000"`

	APIAddr string `env:"API_ADDR" envDefault:"127.0.0.1:8080"`
	// APIInternalAddr is where the api serves GET /metrics and the detailed /readyz;
	// set empty, nowhere. Keep it off the internet.
	APIInternalAddr string `env:"API_INTERNAL_ADDR" envDefault:"127.0.0.1:9463"`
	// PublicURL is where Twilio reaches the API; signatures are computed over it.
	PublicURL string `env:"PUBLIC_URL" envDefault:"http://127.0.0.1:8080"`

	TwilioAccountSID string `env:"TWILIO_ACCOUNT_SID"`
	TwilioAuthToken  string `env:"TWILIO_AUTH_TOKEN"`
	// TwilioAuthTokenSecondary is also accepted for webhook signatures while the auth
	// token is rotated.
	TwilioAuthTokenSecondary string `env:"TWILIO_AUTH_TOKEN_SECONDARY"`
	// TwilioBaseURL points twilio-go somewhere other than https://api.twilio.com (the emulator).
	TwilioBaseURL string `env:"TWILIO_BASE_URL"`
	// TrustedProxy: webhook URLs may be read from X-Forwarded-Proto/Host.
	TrustedProxy bool `env:"TRUSTED_PROXY" envDefault:"false"`

	// SendRate is the segments per second a sender may hand Twilio when its number has
	// no rate of its own.
	SendRate float64 `env:"SMS_DEFAULT_SEND_RATE" envDefault:"1"`
	// ValidityPeriod is how long a message may wait to be handed to Twilio.
	ValidityPeriod time.Duration `env:"SMS_VALIDITY_PERIOD" envDefault:"4h"`

	// EventRetention is how long agent events (the event stream's backlog) are kept;
	// the worker deletes older ones every hour.
	EventRetention time.Duration `env:"TEXTDESK_EVENT_RETENTION" envDefault:"720h"`

	// SessionIdleTimeout ends a browser session unused for this long; SessionLifetime
	// ends it this long after sign-in, used or not.
	SessionIdleTimeout time.Duration `env:"TEXTDESK_SESSION_IDLE_TIMEOUT" envDefault:"12h"`
	SessionLifetime    time.Duration `env:"TEXTDESK_SESSION_LIFETIME" envDefault:"168h"`

	// API abuse limits (docs/security.md): requests per minute per credential, and per
	// minute on the expensive routes (search, handoffs, outbound, scheduling, chat
	// switch); concurrent event streams per user per api process.
	RateLimit          int `env:"API_RATE_LIMIT_PER_MINUTE" envDefault:"600"`
	ExpensiveRateLimit int `env:"API_EXPENSIVE_RATE_LIMIT_PER_MINUTE" envDefault:"60"`
	MaxStreamsPerUser  int `env:"API_MAX_EVENT_STREAMS_PER_USER" envDefault:"5"`
	// SearchMaxContacts: customers one conversation search may match (GET /v1/search).
	SearchMaxContacts int `env:"API_SEARCH_MAX_CONTACTS" envDefault:"1000"`
	// http.Server timeouts of the api. Event streams lift the read and write deadlines
	// for themselves and extend the write deadline at every write.
	ReadHeaderTimeout time.Duration `env:"API_READ_HEADER_TIMEOUT" envDefault:"10s"`
	ReadTimeout       time.Duration `env:"API_READ_TIMEOUT" envDefault:"30s"`
	WriteTimeout      time.Duration `env:"API_WRITE_TIMEOUT" envDefault:"60s"`
	IdleTimeout       time.Duration `env:"API_IDLE_TIMEOUT" envDefault:"120s"`

	// Outbound abuse limits: messages a team may send per UTC day unless the team sets
	// its own daily_send_quota.
	DailySendQuota int `env:"TEXTDESK_DAILY_SEND_QUOTA" envDefault:"5000"`
	// IntakeLimit: new conversations one team number opens per IntakeWindow; texts past
	// it are stored and released by the worker in arrival order.
	IntakeLimit  int           `env:"TEXTDESK_INTAKE_LIMIT" envDefault:"120"`
	IntakeWindow time.Duration `env:"TEXTDESK_INTAKE_WINDOW" envDefault:"1m"`

	// WorkerMetricsAddr is where the worker serves GET /metrics, /healthz and /readyz;
	// set empty, nowhere. In a pod: 0.0.0.0:9464, so probes and scrapers reach it.
	WorkerMetricsAddr string `env:"WORKER_METRICS_ADDR" envDefault:"127.0.0.1:9464"`
	// WorkerStopTimeout is how long a stopping worker (SIGTERM) lets in-flight
	// activities finish before cancelling them.
	WorkerStopTimeout time.Duration `env:"WORKER_STOP_TIMEOUT" envDefault:"30s"`
	// WorkflowCallTimeout bounds each call of the api to a workflow (an update waits for
	// a worker): past it the request answers 503 instead of hanging.
	WorkflowCallTimeout time.Duration `env:"TEXTDESK_WORKFLOW_CALL_TIMEOUT" envDefault:"5s"`

	EmulatorAddr string `env:"EMULATOR_ADDR" envDefault:"127.0.0.1:8081"`
	// EmulatorFaults is the emulator's fault injection as JSON (twilioemu.Faults).
	EmulatorFaults string `env:"EMULATOR_FAULTS"`

	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat: text (for people) or json (for log pipelines).
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`

	// OpenTelemetry tracing is on when an OTLP endpoint is set. The exporter reads
	// these and the other OTEL_EXPORTER_OTLP_* variables (headers, TLS, timeout)
	// itself; the SDK reads OTEL_TRACES_SAMPLER and OTEL_RESOURCE_ATTRIBUTES.
	OTLPEndpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	// OTelServiceName names the process in traces (default textdesk-api, textdesk-worker).
	OTelServiceName string `env:"OTEL_SERVICE_NAME"`
	OTelSDKDisabled bool   `env:"OTEL_SDK_DISABLED"`

	// CallerKey signs the caller of every workflow update (api) and verifies it (the
	// worker's update validator): both must share it. Secret; at least 32 bytes.
	CallerKey string `env:"TEXTDESK_CALLER_KEY"`

	// Payload encryption (docs/security.md): key lists "id:base64key,..." given inline
	// or in a file (a mounted secret), the first key encrypting. api and worker refuse
	// to start without keys unless PayloadEncryption is "off" (not for production).
	PayloadKeys       string `env:"TEXTDESK_PAYLOAD_KEYS"`
	PayloadKeysFile   string `env:"TEXTDESK_PAYLOAD_KEYS_FILE"`
	PayloadEncryption string `env:"TEXTDESK_PAYLOAD_ENCRYPTION" envDefault:"on"`
	// TemporalWebOrigins are the origins (scheme://host[:port]) of Temporal Web that
	// may call the codec endpoint from a browser (CORS).
	TemporalWebOrigins []string `env:"TEMPORAL_WEB_ORIGIN" envSeparator:","`
}

// MinCallerKey is the shortest TEXTDESK_CALLER_KEY accepted (HMAC-SHA256 wants 32
// bytes of key).
const MinCallerKey = 32

// FromEnv parses the environment. It does not check which settings a process needs;
// call Require for that.
func FromEnv() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, err
	}
	if err := c.loadTemporalProfile(); err != nil {
		return c, err
	}
	// env applies a default to an empty variable too; here empty means "do not serve".
	if v, set := os.LookupEnv("WORKER_METRICS_ADDR"); set && v == "" {
		c.WorkerMetricsAddr = ""
	}
	if v, set := os.LookupEnv("API_INTERNAL_ADDR"); set && v == "" {
		c.APIInternalAddr = ""
	}
	if c.APIInternalAddr != "" && c.APIInternalAddr == c.APIAddr {
		return c, fmt.Errorf("API_INTERNAL_ADDR %s must differ from API_ADDR: metrics and detailed readiness are not for the public port", c.APIInternalAddr)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("LOG_FORMAT %q must be text or json", c.LogFormat)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if _, err := url.ParseRequestURI(c.PublicURL); err != nil {
		return c, fmt.Errorf("PUBLIC_URL %q is not a URL: %w", c.PublicURL, err)
	}
	// twilio-go refuses credentials with other characters at every request; say so now.
	for name, v := range map[string]string{"TWILIO_ACCOUNT_SID": c.TwilioAccountSID, "TWILIO_AUTH_TOKEN": c.TwilioAuthToken,
		"TWILIO_AUTH_TOKEN_SECONDARY": c.TwilioAuthTokenSecondary} {
		if strings.IndexFunc(v, notAlphanumeric) >= 0 {
			return c, fmt.Errorf("%s must contain only letters and digits", name)
		}
	}
	if !(c.SendRate > 0) || math.IsInf(c.SendRate, 0) {
		return c, fmt.Errorf("SMS_DEFAULT_SEND_RATE %v must be a positive number of segments per second", c.SendRate)
	}
	// Twilio accepts validity periods of 1 s to 10 h.
	if c.ValidityPeriod < time.Second || c.ValidityPeriod > 10*time.Hour {
		return c, fmt.Errorf("SMS_VALIDITY_PERIOD %s must be between 1s and 10h", c.ValidityPeriod)
	}
	// A shorter retention would prune events a reconnecting console still needs.
	if c.EventRetention < time.Hour {
		return c, fmt.Errorf("TEXTDESK_EVENT_RETENTION %s must be at least 1h", c.EventRetention)
	}
	// Last-used times are kept to the minute: a shorter idle timeout would end sessions
	// in use.
	if c.SessionIdleTimeout < 5*time.Minute || c.SessionLifetime < c.SessionIdleTimeout {
		return c, fmt.Errorf("TEXTDESK_SESSION_IDLE_TIMEOUT (%s) must be at least 5m and at most TEXTDESK_SESSION_LIFETIME (%s)",
			c.SessionIdleTimeout, c.SessionLifetime)
	}
	if c.CallerKey != "" && len(c.CallerKey) < MinCallerKey {
		return c, fmt.Errorf("TEXTDESK_CALLER_KEY is %d bytes; it must be at least %d (e.g. openssl rand -hex 32)", len(c.CallerKey), MinCallerKey)
	}
	if c.PayloadEncryption != "on" && c.PayloadEncryption != "off" {
		return c, fmt.Errorf("TEXTDESK_PAYLOAD_ENCRYPTION %q must be on or off (off is for development only)", c.PayloadEncryption)
	}
	for i, o := range c.TemporalWebOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return c, fmt.Errorf("TEMPORAL_WEB_ORIGIN %q must be origins like https://temporal.example.com or http://127.0.0.1:8233, comma-separated", o)
		}
		c.TemporalWebOrigins[i] = o
	}
	if c.RateLimit < 1 || c.ExpensiveRateLimit < 1 || c.MaxStreamsPerUser < 1 || c.SearchMaxContacts < 1 || c.IntakeLimit < 1 || c.IntakeWindow < time.Second || c.DailySendQuota < 0 {
		return c, fmt.Errorf("API_RATE_LIMIT_PER_MINUTE, API_EXPENSIVE_RATE_LIMIT_PER_MINUTE and API_MAX_EVENT_STREAMS_PER_USER, API_SEARCH_MAX_CONTACTS, TEXTDESK_INTAKE_LIMIT must be at least 1 (TEXTDESK_INTAKE_WINDOW 1s), TEXTDESK_DAILY_SEND_QUOTA at least 0")
	}
	if c.WorkerStopTimeout < 0 || c.WorkflowCallTimeout < 100*time.Millisecond {
		return c, fmt.Errorf("WORKER_STOP_TIMEOUT (%s) must not be negative and TEXTDESK_WORKFLOW_CALL_TIMEOUT (%s) at least 100ms", c.WorkerStopTimeout, c.WorkflowCallTimeout)
	}
	for name, d := range map[string]time.Duration{"API_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout, "API_READ_TIMEOUT": c.ReadTimeout,
		"API_WRITE_TIMEOUT": c.WriteTimeout, "API_IDLE_TIMEOUT": c.IdleTimeout} {
		if d < time.Second {
			return c, fmt.Errorf("%s %s must be at least 1s", name, d)
		}
	}
	return c, nil
}

// Temporal defaults: a local dev server's.
const (
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
)

// loadTemporalProfile reads the Temporal client settings the SDK's environment
// configuration defines (go.temporal.io/sdk/contrib/envconfig): a TOML profile
// (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), overridden by TEMPORAL_* variables.
func (c *Config) loadTemporalProfile() error {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{})
	if err != nil {
		return fmt.Errorf("Temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_*): %w", err)
	}
	c.TemporalAddress = cmp.Or(prof.Address, DefaultTemporalAddress)
	c.TemporalNamespace = cmp.Or(prof.Namespace, DefaultTemporalNamespace)
	prof.Address, prof.Namespace = "", ""
	// textdesk encodes its own payloads; a remote codec on every worker call would
	// be slow and is what Temporal Web and the CLI use, not the SDK.
	prof.Codec = nil
	c.TemporalConnection = prof
	return nil
}

// TracingEnabled reports whether spans are exported (an OTLP endpoint is set and the
// SDK is not disabled).
func (c Config) TracingEnabled() bool {
	return (c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != "") && !c.OTelSDKDisabled
}

// Require fails with one message naming every missing variable, so an operator fixes
// them in one go instead of one restart each.
func (c Config) Require(names ...string) error {
	values := map[string]string{
		"DATABASE_URL":        c.DatabaseURL,
		"TEMPORAL_ADDRESS":    c.TemporalAddress,
		"TWILIO_ACCOUNT_SID":  c.TwilioAccountSID,
		"TWILIO_AUTH_TOKEN":   c.TwilioAuthToken,
		"TEXTDESK_CALLER_KEY": c.CallerKey,
	}
	var missing []string
	for _, n := range names {
		if values[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required environment: %s (see docs/configuration.md)", strings.Join(missing, ", "))
	}
	return nil
}

func notAlphanumeric(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}
