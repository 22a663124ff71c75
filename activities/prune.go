package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
)

// PruneResult is what one Prune deleted.
type PruneResult struct {
	AgentEvents int64
	Auth        int64 // ended sessions, spent set-password links, old sign-in failures
}

// pruneBatch bounds one DELETE, so a large backlog does not hold one long transaction.
const pruneBatch = 10_000

// Prune deletes agent events older than EventRetention and what store.PruneAuth
// deletes. The Prune workflow runs it hourly from one Temporal Schedule, so once per
// cluster however many workers run; a delete run twice is harmless anyway.
func (a *Activities) Prune(ctx context.Context) (PruneResult, error) {
	if a.EventRetention < time.Hour {
		return PruneResult{}, errors.New("activities: EventRetention below 1h; refusing to prune")
	}
	var res PruneResult
	cutoff := a.now().Add(-a.EventRetention)
	for {
		n, err := a.Store.PruneAgentEvents(ctx, cutoff, pruneBatch)
		res.AgentEvents += n
		if err != nil {
			return res, err
		}
		activity.RecordHeartbeat(ctx, res.AgentEvents)
		if n < pruneBatch {
			break
		}
	}
	n, err := a.Store.PruneAuth(ctx)
	res.Auth = n
	if res.AgentEvents > 0 || n > 0 {
		activity.GetLogger(ctx).Info("pruned", "agent_events", res.AgentEvents, "older_than", a.EventRetention, "auth_rows", n)
	}
	return res, err
}
