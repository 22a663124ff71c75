package bench

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// HistoryCost is what one workflow's history holds: the engine's work per message
// (every event is a write to the dev server's database).
type HistoryCost struct {
	Events, Activities, WorkflowTasks, Bytes int
}

// History reads a workflow's history (latest run) and counts its cost.
func History(ctx context.Context, c client.Client, workflowID string) (HistoryCost, error) {
	var h HistoryCost
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, err
		}
		h.Events++
		h.Bytes += proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			h.Activities++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			h.WorkflowTasks++
		}
	}
	return h, nil
}

// PerMessage formats a cost divided over n messages.
func (h HistoryCost) PerMessage(n int) string {
	if n == 0 {
		return "-"
	}
	f := float64(n)
	return fmt.Sprintf("%.1f events, %.1f activities, %.1f workflow tasks, %.0f bytes",
		float64(h.Events)/f, float64(h.Activities)/f, float64(h.WorkflowTasks)/f, float64(h.Bytes)/f)
}
