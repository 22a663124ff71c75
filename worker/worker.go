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
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflow(workflows.Conversation)
	w.RegisterActivity(acts)
	return w
}
