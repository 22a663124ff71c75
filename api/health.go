package api

import (
	"context"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/store"
)

// healthz: the process is up (liveness).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness asks Postgres and Temporal (DependencyChecks), and with detailed also
// Temporal whether the namespace has textdesk's search attributes. The public probe
// leaves the attributes out: the api refuses to start without them, and an
// unauthenticated caller should not cost Temporal one more call per probe.
func (s *Server) readiness(ctx context.Context, detailed bool) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	checks, ok := DependencyChecks(ctx, s.Store, s.Temporal)
	if checks["temporal"] == "ok" && detailed && s.SearchAttributes != nil {
		checks["search_attributes"] = "ok"
		if err := s.SearchAttributes(ctx); err != nil {
			checks["search_attributes"], ok = err.Error(), false
		}
	}
	return checks, ok
}

// DependencyChecks asks Postgres and Temporal within ctx and returns what each
// answered ("ok" or its error) and whether both did: the readiness of every textdesk
// process (the api's /readyz, the worker's).
func DependencyChecks(ctx context.Context, st *store.Store, tc client.Client) (map[string]string, bool) {
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	ok := true
	if err := st.Ping(ctx); err != nil {
		checks["postgres"], ok = err.Error(), false
	}
	if _, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], ok = err.Error(), false
	}
	return checks, ok
}

// readyz: the public readiness probe says only ready or not ready (503); which
// dependency is down, and its error (hosts, ports), is for operators, on the internal
// address.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.readiness(r.Context(), false); !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readyzDetailed: GET /readyz on the internal address; 503 names what is down.
func (s *Server) readyzDetailed(w http.ResponseWriter, r *http.Request) {
	checks, ok := s.readiness(r.Context(), true)
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}
