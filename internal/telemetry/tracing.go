package telemetry

// Tracing: OpenTelemetry spans exported over OTLP/HTTP when configured, and nothing at
// all otherwise.
//
// Exporter: otlptracehttp rather than otlptracegrpc. http/protobuf is the protocol the
// OpenTelemetry specification makes the SDK default (OTEL_EXPORTER_OTLP_PROTOCOL), so
// OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 means what the collector's and
// Jaeger's docs say it means, and it goes through ordinary HTTP proxies and load
// balancers.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TracingOptions say whether and as what a process exports spans.
type TracingOptions struct {
	// Enabled: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
	// (and OTEL_SDK_DISABLED is not true). The exporter reads those variables, and the
	// rest of the OTEL_EXPORTER_OTLP_* ones (headers, TLS, timeout), itself.
	Enabled bool
	// ServiceName is the service.name resource attribute (OTEL_SERVICE_NAME, else
	// textdesk-api or textdesk-worker).
	ServiceName string
}

// StartTracing installs the global tracer provider and the W3C trace-context and
// baggage propagator when o.Enabled, and returns the function that flushes the
// spans still buffered and stops the exporter. When o is not enabled, or the process
// already has an SDK provider (`textdesk dev` runs api and worker in one process; a
// test installs an in-memory one), it changes nothing and the shutdown does nothing:
// the global provider stays the no-op one, and the api and worker instrument nothing
// (TracingOn).
func StartTracing(ctx context.Context, o TracingOptions) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	startMu.Lock() // `textdesk dev` starts api and worker at once
	defer startMu.Unlock()
	if !o.Enabled || TracingOn() {
		return noop, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return noop, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(o.ServiceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithHost(),
		resource.WithProcessPID(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return noop, fmt.Errorf("tracing resource: %w", err)
	}
	tp := NewTracerProvider(sdktrace.NewBatchSpanProcessor(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator())
	return tp.Shutdown, nil
}

var startMu sync.Mutex

// NewTracerProvider is an SDK provider whose spans go to sp after the redactor has taken
// personal data out of them. StartTracing uses it with the OTLP exporter; tests use it
// with an in-memory one. The sampler is the SDK's (OTEL_TRACES_SAMPLER; default:
// sample every trace; a span with a parent follows the parent's decision).
func NewTracerProvider(sp sdktrace.SpanProcessor, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(redactor{sp}))...)
}

// Propagator is W3C trace context plus baggage, what otelhttp, the Twilio client and
// the Temporal interceptor read and write.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// TracingOn reports whether the global tracer provider is an SDK one, i.e. spans go
// somewhere. The api and worker instrument their HTTP, Postgres and Temporal calls
// only then, so that with tracing off nothing is even wrapped.
func TracingOn() bool {
	_, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return ok
}

// Traceparent is the W3C traceparent of ctx's span, "" when ctx holds none.
func Traceparent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier["traceparent"]
}

// redactor takes phone numbers out of the URL attributes the HTTP instrumentation
// records, before any exporter sees the span (OnEnd): a query string (Twilio's message list is
// filtered by To and From; GET /v1/contacts?q= searches by number) is dropped whole,
// and long digit runs in a path (/v1/teams/{id}/numbers/{number}) are masked. Span
// names never hold raw paths (api names spans by route pattern), and pgx spans carry
// the SQL text only, never its arguments.
type redactor struct{ sdktrace.SpanProcessor }

var (
	urlFull  = attribute.Key("url.full")
	urlPath  = attribute.Key("url.path")
	urlQuery = attribute.Key("url.query")
	// digitRun is five or more digits, possibly after an escaped or literal '+': a
	// phone number or short code. UUIDs rarely hold one; masking it then costs nothing.
	digitRun = regexp.MustCompile(`(%2[bB]|\+)?[0-9]{5,}`)
)

const redacted = "REDACTED"

// OnEnd hands sp on with the URL attributes redacted. At the end, not the start:
// otelhttp's client sets url.full after starting the span.
func (r redactor) OnEnd(sp sdktrace.ReadOnlySpan) {
	attrs := sp.Attributes()
	var out []attribute.KeyValue
	for i, kv := range attrs {
		v := kv.Value.AsString()
		switch kv.Key {
		case urlFull:
			v = redactURL(v)
		case urlQuery:
			v = redacted
		case urlPath:
			v = digitRun.ReplaceAllString(v, redacted)
		default:
			continue
		}
		if v == kv.Value.AsString() {
			continue
		}
		if out == nil {
			out = slices.Clone(attrs)
		}
		out[i] = kv.Key.String(v)
	}
	if out != nil {
		sp = redactedSpan{sp, out}
	}
	r.SpanProcessor.OnEnd(sp)
}

// redactedSpan is a finished span with other attributes.
type redactedSpan struct {
	sdktrace.ReadOnlySpan
	attrs []attribute.KeyValue
}

func (s redactedSpan) Attributes() []attribute.KeyValue { return s.attrs }

// redactURL drops the query and masks digit runs in the path of a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	if u.RawQuery != "" {
		u.RawQuery = redacted
	}
	u.Path, u.RawPath = digitRun.ReplaceAllString(u.Path, redacted), ""
	return u.String()
}

// TemporalInterceptors are the Temporal client's interceptors: with tracing on, the
// SDK's OpenTelemetry interceptor, which makes spans of starting, signalling and
// updating workflows and of running workflows and activities, and carries the trace in
// Temporal headers from the api through the workflow to its activities. Set on the
// client, it covers every worker made from that client too.
func TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	if !TracingOn() {
		return nil, nil
	}
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{TextMapPropagator: Propagator()})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{ti}, nil
}
