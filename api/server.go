// Package api is textdesk's HTTP face: Twilio webhooks, the agent REST API and health
// checks, on a chi router. It reads Postgres for lists and talks to conversation
// workflows through Temporal; it never sends an SMS itself.
package api

import (
	"cmp"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twilio/twilio-go/client"
	temporalclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/textdesk/textdesk/dispatch"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Server holds the API's dependencies.
type Server struct {
	Store    *store.Store
	Temporal temporalclient.Client
	// Dispatch reaches conversation workflows.
	Dispatch *dispatch.Dispatcher
	// PublicURL is the scheme://host Twilio calls; webhook signatures cover it.
	PublicURL string
	// TwilioAuthToken verifies X-Twilio-Signature.
	TwilioAuthToken string
	// Webhooks: secondary token during rotation, trusted proxy.
	Webhooks WebhookOptions
	Log      *slog.Logger
	// Now is the clock (tests may fix it).
	Now func() time.Time
	// Stopping closes when the server shuts down: event streams end then, so that the
	// HTTP server's graceful shutdown is not held up by them.
	Stopping <-chan struct{}
	// EventPoll and EventHeartbeat: how often an event stream reads the table (it also
	// wakes on NOTIFY) and sends a keep-alive comment (defaults 1 s and 15 s).
	EventPoll, EventHeartbeat time.Duration
	// Metrics is the registry GET /metrics serves; Handler adds the API's counters and
	// team gauges to it. Nil: a fresh one (telemetry.NewRegistry).
	Metrics *prometheus.Registry

	// SessionIdle and SessionLifetime end browser sessions (defaults 12 h and 7 days);
	// CredentialCheck is how often open event streams re-check their credential
	// (default 2 s).
	SessionIdle, SessionLifetime, CredentialCheck time.Duration
	// Console is the built web console (web/public's layout); nil: the one embedded in
	// the binary (package web).
	Console fs.FS
	// Limits: rate limits, event streams per user, daily send quota.
	Limits Limits
	// WriteTimeout is the http.Server's; event streams extend their write deadline by
	// it at every write (0: 60 s).
	WriteTimeout time.Duration
	// SearchAttributes, if set, checks that the Temporal namespace has textdesk's search
	// attributes (the detailed /readyz reports it).
	SearchAttributes func(context.Context) error
	// PayloadCodec is what the codec endpoint (/codec, codec.go) decodes and encodes
	// with: the payload encryption of every Temporal client. Nil: none (payloads pass
	// through unchanged).
	PayloadCodec converter.PayloadCodec
	// TemporalWebOrigins may call the codec endpoint from a browser (CORS).
	TemporalWebOrigins []string
	// DefaultSendRate is SMS_DEFAULT_SEND_RATE, shown with the numbers that have no
	// rate of their own (0: 1, a long code, as the worker takes it).
	DefaultSendRate float64

	hub     *eventHub
	creds   *credWatch
	console *console
	router  *chi.Mux // routeOf
}

// InternalHandler serves what only operators and their tools may read, on the
// internal address (API_INTERNAL_ADDR): GET /metrics, GET /readyz naming what is down
// and why, and GET /healthz. Never expose it to the internet: /metrics lists team ids
// and volumes, and /readyz's errors name hosts.
func (s *Server) InternalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /readyz", s.readyzDetailed)
	mux.HandleFunc("GET /healthz", s.healthz)
	return mux
}

// Handler builds the router.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	validator := client.NewRequestValidator(s.TwilioAuthToken)
	s.hub = &eventHub{store: s.Store, log: s.Log}
	s.creds = &credWatch{store: s.Store, log: s.Log, idle: s.sessionIdle(), interval: cmp.Or(s.CredentialCheck, 2*time.Second)}

	r := chi.NewRouter()
	s.router = r
	r.Use(requestIDs, s.logRequests, s.recoverPanics, capBodies)
	// Unmatched GETs outside the API's namespaces are the console's (console.go).
	s.console = newConsole(s.Console)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// HTTP requires a 405 to say which methods the resource does take.
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, req, errMethodNotAllowed)
	})

	// Ops: liveness and a bare ready/not ready. Metrics and the detailed readiness
	// (which names what is down, with its error) are on InternalHandler only.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/openapi.yaml", s.openAPI)

	r.Route("/webhooks/twilio", func(r chi.Router) {
		r.Use(s.requireTwilioSignature(validator))
		r.Post("/messages", s.inboundMessage)
		r.Post("/status", s.statusCallback)
	})

	// Temporal Web's and the temporal CLI's codec server (codec.go): admins only.
	r.Route("/codec", s.codecRoutes)

	// Without a credential: signing in, and set-password links (the secret is the proof).
	r.Post("/v1/sessions", s.createSession)
	r.Get("/v1/password-resets/{token}", s.getPasswordReset)
	r.Post("/v1/password-resets/{token}", s.postPasswordReset)

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate, s.rateLimited("all", Limits.perMinute))
		// Routes that search, send or start workflows have a second, stricter limit.
		expensive := r.With(s.rateLimited("expensive", Limits.expensivePerMinute))
		r.Delete("/sessions/current", s.deleteCurrentSession)
		r.Get("/me/sessions", s.listMySessions)
		r.Delete("/me/sessions/{id}", s.deleteMySession)
		r.Put("/me/password", s.putMyPassword)
		r.Get("/me/tokens", s.listMyTokens)
		r.Post("/me/tokens", s.createMyToken)
		r.Delete("/me/tokens/{id}", s.deleteMyToken)
		r.Get("/audit-events", s.listAuditEvents)
		r.Get("/users", s.listUsers)
		r.Patch("/users/{id}", s.patchUser)
		r.Delete("/users/{id}/sessions", s.deleteUserSessions)
		r.Post("/users/{id}/password-reset", s.createPasswordReset)
		r.Get("/me", s.getMe)
		r.Put("/me/presence", s.putPresence)
		r.Get("/me/offers", s.getOffers)
		r.Get("/me/inbox-counts", s.getInboxCounts)
		r.Get("/me/preferences", s.getPreferences)
		r.Put("/me/preferences", s.putPreferences)
		r.Get("/events", s.events)
		r.Get("/conversations", s.listConversations)
		expensive.Get("/search", s.search)
		r.Get("/conversations/{id}", s.getConversation)
		r.Delete("/conversations/{id}", s.act(workflows.UpdateDelete, adminOnly))
		r.Get("/conversations/{id}/messages", s.listMessages)
		r.Post("/conversations/{id}/messages", s.postMessage)
		r.Post("/conversations/{id}/notes", s.postNote)
		r.Post("/conversations/{id}/read", s.markRead)
		r.Post("/conversations/{id}/accept", s.act(workflows.UpdateAccept, noBody))
		r.Post("/conversations/{id}/assign", s.act(workflows.UpdateAssign, s.parseAssign))
		r.Post("/conversations/{id}/transfer", s.act(workflows.UpdateTransfer, s.parseTransfer))
		r.Post("/conversations/{id}/conference", s.act(workflows.UpdateConference, s.parseConference))
		r.Delete("/conversations/{id}/conference/{user_id}", s.act(workflows.UpdateLeaveConference, parseLeave))
		r.Post("/conversations/{id}/end", s.act(workflows.UpdateEnd, noBody))
		r.Post("/conversations/{id}/wrap-up", s.act(workflows.UpdateWrapUp, s.parseWrapUp))
		r.Post("/conversations/{id}/archive", s.act(workflows.UpdateArchive, noBody))
		r.Put("/conversations/{id}/visibility", s.act(workflows.UpdateVisibility, s.parseVisibility))
		r.Post("/conversations/{id}/unarchive", s.unarchive)
		r.Get("/conversations/{id}/scheduled", s.listScheduled)
		r.Get("/conversations/{id}/events", s.listConversationEvents)
		expensive.Post("/messages", s.postOutbound)
		expensive.Post("/scheduled-messages", s.postScheduled)
		expensive.Post("/scheduled-messages/batch", s.postScheduledBatch)
		r.Get("/teams/{id}/scheduled-messages", s.listTeamScheduled)
		r.Delete("/scheduled-messages/{id}", s.deleteScheduled)
		expensive.Get("/contacts", s.listContacts)
		r.Get("/contacts/{id}", s.getContact)
		r.Patch("/contacts/{id}", s.patchContact)
		r.Get("/contacts/{id}/history", s.contactHistory)
		expensive.Get("/contacts/{id}/conversations/export", s.exportContact)
		expensive.Get("/teams/{id}/conversations/export", s.exportTeam)
		r.Post("/contacts/{id}/log", s.postContactLog)
		expensive.Post("/chat-handoffs", s.postHandoff)
		r.Get("/teams/{id}/metrics", s.getTeamMetrics)
		r.Post("/teams", s.createTeam)
		r.Get("/teams/{id}", s.getTeam)
		r.Patch("/teams/{id}", s.patchTeam)
		expensive.Put("/teams/{id}/chat", s.putChat)
		r.Get("/teams/{id}/wrap-up-reasons", s.listWrapUpReasons)
		r.Post("/teams/{id}/wrap-up-reasons", s.postWrapUpReason)
		r.Delete("/teams/{id}/wrap-up-reasons/{reason}", s.deleteWrapUpReason)
		r.Get("/teams/{id}/templates", s.listTemplates)
		r.Post("/teams/{id}/templates", s.postTemplate)
		r.Patch("/teams/{id}/templates/{template_id}", s.patchTemplate)
		r.Delete("/teams/{id}/templates/{template_id}", s.deleteTemplate)
		r.Post("/templates/preview", s.previewTemplate)
		r.Post("/teams/{id}/numbers", s.addTeamNumber)
		r.Delete("/teams/{id}/numbers/{number}", s.deleteTeamNumber)
		r.Get("/teams/{id}/numbers", s.listTeamNumbers)
		r.Patch("/teams/{id}/numbers/{number}", s.patchTeamNumber)
		r.Get("/teams/{id}/messaging-services", s.listMessagingServices)
		r.Post("/teams/{id}/messaging-services", s.linkMessagingService)
		r.Delete("/teams/{id}/messaging-services/{sid}", s.unlinkMessagingService)
		r.Get("/teams/{id}/members", s.listTeamMembers)
		r.Put("/teams/{id}/members/{user_id}", s.putTeamMember)
		r.Delete("/teams/{id}/members/{user_id}", s.deleteTeamMember)
		r.Post("/users", s.createUser)
		r.Post("/users/{id}/tokens", s.createToken)
		r.Get("/users/{id}/tokens", s.listTokens)
		r.Delete("/users/{id}/tokens/{token_id}", s.revokeToken)
	})
	return traced(r)
}
