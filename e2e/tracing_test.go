package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/internal/telemetry"
)

// One text in, its auto-response out: a single trace covers the webhook's HTTP span,
// its Postgres queries, the SignalWithStart that starts the conversation, the workflow
// scheduling the send, the send activity, its queries and the Twilio HTTP call. The
// status callback Twilio sends later is its own trace (Twilio calls back outside any
// trace), named by route, carrying the message id, and linked to the send. No span
// name or attribute holds the customer's number. The same text shows in the api's HTTP
// metrics (by route) and the worker's send metrics.
func TestTraceFollowsATextToTwilio(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := telemetry.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(spans))
	// Before the stack starts: api and worker instrument only when tracing is on. The
	// cleanup runs after the stack's (registered later).
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		_ = tp.Shutdown(context.Background())
	})
	// Chat off: the auto-response goes out.
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := startStackWith(t, stackOptions{autoResponse: "We are closed; an agent will answer in the morning.",
		configure: func(c *config.Config) { c.WorkerMetricsAddr = fmt.Sprintf("127.0.0.1:%d", port) }})
	defer func() { // a failure shows what was traced
		if t.Failed() {
			for _, sp := range spans.GetSpans().Snapshots() {
				t.Logf("span %s %q parent %s links %d %v", sp.SpanContext().TraceID(), sp.Name(), sp.Parent().SpanID(), len(sp.Links()), sp.Attributes())
			}
		}
	}()
	customer, sid := newPhone(), newSID()

	if code := s.postSignedWebhook(url.Values{"MessageSid": {sid}, "From": {customer}, "To": {s.teamPhone}, "Body": {"hello"}}); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	var webhook, callback sdktrace.ReadOnlySpan
	eventually(t, "the auto-response's status callback span", func() bool {
		webhook, callback = nil, nil
		for _, sp := range spans.GetSpans().Snapshots() {
			switch {
			case sp.Name() == "POST /webhooks/twilio/messages" && attr(sp, "twilio.message_sid") == sid:
				webhook = sp
			case sp.Name() == "POST /webhooks/twilio/status":
				callback = sp
			}
		}
		return webhook != nil && callback != nil && linkInto(callback, webhook.SpanContext().TraceID()) != nil
	})
	if got := s.sentTo(customer); len(got) != 1 {
		t.Fatalf("sent to the customer: %d messages; want the auto-response", len(got))
	}

	all := spans.GetSpans().Snapshots()
	traceID := webhook.SpanContext().TraceID()
	var inTrace []sdktrace.ReadOnlySpan
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range all {
		if sp.SpanContext().TraceID() == traceID {
			inTrace = append(inTrace, sp)
			byID[sp.SpanContext().SpanID().String()] = sp
		}
	}
	names := make([]string, 0, len(inTrace))
	for _, sp := range inTrace {
		names = append(names, sp.Name())
	}
	slices.Sort(names)
	t.Logf("%d spans in the message's trace: %s", len(names), strings.Join(slices.Compact(names), ", "))

	find := func(what string, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
		t.Helper()
		for _, sp := range inTrace {
			if match(sp) {
				return sp
			}
		}
		t.Fatalf("the message's trace has no %s span; it has: %s", what, strings.Join(names, ", "))
		return nil
	}
	prefixed := func(p string) func(sdktrace.ReadOnlySpan) bool {
		return func(sp sdktrace.ReadOnlySpan) bool { return strings.HasPrefix(sp.Name(), p) }
	}
	if webhook.SpanKind() != trace.SpanKindServer || attr(webhook, "http.route") != "/webhooks/twilio/messages" {
		t.Errorf("webhook span: kind %v, http.route %q", webhook.SpanKind(), attr(webhook, "http.route"))
	}
	isDB := func(sp sdktrace.ReadOnlySpan) bool { return attr(sp, "db.system.name") == "postgresql" }
	find("Postgres query under the webhook", func(sp sdktrace.ReadOnlySpan) bool {
		return isDB(sp) && attr(sp, "db.query.text") != "" && sp.Parent().SpanID() == webhook.SpanContext().SpanID()
	})
	for _, sp := range all {
		if isDB(sp) && hasAttr(sp, "db.query.parameter") {
			t.Errorf("query span %q: want the SQL text and no arguments: %v", sp.Name(), sp.Attributes())
		}
	}
	find("SignalWithStartWorkflow", prefixed("SignalWithStartWorkflow:"))
	find("StartActivity (the workflow scheduling the send)", prefixed("StartActivity:"))
	twilio := find("Twilio HTTP client", prefixed("twilio POST /2010-04-01/Accounts/{ACSid}/Messages.json"))
	run, ok := byID[twilio.Parent().SpanID().String()]
	if !ok || !strings.HasPrefix(run.Name(), "RunActivity:") {
		t.Errorf("the Twilio call's parent is %v; want the send's RunActivity span", run)
	} else {
		find("Postgres query in the send activity", func(sp sdktrace.ReadOnlySpan) bool {
			return isDB(sp) && sp.Parent().SpanID() == run.SpanContext().SpanID()
		})
		if l := linkInto(callback, traceID); l.SpanID() != run.SpanContext().SpanID() {
			t.Errorf("status callback links to span %s; want the send's RunActivity %s", l.SpanID(), run.SpanContext().SpanID())
		}
	}
	if run != nil && (attr(callback, "textdesk.message_id") != attr(run, "textdesk.message_id") ||
		attr(callback, "twilio.message_sid") != attr(run, "twilio.message_sid")) {
		t.Errorf("status callback names message %s (%s); the send named %s (%s)", attr(callback, "textdesk.message_id"),
			attr(callback, "twilio.message_sid"), attr(run, "textdesk.message_id"), attr(run, "twilio.message_sid"))
	}
	if attr(callback, "textdesk.message_id") == "" || !strings.HasPrefix(attr(callback, "twilio.message_sid"), "SM") {
		t.Errorf("status callback span attributes: %v", callback.Attributes())
	}

	// The customer's number appears nowhere: not in names, not in attributes (Twilio's
	// message list is filtered by To; the webhook's form holds From).
	digits := strings.TrimPrefix(customer, "+")
	for _, sp := range all {
		if strings.Contains(sp.Name(), digits) {
			t.Errorf("span name %q holds the customer's number", sp.Name())
		}
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.String(), digits) {
				t.Errorf("span %q attribute %s=%q holds the customer's number", sp.Name(), kv.Key, kv.Value.String())
			}
		}
	}

	// Metrics: by route pattern, never by path or number.
	api := scrapeMetrics(t, s.internalURL+"/metrics")
	for _, route := range []string{"/webhooks/twilio/messages", "/webhooks/twilio/status"} {
		if !hasSeries(api, "textdesk_http_request_duration_seconds_count", `route="`+route+`"`, `method="POST"`, `status="2xx"`) {
			t.Errorf("api /metrics: no POST %s 2xx requests", route)
		}
	}
	if _, ok := api["textdesk_event_streams_open"]; !ok {
		t.Error("api /metrics: no textdesk_event_streams_open")
	}
	worker := scrapeMetrics(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if !hasSeries(worker, "textdesk_sms_sends_total", `outcome="sent"`, `reason="created"`) {
		t.Error("worker /metrics: the auto-response is not counted as sent")
	}
	for k := range api {
		if strings.Contains(k, digits) {
			t.Errorf("api series %s holds the customer's number", k)
		}
	}

	// A set-password link's token is a credential: its request's span must not hold it.
	const token = "trace-canary-reset-token-0123456789abcdef"
	resp, err := http.Get(s.apiURL + "/v1/password-resets/" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var reset sdktrace.ReadOnlySpan
	eventually(t, "the password-reset request's span", func() bool {
		for _, sp := range spans.GetSpans().Snapshots() {
			if sp.Name() == "GET /v1/password-resets/{token}" {
				reset = sp
			}
		}
		return reset != nil
	})
	for _, kv := range reset.Attributes() {
		if strings.Contains(kv.Value.String(), "canary-reset") {
			t.Errorf("the password-reset span's %s holds the token: %s", kv.Key, kv.Value.String())
		}
	}
}

func attr(sp sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range sp.Attributes() {
		if kv.Key == attribute.Key(key) {
			return kv.Value.String()
		}
	}
	return ""
}

// linkInto is sp's link into trace id, nil if none.
func linkInto(sp sdktrace.ReadOnlySpan, id trace.TraceID) *trace.SpanContext {
	for _, l := range sp.Links() {
		if l.SpanContext.TraceID() == id {
			return &l.SpanContext
		}
	}
	return nil
}

func hasAttr(sp sdktrace.ReadOnlySpan, prefix string) bool {
	for _, kv := range sp.Attributes() {
		if strings.HasPrefix(string(kv.Key), prefix) {
			return true
		}
	}
	return false
}
