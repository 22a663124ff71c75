package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Counters of the API process, served at GET /metrics in the Prometheus text format.
// A handful of labelled counters do not justify a metrics library; should textdesk
// need histograms or a registry, prometheus/client_golang can replace this file with
// the same metric names.
var (
	webhooksRefused = newCounter("textdesk_webhooks_refused_total",
		"Twilio webhooks refused, by reason: 403 for a signature that does not verify, 400 for a body that cannot be read.", "reason")
	webhooksVerified = newCounter("textdesk_webhooks_verified_total",
		"Twilio webhooks whose signature verified, by the auth token that signed them (primary or secondary).", "token")
	statusCallbacks = newCounter("textdesk_status_callbacks_total",
		"Twilio status callbacks by outcome: applied, stale (an older status), unknown_message, unhandled_status.", "outcome")
	metrics = []*counter{webhooksRefused, webhooksVerified, statusCallbacks}
)

// counter is a monotonically increasing count per label value.
type counter struct {
	name, help, label string
	values            sync.Map // label value → *atomic.Uint64
}

func newCounter(name, help, label string) *counter {
	return &counter{name: name, help: help, label: label}
}

func (c *counter) inc(value string) {
	v, _ := c.values.LoadOrStore(value, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
}

// get returns the count for a label value (tests).
func (c *counter) get(value string) uint64 {
	if v, ok := c.values.Load(value); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

func (c *counter) write(b *strings.Builder) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	var labels []string
	c.values.Range(func(k, _ any) bool {
		labels = append(labels, k.(string))
		return true
	})
	slices.Sort(labels)
	for _, l := range labels {
		fmt.Fprintf(b, "%s{%s=%q} %d\n", c.name, c.label, l, c.get(l))
	}
}

// MetricsHandler serves the API's counters in the Prometheus text exposition format.
func MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		for _, c := range metrics {
			c.write(&b)
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
}
