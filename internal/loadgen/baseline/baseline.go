// Package baseline is what the product's ingest is measured against: a minimal workflow
// on the same dev server that receives the same signal (same payload type and size) and
// runs one Postgres insert activity per signal, on the same Postgres. Its worker runs as
// its own process (`loadgen baseline-worker`) on its own task queue with the SDK's
// default worker options, as the product's worker does.
package baseline

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/workflows"
)

// TaskQueue is the baseline's own task queue.
const TaskQueue = "loadgen-baseline"

// SignalName is the baseline workflow's signal.
const SignalName = "inbound"

// DDL creates the baseline's table; the harness runs it, it is no product migration.
// inserted_at is the activity's own clock (clock_timestamp), the end of the round trip.
const DDL = `CREATE TABLE IF NOT EXISTS loadgen_baseline (
	sid             text PRIMARY KEY,
	run             text NOT NULL,
	conversation_id text NOT NULL,
	body            text NOT NULL,
	received_at     timestamptz NOT NULL,
	inserted_at     timestamptz NOT NULL DEFAULT clock_timestamp()
)`

// Row is one signal as the activity stores it.
type Row struct {
	Run            string
	ConversationID string
	Signal         workflows.InboundSignal
}

// Activities holds the baseline's one activity.
type Activities struct{ Pool *pgxpool.Pool }

// Insert stores the signal once (a retried activity inserts nothing twice).
func (a *Activities) Insert(ctx context.Context, r Row) error {
	_, err := a.Pool.Exec(ctx, `INSERT INTO loadgen_baseline (sid, run, conversation_id, body, received_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sid) DO NOTHING`,
		r.Signal.MessageSid, r.Run, r.ConversationID, r.Signal.Body, r.Signal.ReceivedAt)
	return err
}

var acts *Activities

// Input starts a baseline conversation.
type Input struct{ Run, ConversationID string }

// Conversation receives signals forever and inserts each, one at a time, with the
// product's database activity options.
func Conversation(ctx workflow.Context, in Input) error {
	ch := workflow.GetSignalChannel(ctx, SignalName)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
		},
	})
	for {
		var sig workflows.InboundSignal
		ch.Receive(ctx, &sig)
		if err := workflow.ExecuteActivity(actx, acts.Insert, Row{Run: in.Run, ConversationID: in.ConversationID, Signal: sig}).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("baseline insert failed", "error", err)
		}
	}
}

// WorkflowID names a baseline conversation's workflow.
func WorkflowID(conversationID string) string { return "baseline-" + conversationID }

// Signal delivers sig to a baseline conversation, starting it if needed, as the
// product's webhook does for its conversation.
func Signal(ctx context.Context, c client.Client, run, conversationID string, sig workflows.InboundSignal) error {
	_, err := c.SignalWithStartWorkflow(ctx, WorkflowID(conversationID), SignalName, sig,
		client.StartWorkflowOptions{TaskQueue: TaskQueue}, Conversation, Input{Run: run, ConversationID: conversationID})
	return err
}

// RunWorker serves the baseline task queue until ctx is done.
func RunWorker(ctx context.Context, temporalAddress, namespace, databaseURL string) error {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, DDL); err != nil {
		return fmt.Errorf("baseline table: %w", err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: temporalAddress, Namespace: namespace})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, TaskQueue, worker.Options{})
	w.RegisterWorkflow(Conversation)
	w.RegisterActivity(&Activities{Pool: pool})
	if err := w.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
