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
// The SDK's default options on purpose: autoscaled pollers and eager activities were
// measured and left out (docs/benchmarks.md, "Later changes"). Autoscaled workflow
// pollers take away signal batching (a busy conversation's signals, piled up while its
// task waits to be polled, are handled by one task); autoscaled activity pollers and
// eager activities left a tail of Twilio sends waiting tens of seconds.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterWorkflow(workflows.Conversation)
	w.RegisterWorkflow(workflows.TeamChatNudge)
	w.RegisterActivity(acts)
	return w
}
