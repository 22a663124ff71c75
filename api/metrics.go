package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/textdesk/textdesk/internal/telemetry"
	"github.com/textdesk/textdesk/store"
)

// Metrics of the API process, served at GET /metrics (with the Go runtime, process,
// Temporal SDK and team metrics of the server's registry).
var (
	webhooksRefused = newCounter("textdesk_webhooks_refused_total",
		"Twilio webhooks refused, by reason: 403 for a signature that does not verify, 400 for a body that cannot be read.", "reason",
		refusedNoSignature, refusedBadSignature, refusedBodyHash, refusedNoBodyHash, refusedUnreadable, refusedUnparseableJS)
	webhooksVerified = newCounter("textdesk_webhooks_verified_total",
		"Twilio webhooks whose signature verified, by the auth token that signed them (primary or secondary).", "token",
		"primary", "secondary")
	statusCallbacks = newCounter("textdesk_status_callbacks_total",
		"Twilio status callbacks by outcome: applied, stale (an older status), unknown_message, unhandled_status.", "outcome",
		"applied", "stale", "unknown_message", "unhandled_status")

	// httpRequests: its _count is the request count; route is the chi route pattern
	// (never the raw path, which may hold a phone number or a secret), so the series
	// stay as few as the routes.
	httpRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "textdesk_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request of the public API (event streams: how long the stream stayed open), by route pattern, method and status class (2xx, 4xx...); _count is the number of requests.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})
	eventStreamsOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "textdesk_event_streams_open",
		Help: "Event streams (GET /v1/events) this api process is serving now.",
	})
)

// observeRequest records one answered request in httpRequests. route "" (no route
// matched: the console's files and 404s) is recorded as "unmatched".
func observeRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	httpRequests.WithLabelValues(route, knownMethod(method), statusClass(status)).Observe(took.Seconds())
}

// knownMethod bounds the method label: a client can send any token as a method.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusClass is "2xx" for 200..299 and so on; a handler that wrote nothing answered 200.
func statusClass(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// counter is a counter with one label.
type counter struct{ *prometheus.CounterVec }

// newCounter makes a counter whose known label values start at zero, so that every
// series exists (and rate() works) from the first scrape.
func newCounter(name, help, label string, values ...string) counter {
	c := counter{prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})}
	for _, v := range values {
		c.WithLabelValues(v)
	}
	return c
}

func (c counter) inc(value string) { c.WithLabelValues(value).Inc() }

// metricsHandler serves s.Metrics (a fresh registry if nil) with the API's counters
// and, with a store, the team gauges.
func (s *Server) metricsHandler() http.Handler {
	if s.Metrics == nil {
		s.Metrics = telemetry.NewRegistry()
	}
	cs := []prometheus.Collector{webhooksRefused, webhooksVerified, statusCallbacks, httpRequests, eventStreamsOpen}
	if s.Store != nil {
		cs = append(cs, &teamCollector{gauges: s.Store.TeamGauges, log: s.Log.With("component", "metrics"), timeout: 2 * time.Second})
	}
	for _, c := range cs {
		if err := s.Metrics.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(err) // two collectors claim one metric name: a programming error
		}
	}
	return telemetry.Handler(s.Metrics, s.Log)
}

var (
	teamConversationsDesc = prometheus.NewDesc("textdesk_conversations",
		"Open conversations by team and status (new, missed: waiting for an agent; active; wrap_up).", []string{"team_id", "status"}, nil)
	teamWaitingDesc = prometheus.NewDesc("textdesk_conversations_waiting_oldest_seconds",
		"Age of the team's oldest conversation waiting for an agent (new or missed), since it opened; 0 when none waits.", []string{"team_id"}, nil)
	teamAgentsDesc = prometheus.NewDesc("textdesk_agents_available",
		"Members of the team whose presence is available.", []string{"team_id"}, nil)
)

// teamCollector reads the team gauges from Postgres at each scrape, in one round trip
// bounded by timeout. When that fails the scrape goes on without them (logged).
type teamCollector struct {
	gauges  func(context.Context) ([]store.TeamGauge, error)
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time // tests
}

func (c *teamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- teamConversationsDesc
	ch <- teamWaitingDesc
	ch <- teamAgentsDesc
}

func (c *teamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	gauges, err := c.gauges(ctx)
	if err != nil {
		c.log.Warn("team gauges not read; /metrics served without them", "error", err)
		return
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	for _, g := range gauges {
		for _, st := range store.OpenStatuses {
			ch <- prometheus.MustNewConstMetric(teamConversationsDesc, prometheus.GaugeValue, float64(g.Conversations[st]), g.TeamID, st)
		}
		var waited float64
		if !g.OldestWaiting.IsZero() {
			waited = max(now.Sub(g.OldestWaiting).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(teamWaitingDesc, prometheus.GaugeValue, waited, g.TeamID)
		ch <- prometheus.MustNewConstMetric(teamAgentsDesc, prometheus.GaugeValue, float64(g.AgentsAvailable), g.TeamID)
	}
}
