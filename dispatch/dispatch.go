// Package dispatch hands things to conversation workflows: inbound messages (opening a
// conversation when there is none), agent actions (updates), scheduled messages for a
// contact, and routing nudges. The API and the activities share it, so there is one
// way to reach a conversation.
package dispatch

import (
	"cmp"
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// Dispatcher reaches conversation workflows.
type Dispatcher struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	// ContinueAsNewAfter is the history length at which new conversation runs continue
	// as new (0: workflows.DefaultContinueAsNewAfter).
	ContinueAsNewAfter int
	// CallerKey signs the caller of every update (TEXTDESK_CALLER_KEY), which the
	// workflow's validator verifies; empty signs nothing.
	CallerKey []byte
	// IntakeLimit: new conversations a number opens per IntakeWindow before texts are
	// parked (intake.go; 0: 120 a minute).
	IntakeLimit  int
	IntakeWindow time.Duration
	// CallTimeout is how long a call to Temporal on a request's behalf may take before
	// it must show that a worker is there (0: DefaultCallTimeout). An update waits for a
	// worker to run it: with every worker down it would wait as long as the caller does.
	// A call past CallTimeout goes on while workers poll the task queue (they are busy,
	// not gone), up to MaxCallWait in all (0: DefaultMaxCallWait).
	CallTimeout time.Duration
	MaxCallWait time.Duration
	Now         func() time.Time
}

// DefaultCallTimeout is CallTimeout's default (TEXTDESK_WORKFLOW_CALL_TIMEOUT).
const DefaultCallTimeout = 5 * time.Second

// DefaultMaxCallWait is MaxCallWait's default: what a busy worker may take.
const DefaultMaxCallWait = 30 * time.Second

// call returns ctx for one call to Temporal. It ends the call after CallTimeout unless
// a worker polled the task queue within the last CallTimeout (then it checks again
// every second, up to MaxCallWait): a worker that is gone answers 503 within a few
// seconds, one that is only busy (a burst, a slow Postgres) is waited for, instead of
// turning load into errors.
func (d *Dispatcher) call(ctx context.Context) (context.Context, context.CancelFunc) {
	first := cmp.Or(d.CallTimeout, DefaultCallTimeout)
	cctx, cancel := context.WithTimeout(ctx, max(first, cmp.Or(d.MaxCallWait, DefaultMaxCallWait)))
	stop := make(chan struct{})
	go func() {
		t := time.NewTimer(first)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-cctx.Done():
				return
			case <-t.C:
			}
			if !d.workersPolling(cctx, first) {
				cancel()
				return
			}
			t.Reset(time.Second)
		}
	}()
	return cctx, func() { close(stop); cancel() }
}

// workersPolling reports whether a worker polled the task queue (workflow or activity
// tasks) within the last window. An idle worker's poll can be a minute old, but then
// the call would not be waiting: a call waits on workers that are busy (polling as they
// finish each task) or gone (their last poll getting older). An update that waits on a
// slow activity while every poller idles looks gone: it answers 503 as it would without
// this check. If Temporal cannot tell, the call keeps waiting (up to MaxCallWait).
func (d *Dispatcher) workersPolling(ctx context.Context, window time.Duration) bool {
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := d.Temporal.DescribeTaskQueue(qctx, d.TaskQueue, kind)
		cancel()
		if err != nil {
			return true
		}
		for _, p := range resp.GetPollers() {
			if time.Since(p.GetLastAccessTime().AsTime()) < window {
				return true
			}
		}
	}
	return false
}

// timedOut turns a call that call ended (the caller's own ctx still alive) into
// EUnavailable, naming the likely cause; other errors pass unchanged.
func (d *Dispatcher) timedOut(caller context.Context, err error) error {
	if err == nil || caller.Err() != nil {
		return err
	}
	// The caller is still there, so our own bound ended the call (call).
	var update *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &update) ||
		errors.As(err, &deadline) || errors.As(err, &canceled) {
		return errors.Join(conversation.Errorf(conversation.EUnavailable,
			"the conversation did not answer: no textdesk worker is processing conversations (none polled in the last %s, or all stayed busy for %s); retry shortly",
			cmp.Or(d.CallTimeout, DefaultCallTimeout), max(cmp.Or(d.CallTimeout, DefaultCallTimeout), cmp.Or(d.MaxCallWait, DefaultMaxCallWait))), err)
	}
	return err
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Inbound delivers a customer's message to their open conversation on that number,
// opening one if there is none. A conversation that closed between our read and the
// signal refuses the start (REJECT_DUPLICATE); the next attempt opens a new one.
func (d *Dispatcher) Inbound(ctx context.Context, team store.Team, contact store.Contact, sig workflows.InboundSignal) (string, error) {
	for attempt := 0; ; attempt++ {
		conv, _, err := d.Store.OpenConversation(ctx, team.ID, contact.ID, sig.To, conversation.StatusNew)
		if err != nil {
			return "", err
		}
		opts, input := d.startOptions(conv, team, contact, workflows.StartedInbound, "")
		cctx, cancel := d.call(ctx)
		_, err = d.Temporal.SignalWithStartWorkflow(cctx, workflows.WorkflowID(conv.ID), workflows.SignalInbound, sig,
			opts, workflows.Conversation, input)
		cancel()
		err = d.timedOut(ctx, err)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) && attempt < 2 {
			continue
		}
		if err != nil {
			return "", unavailable(err)
		}
		return conv.ID, nil
	}
}

// Redeliver hands an inbound message to the contact's open conversation on that
// number (opening one): used when the conversation it first reached closed meanwhile.
func (d *Dispatcher) Redeliver(ctx context.Context, m activities.InboundMessage) error {
	team, err := d.Store.TeamByNumber(ctx, m.To)
	if err != nil {
		return err
	}
	contact, err := d.Store.EnsureContact(ctx, m.From)
	if err != nil {
		return err
	}
	_, err = d.Inbound(ctx, team, contact, workflows.InboundSignal{
		MessageSid: m.MessageSid, From: m.From, To: m.To, Body: m.Body, NumSegments: m.NumSegments, ReceivedAt: m.ReceivedAt,
	})
	return err
}

// Act runs an update on a conversation's workflow and returns its state afterwards.
// updateID makes retries of the same request one action (Temporal deduplicates it).
func (d *Dispatcher) Act(ctx context.Context, conversationID, update, updateID string, a workflows.Action) (workflows.ActionResult, error) {
	a.ConversationID = conversationID
	workflows.SignAction(d.CallerKey, &a, update, updateID)
	cctx, cancel := d.call(ctx)
	defer cancel()
	handle, err := d.Temporal.UpdateWorkflow(cctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(conversationID),
		UpdateID:     updateID,
		UpdateName:   update,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{a},
	})
	var res workflows.ActionResult
	if err == nil {
		err = handle.Get(cctx, &res)
	}
	return res, FromWorkflow(d.timedOut(ctx, err))
}

// ScheduleForContact queues a message for a contact of a team: it joins the contact's
// open conversation on the team's number, or starts one that shows as open only once
// the customer replies.
func (d *Dispatcher) ScheduleForContact(ctx context.Context, team store.Team, contact store.Contact, sc conversation.Scheduled) (string, error) {
	return d.actOnContact(ctx, team, contact, "schedule-"+sc.ID, workflows.UpdateSchedule, workflows.Action{
		Caller: conversation.Caller{UserID: sc.AuthorID}, ScheduledID: sc.ID, Body: sc.Body, SendAt: sc.SendAt,
	})
}

// MessageContact sends an agent's message to a contact of a team (an outbound text not
// started from a conversation): it joins the contact's open conversation on the team's
// number, or starts one, owned by the agent, that shows as open once the customer
// replies. a carries the caller, message id and body; the message id is the update id,
// so a retry is one send.
func (d *Dispatcher) MessageContact(ctx context.Context, team store.Team, contact store.Contact, a workflows.Action) (string, error) {
	return d.actOnContact(ctx, team, contact, a.MessageID, workflows.UpdateReply, a)
}

// actOnContact runs an update on the contact's open conversation in team, starting the
// conversation (status outbound) if there is none, in one call (update-with-start).
func (d *Dispatcher) actOnContact(ctx context.Context, team store.Team, contact store.Contact, updateID, update string, a workflows.Action) (string, error) {
	if len(team.Numbers) == 0 {
		return "", conversation.Errorf(conversation.EConflict, "team %s has no number to send from", team.Name)
	}
	for attempt := 0; ; attempt++ {
		conv, _, err := d.Store.OpenConversation(ctx, team.ID, contact.ID, team.Numbers[0], conversation.StatusOutbound)
		if err != nil {
			return "", err
		}
		how := workflows.StartedAgentText
		if update == workflows.UpdateSchedule {
			how = workflows.StartedScheduled
		}
		opts, input := d.startOptions(conv, team, contact, how, a.Caller.UserID)
		opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
		a.ConversationID = conv.ID
		workflows.SignAction(d.CallerKey, &a, update, updateID)
		start := d.Temporal.NewWithStartWorkflowOperation(opts, workflows.Conversation, input)
		cctx, cancel := d.call(ctx)
		handle, err := d.Temporal.UpdateWithStartWorkflow(cctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateID:     updateID,
				UpdateName:   update,
				WaitForStage: client.WorkflowUpdateStageCompleted,
				Args:         []any{a},
			},
		})
		var res workflows.ActionResult
		if err == nil {
			err = handle.Get(cctx, &res)
		}
		cancel()
		err = d.timedOut(ctx, err)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if (errors.As(err, &started) || conversation.ErrorCode(FromWorkflow(err)) == conversation.EConflict) && attempt < 2 {
			continue // the conversation closed under us; the next one takes the message
		}
		if err != nil {
			return "", FromWorkflow(err)
		}
		return conv.ID, nil
	}
}

// Nudge asks the waiting conversations of teamIDs (new and unoffered, or missed) to try
// routing again: an agent became available, capacity freed up, or chat turned on.
// limit bounds how many are woken (oldest first).
func (d *Dispatcher) Nudge(ctx context.Context, teamIDs []string, limit int) error {
	if len(teamIDs) == 0 {
		return nil
	}
	waiting, err := d.Store.WaitingConversations(ctx, teamIDs, limit)
	if err != nil {
		return err
	}
	open := map[string]bool{}
	for _, c := range waiting {
		if _, ok := open[c.TeamID]; !ok {
			team, err := d.Store.Team(ctx, c.TeamID)
			if err != nil {
				return err
			}
			open[c.TeamID] = team.ChatOpen(d.now())
		}
		cctx, cancel := d.call(ctx)
		err := d.Temporal.SignalWorkflow(cctx, workflows.WorkflowID(c.ID), "", workflows.SignalRoute, workflows.RouteSignal{ChatOn: open[c.TeamID]})
		cancel()
		err = d.timedOut(ctx, err)
		var gone *serviceerror.NotFound
		if err != nil && !errors.As(err, &gone) {
			return unavailable(err)
		}
	}
	return nil
}

// NudgeBatch signals the team's next limit waiting conversations after cursor to try
// routing again, and returns the cursor after them and how many it signalled.
// Signalling one twice is harmless (routing tries again), so a retried batch is fine.
func (d *Dispatcher) NudgeBatch(ctx context.Context, teamID string, after activities.NudgeCursor, limit int) (activities.NudgeCursor, int, error) {
	waiting, err := d.Store.WaitingAfter(ctx, teamID, after.OpenedAt, after.ID, limit)
	if err != nil || len(waiting) == 0 {
		return after, 0, err
	}
	team, err := d.Store.Team(ctx, teamID)
	if err != nil {
		return after, 0, err
	}
	open := team.ChatOpen(d.now())
	for _, c := range waiting {
		cctx, cancel := d.call(ctx)
		err := d.Temporal.SignalWorkflow(cctx, workflows.WorkflowID(c.ID), "", workflows.SignalRoute, workflows.RouteSignal{ChatOn: open})
		cancel()
		err = d.timedOut(ctx, err)
		var gone *serviceerror.NotFound
		if err != nil && !errors.As(err, &gone) {
			return after, 0, unavailable(err)
		}
	}
	last := waiting[len(waiting)-1]
	return activities.NudgeCursor{OpenedAt: last.OpenedAt, ID: last.ID}, len(waiting), nil
}

// StartChatNudge starts the team's chat-on nudge (workflows.TeamChatNudge), or joins
// the one running: a retried request or a quick off-on starts no second walk.
func (d *Dispatcher) StartChatNudge(ctx context.Context, teamID string) error {
	cctx, cancel := d.call(ctx)
	defer cancel()
	_, err := d.Temporal.ExecuteWorkflow(cctx, client.StartWorkflowOptions{
		ID:                       workflows.ChatNudgeWorkflowID(teamID),
		TaskQueue:                d.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 10 * time.Minute,
		StaticSummary:            "chat on: offer team " + teamID + "'s waiting conversations",
	}, workflows.TeamChatNudge, teamID)
	return d.timedOut(ctx, err)
}

// startOptions starts a conversation's run. Its summary and details in Temporal Web
// come from what the caller already holds (the team, how it started, who), so a
// webhook pays no extra read for them.
func (d *Dispatcher) startOptions(conv store.Conversation, team store.Team, contact store.Contact, how workflows.Started, byUserID string) (client.StartWorkflowOptions, workflows.ConversationInput) {
	status := conversation.Status(conv.Status)
	summary, details := workflows.StartMetadata(team.Name, conv.TeamID, conv.ID, how, byUserID)
	opts := client.StartWorkflowOptions{
		StaticSummary:         summary,
		StaticDetails:         details,
		ID:                    workflows.WorkflowID(conv.ID),
		TaskQueue:             d.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrConversationID.ValueSet(conv.ID),
			workflows.AttrTeamID.ValueSet(conv.TeamID),
			workflows.AttrStatus.ValueSet(string(status)),
			workflows.AttrNextAction.ValueSet(conv.NextAction),
			workflows.AttrAssignedAgents.ValueSet([]string{}),
		),
	}
	return opts, workflows.ConversationInput{ContinueAsNewAfter: d.ContinueAsNewAfter, StartSummary: summary, State: conversation.State{
		ID: conv.ID, TeamID: conv.TeamID, ContactID: contact.ID, TeamNumber: conv.TeamNumber, Contact: contact.Phone,
		Status: status, NextAction: conversation.Actor(conv.NextAction), NextActionSince: conv.NextActionSince,
		OpenedAt: conv.OpenedAt, Settings: team.Settings(), VisibleTo: conv.VisibleTo,
		DefaultAssignees: conv.DefaultAssignees,
	}}
}

// FromWorkflow turns an ApplicationError raised from a domain error (its type is the
// code) back into a *conversation.Error; anything else stays as it is.
func FromWorkflow(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case conversation.EInvalid, conversation.EUnprocessable, conversation.EForbidden,
			conversation.ENotFound, conversation.EConflict:
			return &conversation.Error{Code: app.Type(), Message: app.Message()}
		}
	}
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		return conversation.Errorf(conversation.EConflict, "conversation is closed; it is read-only")
	}
	return err
}

func unavailable(err error) error {
	if conversation.ErrorCode(err) == conversation.EUnavailable {
		return err // already says why (timedOut)
	}
	return errors.Join(conversation.Errorf(conversation.EUnavailable, "conversation service unavailable; retry"), err)
}

// Reopen unarchives a closed conversation, owned by ownerID, and starts a new run of its
// workflow. The partial unique index refuses it while the contact has another open
// conversation in the team.
func (d *Dispatcher) Reopen(ctx context.Context, conv store.Conversation, team store.Team, ownerID string) error {
	reopened, version, err := d.Store.ReopenConversation(ctx, conv.ID, ownerID)
	if err != nil {
		return err
	}
	contact, err := d.Store.ContactByID(ctx, reopened.ContactID)
	if err != nil {
		return err
	}
	opts, input := d.startOptions(reopened, team, contact, workflows.StartedReopened, ownerID)
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	input.State.Assignees = []string{ownerID}
	input.State.DefaultAssignees = nil // the default assignment was for its first opening
	input.State.Version = version
	input.State.LastMessageAt = d.now().UTC() // the inactivity window starts again
	cctx, cancel := d.call(ctx)
	defer cancel()
	if _, err := d.Temporal.ExecuteWorkflow(cctx, opts, workflows.Conversation, input); err != nil {
		return unavailable(d.timedOut(ctx, err))
	}
	return nil
}
