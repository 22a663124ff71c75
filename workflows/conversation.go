package workflows

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
)

// DefaultContinueAsNewAfter is the history length at which a run continues as new
// unless Temporal suggests it earlier.
const DefaultContinueAsNewAfter = 10_000

// ConversationInput starts (or continues-as-new) a conversation workflow.
type ConversationInput struct {
	State conversation.State
	// ContinueAsNewAfter overrides DefaultContinueAsNewAfter (tests force tiny values).
	ContinueAsNewAfter int
	// StartSummary is the first run's static summary (StartMetadata). Temporal keeps a
	// summary for the run it was given to only, so continued runs carry it here and
	// show it in their current details.
	StartSummary string `json:",omitempty"`
}

// InboundSignal is a customer's SMS as the Twilio webhook delivered it.
type InboundSignal struct {
	MessageSid  string
	From        string
	To          string
	Body        string
	NumSegments int
	ReceivedAt  time.Time
}

// activity stubs: the workflow names activities through a nil *Activities, as the SDK expects.
var acts *activities.Activities

// Conversation is the workflow for one conversation, from the first text to wrap-up.
// It is a thin shell: signals, updates and one timer become events for the state
// machine in package conversation, and the commands it returns become activities.
func Conversation(ctx workflow.Context, in ConversationInput) error {
	if in.State.ID == "" || in.State.TeamID == "" {
		return temporal.NewNonRetryableApplicationError("conversation input needs an id and a team", conversation.EInvalid, nil)
	}
	w := &conversationWorkflow{
		state:     in.State,
		lock:      workflow.NewMutex(ctx),
		wake:      workflow.NewBufferedChannel(ctx, 1),
		threshold: in.ContinueAsNewAfter,
		summary:   in.StartSummary,
	}
	if w.threshold <= 0 {
		w.threshold = DefaultContinueAsNewAfter
	}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

type conversationWorkflow struct {
	state conversation.State
	// lock serialises event handling: an event and all its commands finish before the
	// next event (signal, update or timer) is applied.
	lock workflow.Mutex
	// wake tells the main loop an update changed the state (and maybe the deadline).
	wake      workflow.Channel
	threshold int
	// sends counts send coroutines still running; closing and continue-as-new wait.
	sends int
	// localDB: this run does its Postgres writes as local activities (see db).
	localDB bool
	// summary: how the conversation started (ConversationInput.StartSummary).
	summary string
}

func (w *conversationWorkflow) setup(ctx workflow.Context) error {
	// Runs started before local activities keep replaying their recorded activities.
	w.localDB = workflow.GetVersion(ctx, changeLocalDB, workflow.DefaultVersion, 1) >= 1
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (conversation.State, error) {
		return w.state, nil
	}); err != nil {
		return err
	}
	for _, name := range actionUpdates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, a Action) (ActionResult, error) { return w.act(ctx, name, a) },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a Action) error { return w.validate(ctx, name, a) }},
		); err != nil {
			return err
		}
	}
	w.showDetails(ctx)
	return w.syncSearchAttributes(ctx)
}

func (w *conversationWorkflow) run(ctx workflow.Context) error {
	inbound := workflow.GetSignalChannel(ctx, SignalInbound)
	route := workflow.GetSignalChannel(ctx, SignalRoute)
	var (
		armed       time.Time // deadline the timer is set for
		timer       workflow.Future
		cancelTimer workflow.CancelFunc = func() {}
	)
	for !w.state.Closed() {
		if ctx.Err() != nil { // cancelled (by an operator): stop, do not re-arm timers
			cancelTimer()
			return ctx.Err()
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= w.threshold {
			cancelTimer()
			return w.continueAsNew(ctx, inbound, route)
		}
		// One timer for the earliest deadline; re-armed only when that deadline moves.
		if dl := w.state.NextDeadline(); !dl.Equal(armed) {
			cancelTimer()
			armed, timer, cancelTimer = dl, nil, func() {}
			if !dl.IsZero() {
				tctx, cancel := workflow.WithCancel(ctx)
				// The summary names the deadline in Temporal Web; it is not part of
				// command matching, so runs recorded without it replay unchanged.
				timer = workflow.NewTimerWithOptions(tctx, max(dl.Sub(workflow.Now(ctx)), 0),
					workflow.TimerOptions{Summary: deadlineSummary(w.state, dl)})
				cancelTimer = cancel
			}
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(inbound, func(c workflow.ReceiveChannel, _ bool) {
			var sig InboundSignal
			c.Receive(ctx, &sig)
			w.locked(ctx, func() { w.onInbound(ctx, sig) })
		})
		sel.AddReceive(route, func(c workflow.ReceiveChannel, _ bool) {
			var sig RouteSignal
			c.Receive(ctx, &sig)
			w.locked(ctx, func() { w.applyLogged(ctx, conversation.RouteRequested{At: workflow.Now(ctx), ChatOn: sig.ChatOn}) })
		})
		sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		if timer != nil {
			sel.AddFuture(timer, func(f workflow.Future) {
				armed, timer = time.Time{}, nil
				if f.Get(ctx, nil) == nil {
					w.locked(ctx, func() { w.applyLogged(ctx, conversation.Tick{At: workflow.Now(ctx)}) })
				}
			})
		}
		sel.Select(ctx)
	}
	cancelTimer()
	return w.finish(ctx, inbound)
}

// finish ends a closed conversation's run once its sends and handlers are done. A
// message that reached it while it closed goes to the contact's next conversation.
func (w *conversationWorkflow) finish(ctx workflow.Context, inbound workflow.ReceiveChannel) error {
	for {
		if err := workflow.Await(ctx, func() bool { return w.sends == 0 && workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		var sig InboundSignal
		if !inbound.ReceiveAsync(&sig) {
			return nil
		}
		err := w.db(ctx, acts.Redeliver, w.inboundMessage(sig)).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Error("message to a closed conversation not redelivered", "message_sid", sig.MessageSid, "error", err)
		}
	}
}

// continueAsNew starts a fresh run with the same state (deadlines are absolute, so no
// timer is lost) once no handler or send is in flight and every delivered signal has
// been handled.
func (w *conversationWorkflow) continueAsNew(ctx workflow.Context, inbound, route workflow.ReceiveChannel) error {
	for {
		if err := workflow.Await(ctx, func() bool { return w.sends == 0 && workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		var sig InboundSignal
		var rs RouteSignal
		switch {
		case inbound.ReceiveAsync(&sig):
			w.locked(ctx, func() { w.onInbound(ctx, sig) })
		case route.ReceiveAsync(&rs):
			w.locked(ctx, func() { w.applyLogged(ctx, conversation.RouteRequested{At: workflow.Now(ctx), ChatOn: rs.ChatOn}) })
		default:
			if w.state.Closed() {
				return w.finish(ctx, inbound)
			}
			return workflow.NewContinueAsNewError(ctx, Conversation, ConversationInput{State: w.state, ContinueAsNewAfter: w.threshold, StartSummary: w.summary})
		}
	}
}

// showDetails sets the current details Temporal Web shows (served by a query: no
// history event). A continued run lost its static summary, so it shows it here.
func (w *conversationWorkflow) showDetails(ctx workflow.Context) {
	var continued string
	if workflow.GetInfo(ctx).ContinuedExecutionRunID != "" && w.summary != "" {
		continued = w.summary
	}
	workflow.SetCurrentDetails(ctx, currentDetails(w.state, continued))
}

func (w *conversationWorkflow) locked(ctx workflow.Context, fn func()) {
	if err := w.lock.Lock(ctx); err != nil {
		return // the workflow is being cancelled
	}
	defer w.lock.Unlock()
	fn()
}

func (w *conversationWorkflow) inboundMessage(sig InboundSignal) activities.InboundMessage {
	return activities.InboundMessage{
		ConversationID: w.state.ID, TeamID: w.state.TeamID, MessageSid: sig.MessageSid,
		From: sig.From, To: sig.To, Body: sig.Body, NumSegments: sig.NumSegments, ReceivedAt: sig.ReceivedAt,
	}
}

func (w *conversationWorkflow) onInbound(ctx workflow.Context, sig InboundSignal) {
	log := workflow.GetLogger(ctx)
	if w.state.Closed() {
		return // finish redelivers it
	}
	var rec activities.RecordInboundResult
	if err := w.db(ctx, acts.RecordInbound, w.inboundMessage(sig)).Get(ctx, &rec); err != nil {
		log.Error("inbound message not recorded", "message_sid", sig.MessageSid, "error", err)
		return
	}
	if rec.Duplicate {
		log.Info("duplicate inbound webhook ignored", "message_sid", sig.MessageSid)
		return
	}
	w.applyLogged(ctx, conversation.InboundReceived{
		MessageID: rec.MessageID, At: sig.ReceivedAt, ChatOn: rec.ChatOn, AutoResponse: rec.AutoResponse, Settings: rec.Settings,
		HelpReply: rec.HelpReply, OptedOut: rec.OptedOut(),
	})
}

func (w *conversationWorkflow) validate(ctx workflow.Context, update string, a Action) error {
	if a.ConversationID != w.state.ID {
		return domainError(conversation.Errorf(conversation.EConflict, "conversation is closed; it is read-only"))
	}
	if err := w.verifyCaller(ctx, update, a); err != nil {
		return domainError(err)
	}
	ev := capped(a.event(update, workflow.Now(ctx)), true) // new requests meet the caps
	if ev == nil {
		return domainError(conversation.Errorf(conversation.EInvalid, "unknown action %q", update))
	}
	_, _, err := conversation.Apply(w.state, ev) // pure: a dry run answers yes or no
	return domainError(err)
}

func (w *conversationWorkflow) act(ctx workflow.Context, update string, a Action) (ActionResult, error) {
	if err := w.lock.Lock(ctx); err != nil {
		return ActionResult{}, err
	}
	defer w.lock.Unlock()
	if update == UpdateTransfer && a.TeamID != "" {
		// Only the database knows whether the contact is already open in that team.
		err := w.db(ctx, acts.CheckTeamTransfer, activities.TeamTransferInput{
			ConversationID: w.state.ID, ContactID: w.state.ContactID, TeamID: a.TeamID,
		}).Get(ctx, nil)
		if err != nil {
			return ActionResult{}, err
		}
	}
	ev := a.event(update, workflow.Now(ctx))
	if update == UpdateSchedule {
		// Schedules accepted before the caps existed replay without them.
		ev = capped(ev, workflow.GetVersion(ctx, changeScheduledCaps, workflow.DefaultVersion, 1) >= 1)
	}
	// Re-checked under the lock: the state may have moved since the validator ran
	// (e.g. the offer expired at the instant the agent accepted).
	if update == UpdateTransfer || update == UpdateConference {
		// Offers made before this change replay telling the agent first.
		ev = offersAfterSave(ev, workflow.GetVersion(ctx, changeOfferNotifyAfterSave, workflow.DefaultVersion, 1) >= 1)
	}
	if err := w.apply(ctx, ev); err != nil {
		return ActionResult{}, domainError(err)
	}
	w.wake.SendAsync(true)
	// A small answer: the whole state in every update result grew the history by its
	// size at each action (the API reads the conversation from Postgres instead).
	return ActionResult{Status: w.state.Status, Version: w.state.Version}, nil
}

// changeScheduledCaps names the scheduled-message caps (GetVersion).
const changeScheduledCaps = "scheduled-caps"

// capped turns on the scheduled-message caps of a ScheduleRequested; other events pass.
func capped(ev conversation.Event, on bool) conversation.Event {
	if sr, ok := ev.(conversation.ScheduleRequested); ok {
		sr.Capped = on
		return sr
	}
	return ev
}

func (w *conversationWorkflow) applyLogged(ctx workflow.Context, ev conversation.Event) {
	if err := w.apply(ctx, ev); err != nil {
		workflow.GetLogger(ctx).Warn("event refused", "event", eventName(ev), "error", err)
	}
}

// apply runs an event through the state machine and carries out its commands in
// order; commands that answer with an event (agent reservations) feed it back in.
// The caller holds the lock.
func (w *conversationWorkflow) apply(ctx workflow.Context, ev conversation.Event) error {
	next, cmds, err := conversation.Apply(w.state, ev)
	if err != nil {
		return err
	}
	w.state = next
	w.showDetails(ctx)
	for _, cmd := range cmds {
		// A failed command may still answer with an event (a failed reservation answers
		// "nobody reserved"), so routing is never left waiting on it.
		followUp, err := w.execute(ctx, cmd)
		if err != nil {
			workflow.GetLogger(ctx).Error("command failed", "command", eventName(cmd), "error", err)
		}
		if followUp != nil {
			w.applyLogged(ctx, followUp)
		}
	}
	return nil
}

func (w *conversationWorkflow) execute(ctx workflow.Context, cmd conversation.Command) (conversation.Event, error) {
	st := w.state
	switch c := cmd.(type) {
	case conversation.SaveState:
		if err := w.syncSearchAttributes(ctx); err != nil {
			return nil, err
		}
		return nil, w.db(ctx, acts.SaveConversation, st).Get(ctx, nil)
	case conversation.ReserveAgent:
		var res activities.ReserveAgentResult
		err := w.db(ctx, acts.ReserveAgent, activities.ReserveAgentInput{ConversationID: st.ID, TeamID: c.TeamID, VisibleTo: c.VisibleTo}).Get(ctx, &res)
		if err != nil {
			return conversation.AgentReserved{Attempt: c.Attempt, At: workflow.Now(ctx)}, err
		}
		return conversation.AgentReserved{Attempt: c.Attempt, UserID: res.UserID, At: res.At}, nil
	case conversation.MarkRONA:
		return nil, w.db(ctx, acts.MarkRONA, activities.MarkRONAInput{UserID: c.UserID, OfferedAt: c.OfferedAt}).Get(ctx, nil)
	case conversation.Notify:
		return nil, w.db(ctx, acts.Notify, activities.NotifyInput{ConversationID: st.ID, UserID: c.UserID, Kind: c.Kind, Text: c.Text}).Get(ctx, nil)
	case conversation.SendMessage:
		return nil, w.send(ctx, c)
	case conversation.RecordNote:
		return nil, w.db(ctx, acts.RecordOutbound, activities.OutboundMessage{
			ConversationID: st.ID, MessageID: c.MessageID, Kind: conversation.KindNote, AuthorID: c.AuthorID,
			Body: c.Body, CreatedAt: workflow.Now(ctx),
		}).Get(ctx, nil)
	case conversation.StoreScheduled:
		return nil, w.db(ctx, acts.StoreScheduled, w.scheduledInput([]conversation.Scheduled{c.Scheduled}, "")).Get(ctx, nil)
	case conversation.CancelScheduled:
		return nil, w.db(ctx, acts.CancelScheduled, w.scheduledInput([]conversation.Scheduled{{ID: c.ID}}, c.Reason)).Get(ctx, nil)
	case conversation.RehomeScheduled:
		return nil, w.db(ctx, acts.RehomeScheduled, w.scheduledInput(c.Items, "")).Get(ctx, nil)
	case conversation.NudgeWaiting:
		return nil, w.db(ctx, acts.NudgeWaiting, c.TeamID).Get(ctx, nil)
	}
	return nil, errors.New("unknown command")
}

func (w *conversationWorkflow) scheduledInput(items []conversation.Scheduled, reason string) activities.ScheduledInput {
	return activities.ScheduledInput{ConversationID: w.state.ID, TeamID: w.state.TeamID, ContactID: w.state.ContactID, Items: items, Reason: reason}
}

// send stores the message now and hands it to Twilio in the background, so an update
// returns as soon as the agent's message is safely recorded.
func (w *conversationWorkflow) send(ctx workflow.Context, cmd conversation.SendMessage) error {
	var rec activities.RecordOutboundResult
	err := w.db(ctx, acts.RecordOutbound, activities.OutboundMessage{
		ConversationID: w.state.ID,
		MessageID:      cmd.MessageID,
		Kind:           cmd.Kind,
		AuthorID:       cmd.AuthorID,
		From:           w.state.TeamNumber,
		To:             w.state.Contact,
		Body:           cmd.Body,
		ScheduledID:    cmd.ScheduledID,
		CreatedAt:      workflow.Now(ctx),
	}).Get(ctx, &rec)
	if err != nil {
		return err
	}
	if rec.Skipped != "" {
		workflow.GetLogger(ctx).Info("scheduled message not sent", "ScheduledID", cmd.ScheduledID, "reason", rec.Skipped)
		return nil
	}
	w.sends++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { w.sends-- }()
		var res activities.SendResult
		if err := workflow.ExecuteActivity(sendContext(ctx, cmd.MessageID), acts.SendSMS, cmd.MessageID).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Error("message not handed to Twilio", "MessageID", cmd.MessageID, "error", err)
			return
		}
		if res.Reason != "" {
			workflow.GetLogger(ctx).Warn("message not sent", "MessageID", cmd.MessageID, "reason", res.Reason)
		}
	})
	return nil
}

// syncSearchAttributes upserts the search attributes ops filter on when they differ
// from the state (each upsert is a history event, so unchanged ones are skipped).
func (w *conversationWorkflow) syncSearchAttributes(ctx workflow.Context) error {
	current := workflow.GetTypedSearchAttributes(ctx)
	var updates []temporal.SearchAttributeUpdate
	set := func(key temporal.SearchAttributeKeyKeyword, want string) {
		if have, _ := current.GetKeyword(key); have != want {
			updates = append(updates, key.ValueSet(want))
		}
	}
	set(AttrConversationID, w.state.ID)
	set(AttrTeamID, w.state.TeamID)
	set(AttrStatus, string(w.state.Status))
	set(AttrNextAction, string(w.state.NextAction))
	assignees := w.state.Assignees
	if assignees == nil {
		assignees = []string{}
	}
	if have, _ := current.GetKeywordList(AttrAssignedAgents); !slices.Equal(have, assignees) {
		updates = append(updates, AttrAssignedAgents.ValueSet(assignees))
	}
	if len(updates) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// changeLocalDB names the change to local activities for Postgres writes (GetVersion).
const changeLocalDB = "local-db-activities"

// changeOfferNotifyAfterSave names the change that tells transfer and conference offers
// after SaveState (GetVersion): runs recorded before it keep notifying first.
const changeOfferNotifyAfterSave = "offer-notify-after-save"

// offersAfterSave has a transfer or conference tell its offer after the state is saved;
// other events pass.
func offersAfterSave(ev conversation.Event, on bool) conversation.Event {
	switch e := ev.(type) {
	case conversation.TransferRequested:
		e.NotifyAfterSave = on
		return e
	case conversation.ConferenceRequested:
		e.NotifyAfterSave = on
		return e
	}
	return ev
}

// localDBActivities are the short Postgres reads and writes a conversation runs as
// local activities: in the worker, inside the workflow task that asked for them, with
// one marker event in the history instead of three events and another workflow task
// (make bench measured 2.1 times the baseline's history per message before). The
// activities that call Temporal (redeliver, re-home, nudge) and the Twilio send stay
// regular activities: they may wait on other services and are retried for longer.
var localDBActivities = []string{
	"RecordInbound", "SaveConversation", "ReserveAgent", "MarkRONA", "Notify",
	"RecordOutbound", "StoreScheduled", "CancelScheduled", "CheckTeamTransfer",
}

// db runs one of the conversation's Postgres activities: as a local activity (by its
// registered name) when it is one of localDBActivities and this run uses them, as an
// activity otherwise.
func (w *conversationWorkflow) db(ctx workflow.Context, activity any, args ...any) workflow.Future {
	if name := activityName(activity); w.localDB && slices.Contains(localDBActivities, name) {
		return workflow.ExecuteLocalActivity(localDBContext(ctx), name, args...)
	}
	return workflow.ExecuteActivity(dbContext(ctx), activity, args...)
}

// activityName is the name a method of *activities.Activities is registered under.
func activityName(fn any) string {
	name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name() // pkg.(*Activities).Name-fm
	name = strings.TrimSuffix(name, "-fm")
	return name[strings.LastIndex(name, ".")+1:]
}

// localDBContext: the same retries as dbContext, for local activities.
func localDBContext(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// dbContext: Postgres writes retry until they succeed; an outage delays, never loses.
func dbContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// sendContext: Twilio hand-offs retry transient failures for up to four hours; a
// message older than that is stale and is better failed than delivered. The summary
// names the message in Temporal Web (not part of command matching).
func sendContext(ctx workflow.Context, messageID string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                "send message " + messageID,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 4 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeSendRefused},
		},
	})
}

// domainError carries a *conversation.Error across Temporal as an ApplicationError whose
// type is the error code, so the API can map it back to an HTTP status.
func domainError(err error) error {
	var e *conversation.Error
	if errors.As(err, &e) {
		return temporal.NewNonRetryableApplicationError(e.Message, e.Code, nil)
	}
	return err
}

// eventName names an event or command for logs.
func eventName(v any) string { return fmt.Sprintf("%T", v) }
