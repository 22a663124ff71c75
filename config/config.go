// Package config reads textdesk's settings from the environment. Every variable is
// documented in the README's configuration table; secrets have no defaults here.
package config

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is everything the api and worker processes need.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL"`

	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue         string `env:"TEXTDESK_TASK_QUEUE" envDefault:"textdesk-conversations"`
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

	// WorkerMetricsAddr is where the worker serves GET /metrics; set empty, nowhere.
	WorkerMetricsAddr string `env:"WORKER_METRICS_ADDR" envDefault:"127.0.0.1:9464"`

	EmulatorAddr string `env:"EMULATOR_ADDR" envDefault:"127.0.0.1:8081"`
	// EmulatorFaults is the emulator's fault injection as JSON (twilioemu.Faults).
	EmulatorFaults string `env:"EMULATOR_FAULTS"`

	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
}

// FromEnv parses the environment. It does not check which settings a process needs;
// call Require for that.
func FromEnv() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
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
	return c, nil
}

// Require fails with one message naming every missing variable, so an operator fixes
// them in one go instead of one restart each.
func (c Config) Require(names ...string) error {
	values := map[string]string{
		"DATABASE_URL":       c.DatabaseURL,
		"TEMPORAL_ADDRESS":   c.TemporalAddress,
		"TWILIO_ACCOUNT_SID": c.TwilioAccountSID,
		"TWILIO_AUTH_TOKEN":  c.TwilioAuthToken,
	}
	var missing []string
	for _, n := range names {
		if values[n] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required environment: %s (see the README's configuration table)", strings.Join(missing, ", "))
	}
	return nil
}

func notAlphanumeric(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}
