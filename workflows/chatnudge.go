package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/activities"
)

// Turning a team's chat on offers its waiting conversations. The API used to signal up
// to 500 of them inside the request; now it starts TeamChatNudge (one per team at a
// time, by its workflow id) and answers at once. The workflow signals them in batches
// of ChatNudgeBatch, one activity each, oldest first, at most ChatNudgeMax per run.

const (
	ChatNudgeBatch = 50
	ChatNudgeMax   = 2000
)

// ChatNudgeWorkflowID is the nudge workflow of a team: a request retried while it runs
// joins it instead of starting another.
func ChatNudgeWorkflowID(teamID string) string { return "team-chat-nudge-" + teamID }

// TeamChatNudge signals the team's waiting conversations to try routing again.
func TeamChatNudge(ctx workflow.Context, teamID string) (int, error) {
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second, MaximumAttempts: 10,
		},
	}
	var after activities.NudgeCursor
	total := 0
	for batch := 1; total < ChatNudgeMax; batch++ {
		// The summary is for Temporal Web; it is not part of command matching.
		opts.Summary = fmt.Sprintf("waiting conversations, batch %d", batch)
		var res activities.NudgeBatchResult
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), acts.NudgeTeamBatch, activities.NudgeBatchInput{TeamID: teamID, After: after, Limit: ChatNudgeBatch}).Get(ctx, &res)
		if err != nil {
			return total, err
		}
		total += res.Count
		if res.Count < ChatNudgeBatch {
			break
		}
		after = res.Next
	}
	return total, nil
}
