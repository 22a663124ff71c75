package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/activities"
)

// PruneInterval is how often the prune schedule starts Prune.
const PruneInterval = time.Hour

// PruneScheduleID is the Temporal Schedule that starts Prune on taskQueue: one per
// deployment (namespace and task queue), whatever the number of workers.
func PruneScheduleID(taskQueue string) string { return "textdesk-prune-" + taskQueue }

// Prune deletes expired agent events and spent authentication rows (activities.Prune).
func Prune(ctx workflow.Context) (activities.PruneResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumAttempts: 5},
	})
	var acts *activities.Activities
	var res activities.PruneResult
	err := workflow.ExecuteActivity(ctx, acts.Prune).Get(ctx, &res)
	return res, err
}
