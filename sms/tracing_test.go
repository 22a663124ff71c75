package sms

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/textdesk/textdesk/internal/telemetry"
)

// twilio-go takes no context, yet with API(ctx, ...) its HTTP call is a client span
// under ctx's span, the request carries that trace to Twilio, and the span's name and
// URL hold neither SIDs nor the recipient's number.
func TestTwilioCallIsAChildSpan(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := telemetry.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(spans))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	var traceparent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceparent = r.Header.Get("traceparent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messages": [], "next_page_uri": null}`))
	}))
	defer srv.Close()
	rc := NewClient(Config{BaseURL: srv.URL, AccountSID: "AC" + strings.Repeat("0", 32), AuthToken: "token"})

	ctx, parent := tp.Tracer("test").Start(context.Background(), "activity")
	_, err := API(ctx, rc).ListMessage((&openapi.ListMessageParams{}).SetTo("+14155550123").SetLimit(1))
	parent.End()
	if err != nil {
		t.Fatal(err)
	}
	got := spans.GetSpans()
	if len(got) != 2 {
		t.Fatalf("%d spans; want the Twilio call and its parent: %v", len(got), got)
	}
	call := got[0]
	if call.Parent.SpanID() != parent.SpanContext().SpanID() || call.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("Twilio span's parent %s; want %s", call.Parent.SpanID(), parent.SpanContext().SpanID())
	}
	if want := "twilio GET /2010-04-01/Accounts/{ACSid}/Messages.json"; call.Name != want {
		t.Errorf("span name %q; want %q", call.Name, want)
	}
	if !strings.Contains(traceparent, call.SpanContext.SpanID().String()) {
		t.Errorf("traceparent sent %q; want the Twilio span's", traceparent)
	}
	for _, kv := range call.Attributes {
		if strings.Contains(kv.Value.String(), "4155550123") {
			t.Errorf("attribute %s=%q holds the recipient's number", kv.Key, kv.Value.String())
		}
	}

	// Without a span in the context, no span (and no wrapping).
	if _, err := API(context.Background(), rc).ListMessage((&openapi.ListMessageParams{}).SetLimit(1)); err != nil {
		t.Fatal(err)
	}
	if n := len(spans.GetSpans()); n != 2 {
		t.Errorf("an untraced call made %d more spans", n-2)
	}
}
