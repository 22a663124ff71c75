package activities

import (
	"context"
	"time"
)

// NudgeCursor is where a batched nudge of a team's waiting conversations goes on.
type NudgeCursor struct {
	OpenedAt time.Time
	ID       string
}

// NudgeBatchInput asks for the next batch of a team's waiting conversations.
type NudgeBatchInput struct {
	TeamID string
	After  NudgeCursor
	Limit  int
}

// NudgeBatchResult says where the next batch starts and how many were nudged.
type NudgeBatchResult struct {
	Next  NudgeCursor
	Count int
}

// NudgeTeamBatch signals one batch of the team's waiting conversations to try routing
// again (the chat switch turned on). A retry signals the batch again: harmless.
func (a *Activities) NudgeTeamBatch(ctx context.Context, in NudgeBatchInput) (NudgeBatchResult, error) {
	next, n, err := a.Dispatch.NudgeBatch(ctx, in.TeamID, in.After, in.Limit)
	return NudgeBatchResult{Next: next, Count: n}, temporalError(err)
}
