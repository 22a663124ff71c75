package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

const (
	convID       = "5d0c2a4e-7b1f-4c3a-9e8d-2f6a1b3c4d5e"
	teamID       = "team-1"
	teamNumber   = "+15550000001"
	contactPhone = "+15550000002"
	autoText     = "We are closed; we will text you back in the morning."
	agent        = "agent-7"
)

var start = time.Date(2025, 3, 1, 22, 0, 0, 0, time.UTC)

// a names the activities, as the workflow does: through a nil *Activities.
var a *activities.Activities

// quietLogger keeps the SDK's per-activity debug lines out of test output.
var quietLogger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))

// fakeBackend stands in for Postgres, Twilio and dispatch behind the mocked activities.
// Mock callbacks run on their own goroutines, so every field is guarded by mu.
type fakeBackend struct {
	mu           sync.Mutex
	chatOn       bool
	autoResponse string
	alwaysDup    bool            // RecordInbound reports every message as a duplicate
	seenSids     map[string]bool // MessageSids stored so far
	reserveErr   error           // ReserveAgent fails with this
	// agents are handed out by ReserveAgent, one per call, in order; once they run out
	// nobody is free ("").
	agents []string
	// skip makes RecordOutbound report a scheduled message (by ScheduledID) as skipped
	// with this reason, as the store does for one cancelled or opted out meanwhile.
	skip        map[string]string
	transferErr error                  // CheckTeamTransfer fails with this
	settings    *conversation.Settings // RecordInbound reports these (nil: DefaultSettings)
	now         func() time.Time       // the workflow clock, for reservation times
	recorded
}

// recorded is what the workflow did, as the fake backend saw it.
type recorded struct {
	calls    []string // activity names in call order
	inbound  []activities.InboundMessage
	outbound []activities.OutboundMessage
	sent     []string
	saved    []conversation.State
	upserts  []temporal.SearchAttributes
	replies  []replyOutcome // update outcomes, in order

	reserved  []activities.ReserveAgentInput
	rona      []activities.MarkRONAInput
	notified  []activities.NotifyInput
	stored    []activities.ScheduledInput
	cancelled []activities.ScheduledInput
	rehomed   []activities.ScheduledInput
	nudged    []string
	transfers []activities.TeamTransferInput
}

type replyOutcome struct {
	accepted, rejected, completed bool
	result                        workflows.ActionResult
	err                           error // the rejection or completion error
}

func (f *fakeBackend) record(name string) func() {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	return f.mu.Unlock
}

func (f *fakeBackend) RecordInbound(_ context.Context, in activities.InboundMessage) (activities.RecordInboundResult, error) {
	defer f.record("RecordInbound")()
	f.inbound = append(f.inbound, in)
	dup := f.alwaysDup || f.seenSids[in.MessageSid]
	f.seenSids[in.MessageSid] = true
	settings := conversation.DefaultSettings()
	if f.settings != nil {
		settings = *f.settings
	}
	return activities.RecordInboundResult{
		MessageID:    activities.InboundMessageID(in.MessageSid),
		Duplicate:    dup,
		ChatOn:       f.chatOn,
		AutoResponse: f.autoResponse,
		Settings:     settings,
	}, nil
}

func (f *fakeBackend) RecordOutbound(_ context.Context, m activities.OutboundMessage) (activities.RecordOutboundResult, error) {
	defer f.record("RecordOutbound")()
	f.outbound = append(f.outbound, m)
	if m.ScheduledID != "" && f.skip[m.ScheduledID] != "" {
		return activities.RecordOutboundResult{Skipped: f.skip[m.ScheduledID]}, nil
	}
	return activities.RecordOutboundResult{}, nil
}

func (f *fakeBackend) SendSMS(_ context.Context, messageID string) (activities.SendResult, error) {
	defer f.record("SendSMS")()
	f.sent = append(f.sent, messageID)
	return activities.SendResult{SID: "SM-out-" + messageID, Status: "queued"}, nil
}

func (f *fakeBackend) SaveConversation(_ context.Context, st conversation.State) error {
	defer f.record("SaveConversation")()
	f.saved = append(f.saved, st)
	return nil
}

// ReserveAgent hands out the next of agents (nobody free once they run out: the
// conversation waits in new), or fails with reserveErr.
func (f *fakeBackend) ReserveAgent(_ context.Context, in activities.ReserveAgentInput) (activities.ReserveAgentResult, error) {
	defer f.record("ReserveAgent")()
	f.reserved = append(f.reserved, in)
	if f.reserveErr != nil {
		return activities.ReserveAgentResult{}, f.reserveErr
	}
	at := start
	if f.now != nil {
		at = f.now()
	}
	var user string
	if len(f.agents) > 0 {
		user, f.agents = f.agents[0], f.agents[1:]
	}
	return activities.ReserveAgentResult{UserID: user, At: at}, nil
}

func (f *fakeBackend) MarkRONA(_ context.Context, in activities.MarkRONAInput) error {
	defer f.record("MarkRONA")()
	f.rona = append(f.rona, in)
	return nil
}

func (f *fakeBackend) Notify(_ context.Context, in activities.NotifyInput) error {
	defer f.record("Notify")()
	f.notified = append(f.notified, in)
	return nil
}

func (f *fakeBackend) StoreScheduled(_ context.Context, in activities.ScheduledInput) error {
	defer f.record("StoreScheduled")()
	f.stored = append(f.stored, in)
	return nil
}

func (f *fakeBackend) CancelScheduled(_ context.Context, in activities.ScheduledInput) error {
	defer f.record("CancelScheduled")()
	f.cancelled = append(f.cancelled, in)
	return nil
}

func (f *fakeBackend) RehomeScheduled(_ context.Context, in activities.ScheduledInput) error {
	defer f.record("RehomeScheduled")()
	f.rehomed = append(f.rehomed, in)
	return nil
}

func (f *fakeBackend) CheckTeamTransfer(_ context.Context, in activities.TeamTransferInput) error {
	defer f.record("CheckTeamTransfer")()
	f.transfers = append(f.transfers, in)
	return f.transferErr
}

func (f *fakeBackend) Redeliver(context.Context, activities.InboundMessage) error {
	defer f.record("Redeliver")()
	return nil
}

func (f *fakeBackend) NudgeWaiting(_ context.Context, teamID string) error {
	defer f.record("NudgeWaiting")()
	f.nudged = append(f.nudged, teamID)
	return nil
}

func (f *fakeBackend) setChatOn(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chatOn = on
}

// snapshot copies the recorded calls for assertions.
func (f *fakeBackend) snapshot() recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return recorded{
		calls:    slices.Clone(f.calls),
		inbound:  slices.Clone(f.inbound),
		outbound: slices.Clone(f.outbound),
		sent:     slices.Clone(f.sent),
		saved:    slices.Clone(f.saved),
		upserts:  slices.Clone(f.upserts),
		replies:  slices.Clone(f.replies),

		reserved:  slices.Clone(f.reserved),
		rona:      slices.Clone(f.rona),
		notified:  slices.Clone(f.notified),
		stored:    slices.Clone(f.stored),
		cancelled: slices.Clone(f.cancelled),
		rehomed:   slices.Clone(f.rehomed),
		nudged:    slices.Clone(f.nudged),
		transfers: slices.Clone(f.transfers),
	}
}

func (r recorded) count(name string) int {
	n := 0
	for _, c := range r.calls {
		if c == name {
			n++
		}
	}
	return n
}

// harness is one workflow under test with its fake backend.
type harness struct {
	t             *testing.T
	env           *testsuite.TestWorkflowEnvironment
	fake          *fakeBackend
	recordInbound *testsuite.MockCallWrapper // to delay RecordInbound with After
	sendSMS       *testsuite.MockCallWrapper // to delay SendSMS with After
	at            time.Duration              // offset of the next scheduled step
	startAttrs    bool                       // start with the state's search attributes set, as the API does
	final         recorded                   // what the backend saw by the end of the run
}

// newHarness mocks every activity with the fake.
func newHarness(t *testing.T, chatOn bool, autoResponse string) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger)
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(workflows.Conversation)
	f := &fakeBackend{chatOn: chatOn, autoResponse: autoResponse, seenSids: map[string]bool{}, skip: map[string]string{}, now: env.Now}

	recordInbound := env.OnActivity(a.RecordInbound, mock.Anything, mock.Anything).Return(f.RecordInbound).Maybe()
	env.OnActivity(a.RecordOutbound, mock.Anything, mock.Anything).Return(f.RecordOutbound).Maybe()
	sendSMS := env.OnActivity(a.SendSMS, mock.Anything, mock.Anything).Return(f.SendSMS).Maybe()
	env.OnActivity(a.SaveConversation, mock.Anything, mock.Anything).Return(f.SaveConversation).Maybe()
	env.OnActivity(a.ReserveAgent, mock.Anything, mock.Anything).Return(f.ReserveAgent).Maybe()
	env.OnActivity(a.MarkRONA, mock.Anything, mock.Anything).Return(f.MarkRONA).Maybe()
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(f.Notify).Maybe()
	env.OnActivity(a.StoreScheduled, mock.Anything, mock.Anything).Return(f.StoreScheduled).Maybe()
	env.OnActivity(a.CancelScheduled, mock.Anything, mock.Anything).Return(f.CancelScheduled).Maybe()
	env.OnActivity(a.RehomeScheduled, mock.Anything, mock.Anything).Return(f.RehomeScheduled).Maybe()
	env.OnActivity(a.Redeliver, mock.Anything, mock.Anything).Return(f.Redeliver).Maybe()
	env.OnActivity(a.NudgeWaiting, mock.Anything, mock.Anything).Return(f.NudgeWaiting).Maybe()
	env.OnActivity(a.CheckTeamTransfer, mock.Anything, mock.Anything).Return(f.CheckTeamTransfer).Maybe()
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.upserts = append(f.upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return().Maybe()

	return &harness{t: t, env: env, fake: f, recordInbound: recordInbound, sendSMS: sendSMS, startAttrs: true}
}

// then schedules fn one (workflow-clock) minute after the previous step. The test
// environment fires it only once the workflow is idle: earlier steps are fully handled.
func (h *harness) then(fn func()) {
	h.at += time.Minute
	h.env.RegisterDelayedCallback(fn, h.at)
}

func (h *harness) signalInbound(sid, body string) {
	h.then(func() {
		h.env.SignalWorkflow(workflows.SignalInbound, workflows.InboundSignal{
			MessageSid: sid, From: contactPhone, To: teamNumber, Body: body, NumSegments: 1,
			ReceivedAt: h.env.Now().UTC(),
		})
	})
}

func (h *harness) update(name, updateID string, act workflows.Action) {
	h.then(func() {
		h.env.UpdateWorkflow(name, updateID, &testsuite.TestUpdateCallback{
			OnAccept: func() { h.recordReply(func(o *replyOutcome) { o.accepted = true }) },
			OnReject: func(err error) {
				h.recordReply(func(o *replyOutcome) { o.rejected, o.err = true, err })
			},
			OnComplete: func(res any, err error) {
				h.recordReply(func(o *replyOutcome) {
					o.completed, o.err = true, err
					if r, ok := res.(workflows.ActionResult); ok {
						o.result = r
					}
				})
			},
		}, act)
	})
}

func (h *harness) reply(updateID string, act workflows.Action) {
	h.update(workflows.UpdateReply, updateID, act)
}

// recordReply updates the outcome of the latest update, starting a new one if needed.
func (h *harness) recordReply(fn func(*replyOutcome)) {
	f := h.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.replies); n == 0 || f.replies[n-1].rejected || f.replies[n-1].completed {
		f.replies = append(f.replies, replyOutcome{})
	}
	fn(&f.replies[len(f.replies)-1])
}

// queryState schedules a query and returns a pointer the answer lands in.
func (h *harness) queryState() *conversation.State {
	var st conversation.State
	h.then(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.t.Errorf("query %s: %v", workflows.QueryState, err)
			return
		}
		if err := v.Get(&st); err != nil {
			h.t.Errorf("decode state: %v", err)
		}
	})
	return &st
}

// run starts the workflow and lets every scheduled step happen. It returns what the
// fake backend saw after the last step. The test environment then skips ahead: a
// conversation that learnt its team's settings closes for inactivity and the run
// ends; one with no deadline waits until the environment's run timeout. The run is not
// ended with CancelWorkflow: the run loop does not handle cancellation (see
// TestCancelEndsTheRun).
func (h *harness) run(state conversation.State) recorded {
	h.t.Helper()
	steps := h.execute(workflows.ConversationInput{State: state})
	if err := h.env.GetWorkflowError(); err != nil && !temporal.IsTimeoutError(err) {
		h.t.Fatalf("workflow failed: %v", err)
	}
	return steps
}

// execute is run for any input, leaving the workflow's error (e.g. continue-as-new)
// to the caller.
func (h *harness) execute(in workflows.ConversationInput) recorded {
	h.t.Helper()
	state := in.State
	if h.startAttrs {
		// Like the API's SignalWithStart: the search attributes match the start state.
		attrs := []temporal.SearchAttributeUpdate{
			workflows.AttrConversationID.ValueSet(state.ID),
			workflows.AttrTeamID.ValueSet(state.TeamID),
			workflows.AttrStatus.ValueSet(string(state.Status)),
			workflows.AttrNextAction.ValueSet(string(state.NextAction)),
		}
		if len(state.Assignees) > 0 {
			attrs = append(attrs, workflows.AttrAssignedAgents.ValueSet(state.Assignees))
		}
		if err := h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(attrs...)); err != nil {
			h.t.Fatal(err)
		}
	}
	var steps recorded
	h.then(func() { steps = h.fake.snapshot() })
	h.env.ExecuteWorkflow(workflows.Conversation, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	h.env.AssertExpectations(h.t)
	h.final = h.fake.snapshot()
	return steps
}

// openState is the conversation as the inbound webhook starts it.
func openState() conversation.State {
	return conversation.State{
		ID: convID, TeamID: teamID, ContactID: "contact-1",
		TeamNumber: teamNumber, Contact: contactPhone,
		Status: conversation.StatusNew, NextAction: conversation.ActorAgent,
		NextActionSince: start, OpenedAt: start,
	}
}

func replyAction(id, body string) workflows.Action {
	return workflows.Action{ConversationID: convID, Caller: conversation.Caller{UserID: agent}, MessageID: id, Body: body}
}

func TestInboundWithChatOffSendsOneAutoResponse(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.signalInbound("SM1", "hello?")
	h.signalInbound("SM1", "hello?") // Twilio retried the webhook
	h.signalInbound("SM2", "anyone there?")
	state := h.queryState()
	got := h.run(openState())

	if len(got.inbound) != 3 {
		t.Fatalf("RecordInbound called %d times; want 3", len(got.inbound))
	}
	in := got.inbound[0]
	if in.ConversationID != convID || in.TeamID != teamID || in.MessageSid != "SM1" || in.Body != "hello?" ||
		in.From != contactPhone || in.To != teamNumber || !in.ReceivedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("RecordInbound input = %+v", in)
	}

	wantID := conversation.AutoResponseID(activities.InboundMessageID("SM1"))
	if len(got.outbound) != 1 {
		t.Fatalf("RecordOutbound called %d times (%+v); want exactly 1", len(got.outbound), got.outbound)
	}
	out := got.outbound[0]
	if out.MessageID != wantID || out.Kind != conversation.KindAutoResponse || out.Body != autoText ||
		out.AuthorID != "" || out.ConversationID != convID || out.From != teamNumber || out.To != contactPhone {
		t.Errorf("RecordOutbound input = %+v; want auto-response %s from %s to %s", out, wantID, teamNumber, contactPhone)
	}
	if len(got.sent) != 1 || got.sent[0] != wantID {
		t.Errorf("SendSMS calls = %v; want [%s]", got.sent, wantID)
	}
	h.env.AssertActivityNumberOfCalls(t, "SendSMS", 1)
	h.env.AssertActivityNumberOfCalls(t, "RecordOutbound", 1)
	if n := got.count("ReserveAgent"); n != 0 {
		t.Errorf("ReserveAgent called %d times; a missed conversation is not routed", n)
	}

	// One save per accepted inbound; the duplicate saves nothing.
	if len(got.saved) != 2 {
		t.Fatalf("SaveConversation called %d times; want 2", len(got.saved))
	}
	for i, st := range got.saved {
		if st.Status != conversation.StatusMissed || st.NextAction != conversation.ActorAgent || st.Version != int64(i+1) {
			t.Errorf("save %d = status %s, next %s, version %d; want missed, agent, %d", i, st.Status, st.NextAction, st.Version, i+1)
		}
	}
	if got.saved[0].AutoResponseSentAt.IsZero() {
		t.Error("first save has no AutoResponseSentAt")
	}

	if state.Status != conversation.StatusMissed || state.NextAction != conversation.ActorAgent || state.Version != 2 {
		t.Errorf("queried state = status %s, next %s, version %d; want missed, agent, 2", state.Status, state.NextAction, state.Version)
	}
}

func TestDuplicateInboundChangesNothing(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.fake.alwaysDup = true
	h.signalInbound("SM1", "hello?")
	state := h.queryState()
	got := h.run(openState())

	if !reflect.DeepEqual(got.calls, []string{"RecordInbound"}) {
		t.Errorf("activities called = %v; want only RecordInbound", got.calls)
	}
	h.env.AssertActivityNotCalled(t, "SaveConversation", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "RecordOutbound", mock.Anything, mock.Anything)
	h.env.AssertActivityNotCalled(t, "SendSMS", mock.Anything, mock.Anything)
	if len(got.upserts) != 0 {
		t.Errorf("duplicate upserted search attributes %d times", len(got.upserts))
	}
	if !reflect.DeepEqual(*state, openState()) {
		t.Errorf("state after a duplicate = %+v; want the input unchanged", *state)
	}
}

func TestReplyAccepted(t *testing.T) {
	h := newHarness(t, true, autoText)
	h.signalInbound("SM1", "hi, I have a question")
	h.reply("upd-1", replyAction("msg-1", "Hello! How can I help?"))
	state := h.queryState()
	got := h.run(openState())

	if len(got.replies) != 1 {
		t.Fatalf("reply outcomes = %+v; want 1", got.replies)
	}
	r := got.replies[0]
	if !r.accepted || r.rejected || !r.completed || r.err != nil {
		t.Fatalf("reply outcome = %+v; want accepted and completed without error", r)
	}
	// The result is small (status and version), never the whole state: it is stored in
	// the history at every action.
	if res := r.result; res.Status != conversation.StatusActive || res.Version == 0 {
		t.Errorf("reply result = %+v; want active with a version", res)
	}
	if st := lastSaved(t, got); st.Status != conversation.StatusActive || !reflect.DeepEqual(st.Assignees, []string{agent}) {
		t.Errorf("saved state = %s assigned %v; want active, assigned to %s", st.Status, st.Assignees, agent)
	}

	// Chat on: no auto-response, so the only outbound message is the agent's.
	if len(got.outbound) != 1 {
		t.Fatalf("RecordOutbound calls = %+v; want exactly the reply", got.outbound)
	}
	out := got.outbound[0]
	if out.MessageID != "msg-1" || out.Kind != conversation.KindText || out.AuthorID != agent ||
		out.Body != "Hello! How can I help?" || out.From != teamNumber || out.To != contactPhone || out.ConversationID != convID {
		t.Errorf("RecordOutbound input = %+v", out)
	}
	if !out.CreatedAt.Equal(start.Add(2 * time.Minute)) {
		t.Errorf("CreatedAt = %v; want the workflow time of the update %v", out.CreatedAt, start.Add(2*time.Minute))
	}
	if len(got.sent) != 1 || got.sent[0] != "msg-1" {
		t.Errorf("SendSMS calls = %v; want [msg-1]", got.sent)
	}
	last := got.saved[len(got.saved)-1]
	if last.Status != conversation.StatusActive || last.Version != state.Version {
		t.Errorf("last save = %s at version %d; want active at the final version %d", last.Status, last.Version, state.Version)
	}

	if state.Status != conversation.StatusActive || state.NextAction != conversation.ActorCustomer {
		t.Errorf("queried state = %s/%s; want active/customer", state.Status, state.NextAction)
	}
	if !state.NextActionSince.Equal(start.Add(2 * time.Minute)) {
		t.Errorf("NextActionSince = %v; want the reply time", state.NextActionSince)
	}
}

func TestReplyRejectedByValidator(t *testing.T) {
	wrapUp := openState()
	wrapUp.Status = conversation.StatusWrapUp
	wrapUp.Assignees = []string{agent}
	assigned := openState()
	assigned.Status = conversation.StatusActive
	assigned.Assignees = []string{"agent-2"}

	wrongConv := replyAction("msg-1", "hello")
	wrongConv.ConversationID = "an-earlier-conversation"

	for _, tc := range []struct {
		name  string
		state conversation.State
		act   workflows.Action
		code  string
	}{
		{"wrong conversation id", openState(), wrongConv, conversation.EConflict},
		{"empty body", openState(), replyAction("msg-1", ""), conversation.EInvalid},
		{"whitespace body", openState(), replyAction("msg-1", " \n\t "), conversation.EInvalid},
		{"missing message id", openState(), replyAction("", "hello"), conversation.EInvalid},
		{"too long", openState(), replyAction("msg-1", strings.Repeat("ß", conversation.MaxBodyLength+1)), conversation.EUnprocessable},
		{"wrapping up", wrapUp, replyAction("msg-1", "hello"), conversation.EConflict},
		{"assigned to another agent", assigned, replyAction("msg-1", "hello"), conversation.EForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true, autoText)
			h.reply("upd-1", tc.act)
			state := h.queryState()
			got := h.run(tc.state)

			if len(got.replies) != 1 {
				t.Fatalf("reply outcomes = %+v; want 1", got.replies)
			}
			r := got.replies[0]
			if !r.rejected || r.accepted || r.completed {
				t.Fatalf("reply outcome = %+v; want rejected by the validator", r)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(r.err, &appErr) {
				t.Fatalf("rejection %v (%T) is not an ApplicationError", r.err, r.err)
			}
			if appErr.Type() != tc.code {
				t.Errorf("ApplicationError type = %q (%v); want %q", appErr.Type(), appErr, tc.code)
			}
			if !appErr.NonRetryable() {
				t.Error("domain rejection should be non-retryable")
			}
			if len(got.calls) != 0 {
				t.Errorf("rejected reply ran activities %v", got.calls)
			}
			if len(got.upserts) != 0 {
				t.Errorf("rejected reply upserted search attributes %d times", len(got.upserts))
			}
			if !reflect.DeepEqual(*state, tc.state) {
				t.Errorf("state after a rejected reply = %+v; want unchanged %+v", *state, tc.state)
			}
		})
	}
}

// TestInboundAndReplyAreSerialised: an agent replies while the customer's text is still
// being recorded. The reply passes the validator at once but is applied only after the
// inbound event and its commands finish, so the conversation first goes missed (with
// its auto-response) and then active.
func TestInboundAndReplyAreSerialised(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.recordInbound.After(90 * time.Second) // workflow clock: recorded at 2m30s
	h.signalInbound("SM1", "hello?")        // at 1m
	h.reply("upd-1", replyAction("msg-1", "Hi, I am here"))
	state := h.queryState()
	got := h.run(openState())

	if len(got.replies) != 1 || !got.replies[0].completed || got.replies[0].err != nil {
		t.Fatalf("reply outcomes = %+v; want one completed reply", got.replies)
	}
	var kinds []conversation.MessageKind
	for _, m := range got.outbound {
		kinds = append(kinds, m.Kind)
	}
	if !reflect.DeepEqual(kinds, []conversation.MessageKind{conversation.KindAutoResponse, conversation.KindText}) {
		t.Errorf("outbound kinds = %v; want the auto-response, then the reply", kinds)
	}
	if i, j := slices.Index(got.calls, "RecordInbound"), slices.Index(got.calls, "SaveConversation"); i < 0 || j < i {
		t.Errorf("calls = %v; want the inbound recorded before anything is saved", got.calls)
	}
	if len(got.saved) != 2 || got.saved[0].Status != conversation.StatusMissed || got.saved[1].Status != conversation.StatusActive {
		t.Errorf("saves = %+v; want missed, then active", got.saved)
	}
	if state.Status != conversation.StatusActive || state.NextAction != conversation.ActorCustomer || state.Version != 2 {
		t.Errorf("state = %+v; want active, customer next, version 2", *state)
	}
}

func TestStateQuery(t *testing.T) {
	h := newHarness(t, false, "")
	initial := h.queryState()
	h.signalInbound("SM1", "hello?")
	afterInbound := h.queryState()
	h.reply("upd-1", replyAction("msg-1", "Hi"))
	afterReply := h.queryState()
	got := h.run(openState())

	if !reflect.DeepEqual(*initial, openState()) {
		t.Errorf("initial state = %+v; want the start input", *initial)
	}
	// Chat off without auto-response text: missed, nothing sent.
	if afterInbound.Status != conversation.StatusMissed || afterInbound.NextAction != conversation.ActorAgent {
		t.Errorf("after inbound = %s/%s; want missed/agent", afterInbound.Status, afterInbound.NextAction)
	}
	if afterReply.Status != conversation.StatusActive || afterReply.NextAction != conversation.ActorCustomer {
		t.Errorf("after reply = %s/%s; want active/customer", afterReply.Status, afterReply.NextAction)
	}
	if len(got.outbound) != 1 || got.outbound[0].Kind != conversation.KindText {
		t.Errorf("outbound = %+v; want only the agent's reply (no auto-response text configured)", got.outbound)
	}
}

// upsert is what one search attribute upsert set, for comparison.
type upsert struct {
	keys      []string // names of the attributes set, sorted
	status    string
	next      string
	assignees []string
}

func describe(sa temporal.SearchAttributes) upsert {
	var u upsert
	for k := range sa.GetUntypedValues() {
		u.keys = append(u.keys, k.GetName())
	}
	slices.Sort(u.keys)
	u.status, _ = sa.GetKeyword(workflows.AttrStatus)
	u.next, _ = sa.GetKeyword(workflows.AttrNextAction)
	u.assignees, _ = sa.GetKeywordList(workflows.AttrAssignedAgents)
	return u
}

// TestSearchAttributesUpsertedOnlyOnChange walks a conversation through several
// transitions and checks each upsert names exactly the attributes that changed.
func TestSearchAttributesUpsertedOnlyOnChange(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.signalInbound("SM1", "hello?")                          // new -> missed; agent stays next
	h.signalInbound("SM2", "hello??")                         // nothing ops filter on changes
	h.reply("upd-1", replyAction("msg-1", "Sorry, here now")) // missed -> active; customer next; assigned
	h.then(func() { h.fake.setChatOn(true) })
	h.signalInbound("SM3", "thanks")                         // agent next
	h.reply("upd-2", replyAction("msg-2", "You're welcome")) // customer next
	h.reply("upd-3", replyAction("msg-3", "Anything else?")) // customer stays next
	got := h.run(openState())

	status, next, assigned := workflows.AttrStatus.GetName(), workflows.AttrNextAction.GetName(), workflows.AttrAssignedAgents.GetName()
	want := []upsert{
		{keys: []string{status}, status: "missed"},
		{keys: sorted(status, next, assigned), status: "active", next: "customer", assignees: []string{agent}},
		{keys: []string{next}, next: "agent"},
		{keys: []string{next}, next: "customer"},
	}
	var have []upsert
	for _, sa := range got.upserts {
		have = append(have, describe(sa))
	}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("upserts:\n got %+v\nwant %+v", have, want)
	}
	// Every accepted event is still mirrored to Postgres, changed attributes or not.
	if n := len(got.saved); n != 6 {
		t.Errorf("SaveConversation called %d times; want 6", n)
	}
	if len(got.sent) != 4 {
		t.Errorf("SendSMS calls = %v; want one auto-response and three replies", got.sent)
	}
}

// TestSearchAttributesSetAtStartWhenMissing: a run started without search attributes
// (e.g. by hand) sets them all at once before anything else.
func TestSearchAttributesSetAtStartWhenMissing(t *testing.T) {
	h := newHarness(t, true, autoText)
	h.startAttrs = false
	got := h.run(openState())

	if len(got.upserts) != 1 {
		t.Fatalf("%d upserts; want 1", len(got.upserts))
	}
	sa := got.upserts[0]
	for key, want := range map[temporal.SearchAttributeKeyKeyword]string{
		workflows.AttrConversationID: convID,
		workflows.AttrTeamID:         teamID,
		workflows.AttrStatus:         string(conversation.StatusNew),
		workflows.AttrNextAction:     string(conversation.ActorAgent),
	} {
		if have, ok := sa.GetKeyword(key); !ok || have != want {
			t.Errorf("%s = %q (set %v); want %q", key.GetName(), have, ok, want)
		}
	}
}

// TestInactiveConversationClosesAndFinishes: with nothing more happening, the
// conversation closes for inactivity one InactivityWindow after its last message, frees
// its agent's capacity, and the run ends.
func TestInactiveConversationClosesAndFinishes(t *testing.T) {
	h := newHarness(t, true, autoText)
	h.signalInbound("SM1", "hi")
	h.reply("upd-1", replyAction("msg-1", "Hello!"))
	h.run(openState())

	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error = %v; want a clean finish", err)
	}
	last := h.final.saved[len(h.final.saved)-1]
	lastMessage := start.Add(2 * time.Minute)
	if last.Status != conversation.StatusClosed || last.CloseReason != conversation.ClosedInactive ||
		!last.ClosedAt.Equal(lastMessage.Add(conversation.DefaultSettings().InactivityWindow)) {
		t.Errorf("final save = %s (%s) at %v; want closed (inactive) one window after %v",
			last.Status, last.CloseReason, last.ClosedAt, lastMessage)
	}
	if h.final.count("NudgeWaiting") != 1 {
		t.Errorf("calls = %v; want one NudgeWaiting for the freed agent", h.final.calls)
	}
	u := describe(h.final.upserts[len(h.final.upserts)-1])
	if u.status != string(conversation.StatusClosed) || u.next != string(conversation.ActorNone) {
		t.Errorf("last upsert = %+v; want status closed, next action none", u)
	}
}

// TestClosedConversationRunEndsAtOnce: a run started (or continued) with a closed
// state has nothing to do.
func TestClosedConversationRunEndsAtOnce(t *testing.T) {
	h := newHarness(t, true, autoText)
	st := openState()
	st.Status = conversation.StatusClosed
	st.NextAction = conversation.ActorNone
	h.run(st)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error = %v; want a clean finish", err)
	}
	if len(h.final.calls) != 0 || len(h.final.upserts) != 0 {
		t.Errorf("calls %v, %d upserts; want none", h.final.calls, len(h.final.upserts))
	}
}

// TestCancelEndsTheRun: cancelling the workflow ends the run as cancelled (regression:
// the run loop used to re-arm its timer on the cancelled context and spin forever).
func TestCancelEndsTheRun(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.signalInbound("SM1", "hello?") // learns the settings: an inactivity timer is armed
	h.then(h.env.CancelWorkflow)
	h.env.ExecuteWorkflow(workflows.Conversation, workflows.ConversationInput{State: openState()})
	if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v; want cancelled", err)
	}
}

// TestRoutingRecoversFromFailedReservation: a reservation that fails for good must not
// leave the conversation waiting forever for its answer; the next route signal tries
// again (regression: the failed command's follow-up event used to be dropped).
func TestRoutingRecoversFromFailedReservation(t *testing.T) {
	h := newHarness(t, true, autoText)
	h.fake.reserveErr = temporal.NewNonRetryableApplicationError("team not found", conversation.ENotFound, nil)
	h.signalInbound("SM1", "hi") // chat on: routed, reservation fails
	h.then(func() { h.env.SignalWorkflow(workflows.SignalRoute, workflows.RouteSignal{ChatOn: true}) })
	state := h.queryState()
	got := h.run(openState())

	if n := got.count("ReserveAgent"); n != 2 {
		t.Errorf("ReserveAgent called %d times; want 2 (the route signal retries)", n)
	}
	if state.RouteAttempt != 0 {
		t.Errorf("RouteAttempt = %d after the failed reservations; want 0", state.RouteAttempt)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

func TestConversationInputNeedsIDAndTeam(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger)
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.Conversation)
	bad := openState()
	bad.TeamID = ""
	env.ExecuteWorkflow(workflows.Conversation, workflows.ConversationInput{State: bad})

	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != conversation.EInvalid {
		t.Fatalf("workflow error = %v; want an ApplicationError of type %q", err, conversation.EInvalid)
	}
}
