package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/textdesk/textdesk/internal/telemetry"
	"github.com/textdesk/textdesk/store"
)

// get reads a counter's value for one label value.
func (c counter) get(value string) uint64 {
	return uint64(testutil.ToFloat64(c.WithLabelValues(value)))
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// GET /metrics on the router serves the three counters, each with its help and every
// known label value from zero, and the Go runtime's metrics.
func TestMetricsEndpoint(t *testing.T) {
	s := &Server{Log: slog.New(slog.DiscardHandler)}
	statusCallbacks.inc("applied")
	out := scrape(t, s.InternalHandler())
	for _, want := range []string{
		"# HELP textdesk_webhooks_refused_total Twilio webhooks refused, by reason: 403 for a signature that does not verify, 400 for a body that cannot be read.\n",
		"# TYPE textdesk_webhooks_refused_total counter\n",
		`textdesk_webhooks_refused_total{reason="missing_body_hash"} `,
		"# HELP textdesk_webhooks_verified_total Twilio webhooks whose signature verified, by the auth token that signed them (primary or secondary).\n",
		`textdesk_webhooks_verified_total{token="secondary"} `,
		"# HELP textdesk_status_callbacks_total Twilio status callbacks by outcome: applied, stale (an older status), unknown_message, unhandled_status.\n",
		`textdesk_status_callbacks_total{outcome="unhandled_status"} `,
		"# TYPE go_goroutines gauge\n",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
	if statusCallbacks.get("applied") < 1 {
		t.Error("applied callbacks not counted")
	}
}

// The team gauges come from one store read per scrape.
func TestTeamCollector(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := telemetry.NewRegistry()
	reg.MustRegister(&teamCollector{
		gauges: func(context.Context) ([]store.TeamGauge, error) {
			return []store.TeamGauge{
				{TeamID: "t1", Conversations: map[string]int{"new": 2, "missed": 1, "active": 3, "wrap_up": 0},
					OldestWaiting: now.Add(-90 * time.Second), AgentsAvailable: 4},
				{TeamID: "t2", Conversations: map[string]int{"new": 0, "missed": 0, "active": 0, "wrap_up": 0}},
			}, nil
		},
		log: slog.New(slog.DiscardHandler), timeout: time.Second, now: func() time.Time { return now },
	})
	out := scrape(t, telemetry.Handler(reg, slog.New(slog.DiscardHandler)))
	for _, want := range []string{
		"# TYPE textdesk_conversations gauge\n",
		`textdesk_conversations{status="new",team_id="t1"} 2` + "\n",
		`textdesk_conversations{status="missed",team_id="t1"} 1` + "\n",
		`textdesk_conversations{status="wrap_up",team_id="t2"} 0` + "\n",
		`textdesk_conversations_waiting_oldest_seconds{team_id="t1"} 90` + "\n",
		`textdesk_conversations_waiting_oldest_seconds{team_id="t2"} 0` + "\n",
		`textdesk_agents_available{team_id="t1"} 4` + "\n",
		`textdesk_agents_available{team_id="t2"} 0` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
}

// A store that fails (here: does not answer within the timeout) costs the scrape the
// team gauges only; the failure is logged.
func TestTeamCollectorStoreError(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	reg := telemetry.NewRegistry()
	reg.MustRegister(webhooksRefused, &teamCollector{
		gauges: func(ctx context.Context) ([]store.TeamGauge, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
		log: log, timeout: 10 * time.Millisecond,
	})
	out := scrape(t, telemetry.Handler(reg, log))
	for _, want := range []string{"# HELP textdesk_webhooks_refused_total ", "go_goroutines "} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "textdesk_conversations") || strings.Contains(out, "textdesk_agents_available") {
		t.Errorf("team gauges served without a store:\n%s", out)
	}
	if !strings.Contains(logged.String(), "team gauges not read") || !strings.Contains(logged.String(), context.DeadlineExceeded.Error()) {
		t.Errorf("log: %q", logged.String())
	}
}

// The public router serves no metrics: they are on InternalHandler (API_INTERNAL_ADDR).
func TestMetricsNotOnPublicRouter(t *testing.T) {
	s := &Server{Log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("public GET /metrics: %d; want 404", rec.Code)
	}
}

// Requests are counted and timed by route pattern, method and status class: a path
// holding a phone number or a made-up method adds no series of its own.
func TestHTTPRequestMetrics(t *testing.T) {
	s := &Server{Log: slog.New(slog.DiscardHandler)}
	h := s.Handler()
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/healthz", nil),
		httptest.NewRequest(http.MethodPost, "/webhooks/twilio/status", strings.NewReader("MessageSid=SM1")), // unsigned: 403
		httptest.NewRequest(http.MethodDelete, "/v1/teams/t1/numbers/+14155550123", nil),                     // no credential
		httptest.NewRequest("BREW", "/healthz", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	out := scrape(t, s.InternalHandler())
	for _, want := range []string{
		"# TYPE textdesk_http_request_duration_seconds histogram\n",
		`textdesk_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"} `,
		`textdesk_http_request_duration_seconds_count{method="POST",route="/webhooks/twilio/status",status="4xx"} `,
		`textdesk_http_request_duration_seconds_count{method="DELETE",route="/v1/teams/{id}/numbers/{number}",status="4xx"} `,
		`textdesk_http_request_duration_seconds_count{method="OTHER",route="unmatched",status="4xx"} `,
		"# TYPE textdesk_event_streams_open gauge\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "4155550123") || strings.Contains(out, "BREW") {
		t.Errorf("/metrics holds a raw path or method:\n%s", out)
	}
}
