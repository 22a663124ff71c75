// Package worker wires the conversation workflow and its activities to a Temporal task
// queue.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/workflows"
)

// New returns a worker for taskQueue running the conversation workflow and acts.
//
// Activity pollers scale with the load (the server tells the SDK when tasks wait)
// instead of the SDK's fixed two: a burst of due scheduled messages is a burst of
// Twilio sends. Workflow pollers stay at the SDK's default on purpose: while a
// conversation's task waits to be polled its signals pile up and one task handles them
// all, and autoscaled workflow pollers took that batching away (make bench-quick:
// 0.2 -> 0.9 workflow tasks per message, webhook p99 at saturation about 2x;
// docs/benchmarks.md has the runs).
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		ActivityTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{}),
	})
	w.RegisterWorkflow(workflows.Conversation)
	w.RegisterActivity(acts)
	return w
}
