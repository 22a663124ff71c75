package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/internal/telemetry"
	"github.com/textdesk/textdesk/store"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	userKey
	credentialKey
)

// maxRequestID bounds a client's X-Request-Id.
const maxRequestID = 64

// requestIDs gives every request an id for its log lines: the client's X-Request-Id
// when it is 1 to 64 characters of letters, digits and . _ : - (so a client cannot
// write newlines, escape sequences or kilobytes into the log), else a fresh one. The
// answer carries it back in X-Request-Id.
func requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(middleware.RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(middleware.RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID is 96 random bits, hex.
func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// logRequests logs one line per request, records it in the HTTP metrics, names the
// request's span by its route, and puts a request-scoped logger in the context. The
// route pattern (/v1/conversations/{id}) is known only once chi has routed the
// request, so all three happen after it.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.Log.With("request_id", middleware.GetReqID(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), loggerKey, log)))
		took, route := time.Since(start), s.routeOf(r)
		observeRequest(route, r.Method, ww.Status(), took)
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			// The path as the access log shows it: a set-password token is a credential.
			span.SetAttributes(semconv.URLPath(redactPath(r.URL.Path)))
			if route != "" {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(semconv.HTTPRoute(route))
			}
		}
		// With the context, so that the line carries the trace id.
		log.InfoContext(r.Context(), "http", "method", r.Method, "route", route, "path", redactPath(r.URL.Path),
			"status", ww.Status(), "took", took)
	})
}

// routeOf is the pattern of the route r took. A request a group's middleware answered
// (no credential, a bad webhook signature) got no further than the group ("/v1/*"):
// its route is looked up, so that it is counted under the route it asked for.
func (s *Server) routeOf(r *http.Request) string {
	route := chi.RouteContext(r.Context()).RoutePattern()
	if strings.HasSuffix(route, "/*") && s.router != nil {
		if full := s.router.Find(chi.NewRouteContext(), r.Method, r.URL.Path); full != "" {
			route = full
		}
	}
	return route
}

// traced wraps the router in OpenTelemetry's HTTP server instrumentation when tracing
// is on (telemetry.TracingOn). Every request starts its own trace: the API faces the
// internet, so a caller's traceparent is kept as a link, not trusted as the parent
// (it would let anyone force sampling). Probes and event streams are not traced: a
// stream lives for hours and polls Postgres every second, one span each.
func traced(h http.Handler) http.Handler {
	if !telemetry.TracingOn() {
		return h
	}
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithTracerProvider(otel.GetTracerProvider()),
		// Trace context only: a caller's baggage would ride into workflow headers and on
		// to Twilio.
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return true }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/v1/events":
				return false
			}
			return true
		}),
		// Renamed to "METHOD /route/{pattern}" once routed (logRequests); until then,
		// and for requests no route matches, the method alone: never the raw path.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// annotate adds attributes to the request's span, if it is traced.
func annotate(r *http.Request, kv ...attribute.KeyValue) {
	trace.SpanFromContext(r.Context()).SetAttributes(kv...)
}

// annotateStatusCallback puts a status callback's message on its span: the message id
// and SID (no phone number), and a link to the send that asked for the callback when
// the callback URL carries that send's traceparent (tp, added by the send activity).
// Twilio calls back minutes later and outside any trace, so a link is what there is.
func annotateStatusCallback(r *http.Request, sid, status string) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	q := r.URL.Query()
	span.SetAttributes(
		attribute.String("textdesk.message_id", q.Get("mid")),
		attribute.String("twilio.message_sid", sid),
		attribute.String("twilio.message_status", status),
	)
	if tp := q.Get("tp"); tp != "" {
		carrier := propagation.MapCarrier{"traceparent": tp}
		if sc := trace.SpanContextFromContext(telemetry.Propagator().Extract(context.Background(), carrier)); sc.IsValid() {
			span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("textdesk.link", "send")}})
		}
	}
}

// redactPath hides the secret of a set-password link (/v1/password-resets/{token}):
// paths are logged, and a logged secret is one more place it can leak from.
func redactPath(p string) string {
	const prefix = "/v1/password-resets/"
	if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
		return prefix + "[redacted]"
	}
	return p
}

// recoverPanics turns a handler panic into a logged 500 instead of a dead connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				loggerFrom(r).Error("panic in handler", "panic", v)
				writeError(w, r, conversation.Errorf(conversation.EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func loggerFrom(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func userFrom(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}
