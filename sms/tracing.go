package sms

import (
	"context"
	"net/http"
	"net/url"
	"regexp"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/textdesk/textdesk/internal/telemetry"
)

// Tracing the Twilio calls. twilio-go takes no context.Context, so a span cannot reach
// the HTTP request the usual way. Instead API(ctx, rc) hands twilio-go a client that
// writes the caller's span context into the request's headers (twilio-go copies the
// headers it is given), and the HTTP transport reads it back into the request's context
// before OpenTelemetry's client instrumentation starts the Twilio span under it.

// API is rc's v2010 API (messages) for calls made on behalf of ctx: with a traced
// ctx, each call is a client span in ctx's trace. Without one, it is rc.Api.
func API(ctx context.Context, rc *twilio.RestClient) *openapi.ApiService {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return rc.Api
	}
	return openapi.NewApiService(&client.RequestHandler{
		Client: spanClient{BaseClient: rc.Client, ctx: ctx},
		Edge:   rc.Edge,
		Region: rc.Region,
	})
}

// spanClient adds ctx's traceparent (and baggage) to every request's headers.
type spanClient struct {
	client.BaseClient
	ctx context.Context
}

func (c spanClient) SendRequest(method, rawURL string, data url.Values,
	headers map[string]interface{}, body ...byte) (*http.Response, error) {
	carrier := propagation.MapCarrier{}
	telemetry.Propagator().Inject(c.ctx, carrier)
	h := make(map[string]interface{}, len(headers)+len(carrier))
	for k, v := range headers {
		h[k] = v
	}
	for k, v := range carrier {
		h[k] = v
	}
	return c.BaseClient.SendRequest(method, rawURL, data, h, body...)
}

// tracedTransport is the Twilio HTTP client's transport when tracing is on
// (telemetry.TracingOn): each request is a client span, named by method and path with
// the SIDs replaced, child of the span API put in its headers. nil (http.DefaultTransport)
// when tracing is off.
func tracedTransport() http.RoundTripper {
	if !telemetry.TracingOn() {
		return nil
	}
	return headerContext{otelhttp.NewTransport(http.DefaultTransport,
		// Explicitly: otherwise otelhttp takes the provider of the parent span, which
		// for a span context read from headers is a no-op one.
		otelhttp.WithTracerProvider(otel.GetTracerProvider()),
		otelhttp.WithPropagators(telemetry.Propagator()),
		// Only calls made on behalf of a traced activity (API): no orphan root spans.
		otelhttp.WithFilter(func(r *http.Request) bool { return trace.SpanContextFromContext(r.Context()).IsValid() }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return "twilio " + r.Method + " " + sidPattern.ReplaceAllString(r.URL.Path, "{${1}Sid}")
		}),
	)}
}

// sidPattern is a Twilio SID: two letters saying what it names (AC account, SM/MM
// message) and 32 hex digits.
var sidPattern = regexp.MustCompile(`\b([A-Z]{2})[0-9a-fA-F]{32}\b`)

// headerContext moves the span context in a request's headers into its context.
type headerContext struct{ next http.RoundTripper }

func (t headerContext) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := telemetry.Propagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	if trace.SpanContextFromContext(ctx).IsValid() {
		r = r.WithContext(ctx)
	}
	return t.next.RoundTrip(r)
}
