package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Without an OTLP endpoint nothing is installed: the global provider stays the no-op
// one, and the shutdown does nothing.
func TestTracingOffInstallsNothing(t *testing.T) {
	before := otel.GetTracerProvider()
	shutdown, err := StartTracing(context.Background(), TracingOptions{Enabled: false, ServiceName: "textdesk-api"})
	if err != nil {
		t.Fatal(err)
	}
	if TracingOn() || otel.GetTracerProvider() != before {
		t.Error("tracing off installed a provider")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// URL attributes lose their query strings and phone-number-like digit runs, whenever
// the instrumentation set them; other attributes are left alone.
func TestRedactor(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := NewTracerProvider(sdktrace.NewSimpleSpanProcessor(spans))
	_, sp := tp.Tracer("t").Start(context.Background(), "GET", trace.WithAttributes(attribute.String("url.path", "/v1/teams/5f0c/numbers/+14155550123")))
	sp.SetAttributes( // after the start, as otelhttp's client does
		attribute.String("url.full", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B14155550123&PageSize=50"),
		attribute.String("url.query", "q=%2B14155550123"),
		attribute.String("http.route", "/v1/teams/{id}/numbers/{number}"),
	)
	sp.End()
	got := map[string]string{}
	for _, kv := range spans.GetSpans()[0].Attributes {
		got[string(kv.Key)] = kv.Value.String()
	}
	want := map[string]string{
		"url.path":   "/v1/teams/5f0c/numbers/REDACTED",
		"url.full":   "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?REDACTED",
		"url.query":  "REDACTED",
		"http.route": "/v1/teams/{id}/numbers/{number}",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q", k, got[k], v)
		}
	}
}

// LOG_FORMAT=json writes one JSON object a line; a record logged with a traced context
// carries the trace and span ids.
func TestJSONLoggerCarriesTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	tp := NewTracerProvider(sdktrace.NewSimpleSpanProcessor(tracetest.NewInMemoryExporter()))
	ctx, sp := tp.Tracer("t").Start(context.Background(), "op")
	log.With("component", "api").InfoContext(ctx, "sent", "message_id", "m1")
	log.Debug("not at info")
	sp.End()
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	if rec["trace_id"] != sp.SpanContext().TraceID().String() || rec["span_id"] != sp.SpanContext().SpanID().String() ||
		rec["component"] != "api" || rec["message_id"] != "m1" || rec["msg"] != "sent" {
		t.Errorf("record %v", rec)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("want one line at info level: %q", buf.String())
	}
	if _, err := NewLogger(&buf, "xml", "info"); err == nil {
		t.Error("LOG_FORMAT=xml accepted")
	}
}

// With an endpoint, spans reach it over OTLP/HTTP (POST /v1/traces under
// OTEL_EXPORTER_OTLP_ENDPOINT) by the time shutdown returns, with the service name.
func TestTracingExportsOverOTLPHTTP(t *testing.T) {
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + string(body)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	shutdown, err := StartTracing(context.Background(), TracingOptions{Enabled: true, ServiceName: "textdesk-worker"})
	if err != nil {
		t.Fatal(err)
	}
	if !TracingOn() {
		t.Fatal("tracing on did not install a provider")
	}
	_, sp := otel.Tracer("t").Start(context.Background(), "RunActivity:SendSMS")
	sp.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		for _, want := range []string{"POST /v1/traces application/x-protobuf", "RunActivity:SendSMS", "textdesk-worker"} {
			if !strings.Contains(req, want) {
				t.Errorf("export %q lacks %q", req[:min(len(req), 80)], want)
			}
		}
	default:
		t.Fatal("nothing exported by shutdown")
	}
}
