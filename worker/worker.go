// Package worker wires the conversation workflow and its activities to a Temporal task
// queue.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/workflows"
)

// Lifecycle is how a worker stops.
type Lifecycle struct {
	// StopTimeout is how long Stop lets in-flight activities finish before cancelling
	// them (0: the SDK's default, none).
	StopTimeout time.Duration
	// OnFatalError is called once when the worker stops itself on an error it cannot
	// recover from (the SDK's fatal errors: an unknown namespace, a refused poll).
	OnFatalError func(error)
}

// New returns a worker for taskQueue running the conversation workflow and acts.
//
// The SDK's default options on purpose, but for the lifecycle: autoscaled pollers and
// eager activities were measured and left out (docs/benchmarks.md, "Later changes").
// Autoscaled workflow pollers take away signal batching (a busy conversation's
// signals, piled up while its task waits to be polled, are handled by one task);
// autoscaled activity pollers and eager activities left a tail of Twilio sends waiting
// tens of seconds.
func New(c client.Client, taskQueue string, acts *activities.Activities, l Lifecycle) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{WorkerStopTimeout: l.StopTimeout, OnFatalError: l.OnFatalError})
	w.RegisterWorkflow(workflows.Conversation)
	w.RegisterWorkflow(workflows.TeamChatNudge)
	w.RegisterWorkflow(workflows.Prune)
	w.RegisterActivity(acts)
	return w
}
