// Package telemetry builds the Prometheus registry each textdesk process serves at
// /metrics and the Temporal SDK metrics handler that reports into it.
//
// Dependencies: prometheus/client_golang for the registry and exposition, and for the
// SDK's metrics the Temporal-documented path (docs.temporal.io, Go SDK observability,
// and samples-go/metrics): go.temporal.io/sdk/contrib/tally with tally's Prometheus
// reporter. On top of client_golang that adds contrib/tally (one small adapter file),
// uber-go/tally/v4 and two tiny modules it needs (twmb/murmur3, go.uber.org/atomic);
// the OpenTelemetry route would add the OTel metric SDK and its pre-1.0 Prometheus
// exporter, which itself sits on client_golang.
package telemetry

import (
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// NewRegistry returns a process's registry, with the Go runtime and process
// collectors. Each process (api, worker) has its own, never the global default.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus text format. A collector that fails costs only
// its own metrics: the rest of the scrape is served and the error logged.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      errorLog{log},
		Registry:      reg, // promhttp_metric_handler_errors_total
	})
}

// reportInterval is how often the SDK's counters and gauges reach the registry
// (timers are reported as they are recorded).
const reportInterval = time.Second

// TemporalMetrics returns a metrics handler for client.Options.MetricsHandler that
// reports the Temporal SDK's metrics (named temporal_*, Prometheus style: counters
// _total, timers histograms in _seconds) into reg with the const label
// process=<process>, so the api's and worker's client metrics stay apart even when one
// process runs both (`textdesk dev`). Close the returned closer after the client to
// flush the last counts.
func TemporalMetrics(reg prometheus.Registerer, process string, log *slog.Logger) (client.MetricsHandler, io.Closer) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       prometheus.WrapRegistererWith(prometheus.Labels{"process": process}, reg),
		DefaultTimerType: tallyprom.HistogramTimerType,
		// The reporter panics on a registration conflict by default; a metric we cannot
		// export must not take the process down.
		OnRegisterError: func(err error) { log.Warn("temporal metric not exported", "error", err) },
	})
	// Names and label keys as Prometheus requires them; label values as they are (any
	// UTF-8 is valid), so task_queue="textdesk-conversations" matches Temporal Web.
	sanitize := sdktally.PrometheusSanitizeOptions
	sanitize.ValueCharacters = tally.ValidCharacters{Ranges: []tally.SanitizeRange{{0, unicode.MaxRune}}}
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
		// tally's own tally_internal_* series say nothing an operator needs.
		OmitCardinalityMetrics: true,
	}, reportInterval)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer
}

type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) { l.log.Warn("serving metrics", "error", slogValue(v)) }

func slogValue(v []any) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}
