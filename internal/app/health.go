package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/api"
	"github.com/textdesk/textdesk/internal/searchattrs"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// requireSearchAttributes fails, naming what is missing and how to add it, unless the
// namespace has every search attribute textdesk's workflows set (a workflow start
// would otherwise fail at the first text).
func requireSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := searchattrs.Require(ctx, c, namespace, workflows.SearchAttributes()); err != nil {
		return fmt.Errorf("check search attributes: %w", err)
	}
	return nil
}

// workerHealth answers the worker's probes: /healthz (the process serves) and /readyz
// (Temporal and Postgres answer within 2 s and the worker is polling).
type workerHealth struct {
	store    *store.Store
	temporal client.Client
	started  *atomic.Bool
}

func (h *workerHealth) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *workerHealth) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks, ok := api.DependencyChecks(ctx, h.store, h.temporal)
	checks["worker"] = "started"
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	if !h.started.Load() {
		checks["worker"], status = "not polling", http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
