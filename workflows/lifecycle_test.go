package workflows_test

// Testsuite tests for the lifecycle of issue 3 through the workflow shell: the races
// (accept at the instant the offer expires, a message during wrap-up, cancel at the
// instant of sending, a transfer accepted too late), timers that end the run, the
// scheduled-message send path and continue-as-new.

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

const (
	agent2 = "agent-8"
	agent3 = "agent-9"
	admin  = "admin-1"
)

var offerTimeout = conversation.DefaultSettings().OfferTimeout

// outcome is what became of one update.
type outcome struct {
	mu                            sync.Mutex
	accepted, rejected, completed bool
	result                        workflows.ActionResult
	err                           error
}

func (o *outcome) get() (accepted, rejected, completed bool, res workflows.ActionResult, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.accepted, o.rejected, o.completed, o.result, o.err
}

// succeeded: accepted and completed without error.
func (o *outcome) succeeded() bool {
	acc, rej, done, _, err := o.get()
	return acc && !rej && done && err == nil
}

// refusal is the domain error that refused the update (by its validator or its
// handler), or nil if it was not refused.
func (o *outcome) refusal(t *testing.T) *temporal.ApplicationError {
	t.Helper()
	_, rej, done, _, err := o.get()
	if !rej && !done {
		t.Fatalf("update never finished")
	}
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("update error %v (%T) is not an ApplicationError", err, err)
	}
	return appErr
}

// at runs fn at offset d from the start on the workflow clock (unlike then, which
// counts minutes from the previous step).
func (h *harness) atTime(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

func (h *harness) updateAt(d time.Duration, name, updateID string, act workflows.Action) *outcome {
	o := &outcome{}
	h.atTime(d, func() {
		h.env.UpdateWorkflow(name, updateID, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.mu.Lock(); o.accepted = true; o.mu.Unlock() },
			OnReject: func(err error) { o.mu.Lock(); o.rejected, o.err = true, err; o.mu.Unlock() },
			OnComplete: func(res any, err error) {
				o.mu.Lock()
				defer o.mu.Unlock()
				o.completed, o.err = true, err
				if r, ok := res.(workflows.ActionResult); ok {
					o.result = r
				}
			},
		}, act)
	})
	return o
}

func (h *harness) signalAt(d time.Duration, sids ...string) {
	h.atTime(d, func() {
		for _, sid := range sids {
			h.env.SignalWorkflow(workflows.SignalInbound, workflows.InboundSignal{
				MessageSid: sid, From: contactPhone, To: teamNumber, Body: "text " + sid, NumSegments: 1,
				ReceivedAt: h.env.Now().UTC(),
			})
		}
	})
}

func (h *harness) queryAt(d time.Duration) *conversation.State {
	var st conversation.State
	h.atTime(d, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.t.Errorf("query at %v: %v", d, err)
			return
		}
		if err := v.Get(&st); err != nil {
			h.t.Errorf("decode state: %v", err)
		}
	})
	return &st
}

func act(userID string) workflows.Action {
	return workflows.Action{ConversationID: convID, Caller: conversation.Caller{UserID: userID}}
}

func actAdmin() workflows.Action {
	return workflows.Action{ConversationID: convID, Caller: conversation.Caller{UserID: admin, Admin: true}}
}

func with(a workflows.Action, f func(*workflows.Action)) workflows.Action {
	f(&a)
	return a
}

func scheduleAction(userID, id string, sendAt time.Time) workflows.Action {
	return with(act(userID), func(a *workflows.Action) {
		a.ScheduledID, a.Body, a.SendAt = id, "scheduled "+id, sendAt
	})
}

// activeState is a conversation accepted by agent, with the team's settings known.
func activeState() conversation.State {
	st := openState()
	st.Status = conversation.StatusActive
	st.Assignees = []string{agent}
	st.NextAction = conversation.ActorCustomer
	st.LastMessageAt = start
	st.Settings = conversation.DefaultSettings()
	return st
}

func (r recorded) notifiedOf(userID string, kind conversation.NotifyKind) int {
	n := 0
	for _, in := range r.notified {
		if in.UserID == userID && in.Kind == kind {
			n++
		}
	}
	return n
}

func (r recorded) outboundFor(scheduledID string) []activities.OutboundMessage {
	var out []activities.OutboundMessage
	for _, m := range r.outbound {
		if m.ScheduledID == scheduledID {
			out = append(out, m)
		}
	}
	return out
}

// lastIndex is the position of the last call named name (-1: none).
func (r recorded) lastIndex(name string) int {
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i] == name {
			return i
		}
	}
	return -1
}

func lastSaved(t *testing.T, r recorded) conversation.State {
	t.Helper()
	if len(r.saved) == 0 {
		t.Fatal("nothing was saved")
	}
	return r.saved[len(r.saved)-1]
}

// TestAcceptAtTheInstantTheOfferExpires: the agent accepts exactly when the offer
// timer fires. Exactly one of the two wins: the accept is refused as expired and the
// agent goes RONA, or the accept is applied first and nobody goes RONA. Never both.
func TestAcceptAtTheInstantTheOfferExpires(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent}
	h.signalAt(time.Minute, "SM1") // routed: offered to agent at start+1m
	offered := h.queryAt(time.Minute + time.Second)
	accept := h.updateAt(time.Minute+offerTimeout, workflows.UpdateAccept, "accept-1", act(agent))
	after := h.queryAt(2 * time.Minute)
	h.run(openState())
	got := h.final

	if o := offered.Offer; o == nil || o.UserID != agent || !o.ExpiresAt.Equal(start.Add(time.Minute+offerTimeout)) {
		t.Fatalf("offer = %+v; want one to %s expiring at %v (the test's premise)", o, agent, start.Add(time.Minute+offerTimeout))
	}
	ronaRan := got.count("MarkRONA") > 0
	if accept.succeeded() {
		t.Log("the accept was applied before the offer timer")
		if ronaRan {
			t.Errorf("the accept succeeded AND the agent was marked RONA: %+v", got.rona)
		}
		if !reflect.DeepEqual(after.Assignees, []string{agent}) || after.Status != conversation.StatusActive {
			t.Errorf("after a successful accept: %s assigned %v; want active, assigned to %s", after.Status, after.Assignees, agent)
		}
		return
	}
	t.Log("the offer timer fired before the accept")
	appErr := accept.refusal(t)
	if appErr == nil || appErr.Type() != conversation.EConflict {
		t.Fatalf("accept outcome %v; want refused with %s", appErr, conversation.EConflict)
	}
	// The refusal's wording is pinned by TestLateAcceptSaysTheOfferExpired (skipped: bug).
	if len(got.rona) != 1 || got.rona[0] != (activities.MarkRONAInput{UserID: agent, OfferedAt: offered.Offer.OfferedAt}) {
		t.Errorf("MarkRONA calls = %+v; want exactly one for %s offered at %v", got.rona, agent, offered.Offer.OfferedAt)
	}
	if len(after.Assignees) != 0 || after.Status != conversation.StatusNew || after.Offer != nil {
		t.Errorf("after the expiry: %s assigned %v offer %+v; want new, unassigned, no offer (nobody else free)", after.Status, after.Assignees, after.Offer)
	}
	if n := got.count("ReserveAgent"); n != 2 {
		t.Errorf("ReserveAgent called %d times; want 2 (the first offer, then the next agent after RONA)", n)
	}
}

// TestLateAcceptSaysTheOfferExpired pins a bug. The issue asks that an accept after the
// offer expired fail "with a clear reason". The machine has that message ("the offer
// expired at ..."), but only while the expired offer is still in the state. The offer
// timer fires at the deadline and removes it, so a late accept, including one at the
// very instant of expiry, gets "there is no pending offer for you on this conversation"
// instead.
func TestLateAcceptSaysTheOfferExpired(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state conversation.State
		setup func(h *harness)
		by    string
		late  time.Duration
	}{
		{"route offer, accepted at the instant it expires", openState(), func(h *harness) {
			h.fake.agents = []string{agent}
			h.signalAt(time.Minute, "SM1")
		}, agent, 0},
		{"transfer offer, accepted after it expired", activeState(), func(h *harness) {
			h.updateAt(time.Minute, workflows.UpdateTransfer, "transfer-1", with(act(agent), func(a *workflows.Action) { a.UserID = agent3 }))
		}, agent3, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true, "")
			tc.setup(h)
			accept := h.updateAt(time.Minute+offerTimeout+tc.late, workflows.UpdateAccept, "accept-1", act(tc.by))
			h.run(tc.state)
			appErr := accept.refusal(t)
			if appErr == nil || appErr.Type() != conversation.EConflict || !strings.Contains(appErr.Message(), "expired") {
				t.Errorf("late accept refused with %v; want %s saying the offer expired", appErr, conversation.EConflict)
			}
		})
	}
}

// TestAcceptJustBeforeExpiryWins: one millisecond before the deadline the accept wins
// and the timer that then fires changes nothing.
func TestAcceptJustBeforeExpiryWins(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent}
	h.signalAt(time.Minute, "SM1")
	accept := h.updateAt(time.Minute+offerTimeout-time.Millisecond, workflows.UpdateAccept, "accept-1", act(agent))
	after := h.queryAt(2 * time.Minute)
	h.run(openState())

	if !accept.succeeded() {
		_, _, _, _, err := accept.get()
		t.Fatalf("accept before the deadline: %v; want success", err)
	}
	if n := h.final.count("MarkRONA"); n != 0 {
		t.Errorf("MarkRONA called %d times after a timely accept", n)
	}
	if after.Status != conversation.StatusActive || !reflect.DeepEqual(after.Assignees, []string{agent}) || after.Offer != nil {
		t.Errorf("state = %s assigned %v offer %+v; want active, assigned to %s", after.Status, after.Assignees, after.Offer, agent)
	}
}

// TestMessageDuringWrapUpReopens: the customer texts while the agent wraps up. The
// conversation goes back to active with its agent, who is told, and the wrap-up timer
// no longer closes it.
func TestMessageDuringWrapUpReopens(t *testing.T) {
	h := newHarness(t, true, autoText)
	end := h.updateAt(time.Minute, workflows.UpdateEnd, "end-1", act(agent))
	wrapping := h.queryAt(90 * time.Second)
	h.signalAt(2*time.Minute, "SM1")
	reopened := h.queryAt(3 * time.Minute)
	wrapUpTimeout := conversation.DefaultSettings().WrapUpTimeout
	afterDeadline := h.queryAt(time.Minute + wrapUpTimeout + time.Minute)
	h.run(activeState())
	got := h.final

	if !end.succeeded() {
		t.Fatalf("end did not succeed")
	}
	if wrapping.Status != conversation.StatusWrapUp || !wrapping.WrapUpDeadline.Equal(start.Add(time.Minute+wrapUpTimeout)) {
		t.Fatalf("after end: %s, deadline %v; want wrap_up until %v", wrapping.Status, wrapping.WrapUpDeadline, start.Add(time.Minute+wrapUpTimeout))
	}
	if reopened.Status != conversation.StatusActive || !reopened.WrapUpDeadline.IsZero() || reopened.NextAction != conversation.ActorAgent ||
		!reflect.DeepEqual(reopened.Assignees, []string{agent}) {
		t.Errorf("after the message: %s, deadline %v, next %s, assigned %v; want active, no deadline, agent next, still %s",
			reopened.Status, reopened.WrapUpDeadline, reopened.NextAction, reopened.Assignees, agent)
	}
	if afterDeadline.Status != conversation.StatusActive {
		t.Errorf("after the old wrap-up deadline: %s (%s); want still active", afterDeadline.Status, afterDeadline.CloseReason)
	}
	if got.notifiedOf(agent, conversation.NotifyReopened) != 1 {
		t.Errorf("notifications = %+v; want the agent told once it reopened", got.notified)
	}
	for _, st := range got.saved {
		if st.CloseReason == conversation.ClosedWrappedUp {
			t.Fatalf("saved %+v: the old wrap-up timer closed it", st)
		}
	}
	// With nothing more happening it closes for inactivity a window after the message.
	last := lastSaved(t, got)
	if last.CloseReason != conversation.ClosedInactive || !last.ClosedAt.Equal(start.Add(2*time.Minute+conversation.DefaultSettings().InactivityWindow)) {
		t.Errorf("final save = %s (%s) at %v; want closed inactive a window after the message", last.Status, last.CloseReason, last.ClosedAt)
	}
}

// TestCancelScheduledAtTheInstantItIsDue: cancelling exactly when the message falls
// due either cancels it (nothing is recorded or sent) or is refused because it was
// sent. Never both.
func TestCancelScheduledAtTheInstantItIsDue(t *testing.T) {
	h := newHarness(t, true, "")
	sendAt := start.Add(10 * time.Minute)
	schedule := h.updateAt(time.Minute, workflows.UpdateSchedule, "schedule-1", scheduleAction(agent, "sc-1", sendAt))
	pending := h.queryAt(2 * time.Minute)
	cancel := h.updateAt(10*time.Minute, workflows.UpdateCancelScheduled, "cancel-1",
		with(act(agent), func(a *workflows.Action) { a.ScheduledID, a.Reason = "sc-1", "changed my mind" }))
	after := h.queryAt(11 * time.Minute)
	h.run(activeState())
	got := h.final

	if !schedule.succeeded() || len(pending.Scheduled) != 1 {
		t.Fatalf("schedule: pending %+v; want sc-1 pending (the test's premise)", pending.Scheduled)
	}
	msgID := conversation.ScheduledMessageID("sc-1")
	recordedSend := len(got.outboundFor("sc-1")) > 0
	smsSent := slices.Contains(got.sent, msgID)
	if recordedSend != smsSent {
		t.Errorf("recorded %v but SMS sent %v; want both or neither", recordedSend, smsSent)
	}
	if cancel.succeeded() {
		t.Log("the cancel was applied before the timer")
		if recordedSend || smsSent {
			t.Errorf("the cancel succeeded AND the message went out: outbound %+v, sent %v", got.outboundFor("sc-1"), got.sent)
		}
		if len(got.cancelled) != 1 || got.cancelled[0].Items[0].ID != "sc-1" || got.cancelled[0].Reason != "changed my mind" {
			t.Errorf("CancelScheduled calls = %+v; want one for sc-1 with the reason", got.cancelled)
		}
	} else {
		t.Log("the timer sent the message before the cancel")
		appErr := cancel.refusal(t)
		if appErr == nil || appErr.Type() != conversation.EConflict {
			t.Errorf("cancel outcome %v; want refused with %s", appErr, conversation.EConflict)
		}
		if len(got.outboundFor("sc-1")) != 1 || !smsSent {
			t.Errorf("outbound %+v, sent %v; want the message recorded and sent once", got.outboundFor("sc-1"), got.sent)
		}
		if len(got.cancelled) != 0 {
			t.Errorf("CancelScheduled ran for a sent message: %+v", got.cancelled)
		}
	}
	if len(after.Scheduled) != 0 {
		t.Errorf("still pending after the race: %+v", after.Scheduled)
	}
}

// TestTransferAcceptedAfterTimeoutIsRefused: the transfer target accepts after the
// offer timed out (and at the very instant it times out): refused with a conflict,
// the conversation stays with its owner, who was told the transfer was not accepted.
func TestTransferAcceptedAfterTimeoutIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		late time.Duration // after the offer's expiry
	}{
		{"after the timeout", 30 * time.Second},
		{"at the instant of the timeout", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true, "")
			transfer := h.updateAt(time.Minute, workflows.UpdateTransfer, "transfer-1",
				with(act(agent), func(a *workflows.Action) { a.UserID = agent3 }))
			offered := h.queryAt(time.Minute + time.Second)
			accept := h.updateAt(time.Minute+offerTimeout+tc.late, workflows.UpdateAccept, "accept-1", act(agent3))
			after := h.queryAt(3 * time.Minute)
			h.run(activeState())
			got := h.final

			if !transfer.succeeded() || offered.Offer == nil || offered.Offer.Kind != conversation.OfferTransfer || offered.Offer.UserID != agent3 {
				t.Fatalf("after transfer: offer %+v; want a transfer offer to %s", offered.Offer, agent3)
			}
			appErr := accept.refusal(t)
			if appErr == nil || appErr.Type() != conversation.EConflict {
				t.Fatalf("late accept: %v; want refused with %s", appErr, conversation.EConflict)
			}
			if after.Status != conversation.StatusActive || !reflect.DeepEqual(after.Assignees, []string{agent}) || after.Offer != nil {
				t.Errorf("after the timeout: %s assigned %v offer %+v; want active with %s, no offer", after.Status, after.Assignees, after.Offer, agent)
			}
			if got.notifiedOf(agent, conversation.NotifyTransferFailed) != 1 {
				t.Errorf("notifications = %+v; want the owner told the transfer was not accepted", got.notified)
			}
			if got.notifiedOf(agent3, conversation.NotifyOfferExpired) != 1 {
				t.Errorf("notifications = %+v; want the target told the offer expired", got.notified)
			}
			if got.notifiedOf(agent, conversation.NotifyTransferred) != 0 {
				t.Errorf("notifications = %+v; the owner was told it was transferred", got.notified)
			}
			if n := got.count("MarkRONA"); n != 0 {
				t.Errorf("MarkRONA called %d times; a transfer target is never marked RONA", n)
			}
		})
	}
}

// TestWrapUpTimeoutAppliesDefaultReasonAndEnds: nobody submits a wrap-up reason; at
// the wrap-up timeout the team's default reason closes it and the run ends.
func TestWrapUpTimeoutAppliesDefaultReasonAndEnds(t *testing.T) {
	h := newHarness(t, true, "")
	st := activeState()
	st.Settings.WrapUpTimeout = 7 * time.Minute
	st.Settings.DefaultWrapUpReason = "No reason given (timed out)"
	h.updateAt(time.Minute, workflows.UpdateEnd, "end-1", act(agent))
	h.run(st)
	got := h.final

	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error = %v; want the run to end cleanly", err)
	}
	deadline := start.Add(8 * time.Minute)
	last := lastSaved(t, got)
	if last.Status != conversation.StatusClosed || last.CloseReason != conversation.ClosedWrappedUp ||
		last.WrapUpReason != st.Settings.DefaultWrapUpReason || !last.ClosedAt.Equal(deadline) {
		t.Errorf("final save = %s (%s, %q) at %v; want closed wrapped_up with %q at %v",
			last.Status, last.CloseReason, last.WrapUpReason, last.ClosedAt, st.Settings.DefaultWrapUpReason, deadline)
	}
	if !h.env.Now().Equal(deadline) {
		t.Errorf("the run ended at %v; want at the wrap-up deadline %v", h.env.Now(), deadline)
	}
	if i, j := got.lastIndex("SaveConversation"), got.lastIndex("NudgeWaiting"); j < i {
		t.Errorf("calls = %v; want NudgeWaiting after the closing save", got.calls)
	}
}

// TestScheduledMessageFiresAndSkippedIsNotSent: a scheduled message goes out at its
// time through RecordOutbound (with its ScheduledID and derived message id) and then
// SendSMS; one RecordOutbound reports skipped (cancelled, opted out, deleted) is not
// handed to Twilio.
func TestScheduledMessageFiresAndSkippedIsNotSent(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.skip["sc-2"] = "contact opted out"
	h.updateAt(time.Minute, workflows.UpdateSchedule, "schedule-1", scheduleAction(agent, "sc-1", start.Add(10*time.Minute)))
	h.updateAt(2*time.Minute, workflows.UpdateSchedule, "schedule-2", scheduleAction(agent, "sc-2", start.Add(20*time.Minute)))
	both := h.queryAt(3 * time.Minute)
	one := h.queryAt(15 * time.Minute)
	none := h.queryAt(25 * time.Minute)
	h.run(activeState())
	got := h.final

	if len(both.Scheduled) != 2 || both.Scheduled[0].ID != "sc-1" || both.Scheduled[1].ID != "sc-2" {
		t.Fatalf("pending = %+v; want sc-1 then sc-2", both.Scheduled)
	}
	if len(got.stored) != 2 || got.stored[0].Items[0].ID != "sc-1" || got.stored[1].Items[0].ID != "sc-2" {
		t.Errorf("StoreScheduled = %+v; want sc-1 then sc-2 stored as pending", got.stored)
	}
	if len(one.Scheduled) != 1 || one.Scheduled[0].ID != "sc-2" || len(none.Scheduled) != 0 {
		t.Errorf("pending at 15m %+v, at 25m %+v; want [sc-2], then none", one.Scheduled, none.Scheduled)
	}

	id1, id2 := conversation.ScheduledMessageID("sc-1"), conversation.ScheduledMessageID("sc-2")
	want1 := activities.OutboundMessage{
		ConversationID: convID, MessageID: id1, Kind: conversation.KindScheduled, AuthorID: agent,
		From: teamNumber, To: contactPhone, Body: "scheduled sc-1", ScheduledID: "sc-1", CreatedAt: start.Add(10 * time.Minute),
	}
	if out := got.outboundFor("sc-1"); len(out) != 1 || out[0] != want1 {
		t.Errorf("RecordOutbound for sc-1 = %+v; want %+v", out, want1)
	}
	if out := got.outboundFor("sc-2"); len(out) != 1 || out[0].MessageID != id2 || !out[0].CreatedAt.Equal(start.Add(20*time.Minute)) {
		t.Errorf("RecordOutbound for sc-2 = %+v; want one at its time (the store decides to skip)", out)
	}
	if !reflect.DeepEqual(got.sent, []string{id1}) {
		t.Errorf("SendSMS calls = %v; want only sc-1's message %s (sc-2 was skipped)", got.sent, id1)
	}
	if i, j := slices.Index(got.calls, "RecordOutbound"), slices.Index(got.calls, "SendSMS"); i < 0 || j < i {
		t.Errorf("calls = %v; want the message recorded before it is sent", got.calls)
	}
}

// TestCloseWithPendingScheduledRehomesAfterSave: archiving with scheduled messages
// pending hands them to the contact's next conversation, after the closed state is in
// Postgres; deleting cancels them instead.
func TestCloseWithPendingScheduledRehomesAfterSave(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name   string
		update string
		who    workflows.Action
		reason string
	}{
		{"archive", workflows.UpdateArchive, act(agent), conversation.ClosedArchived},
		{"delete", workflows.UpdateDelete, actAdmin(), conversation.ClosedDeleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, true, "")
			h.updateAt(time.Minute, workflows.UpdateSchedule, "schedule-1", scheduleAction(agent, "sc-1", start.Add(day)))
			h.updateAt(2*time.Minute, workflows.UpdateSchedule, "schedule-2", scheduleAction(agent, "sc-2", start.Add(2*day)))
			closeIt := h.updateAt(3*time.Minute, tc.update, "close-1", tc.who)
			h.run(activeState())
			got := h.final

			if !closeIt.succeeded() {
				t.Fatalf("%s did not succeed", tc.update)
			}
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow error = %v; want the run to end", err)
			}
			last := lastSaved(t, got)
			if last.Status != conversation.StatusClosed || last.CloseReason != tc.reason || len(last.Scheduled) != 0 {
				t.Errorf("final save = %s (%s) pending %+v; want closed %s, nothing pending", last.Status, last.CloseReason, last.Scheduled, tc.reason)
			}
			if len(got.outboundFor("sc-1"))+len(got.outboundFor("sc-2")) != 0 {
				t.Errorf("a scheduled message was sent by the closed conversation: %+v", got.outbound)
			}
			save := got.lastIndex("SaveConversation")
			if tc.update == workflows.UpdateDelete {
				if got.count("RehomeScheduled") != 0 || len(got.cancelled) != 2 {
					t.Errorf("calls = %v, cancelled %+v; want both cancelled, none rehomed", got.calls, got.cancelled)
				}
				return
			}
			if len(got.rehomed) != 1 {
				t.Fatalf("RehomeScheduled calls = %+v; want one", got.rehomed)
			}
			r := got.rehomed[0]
			if r.ConversationID != convID || r.TeamID != teamID || r.ContactID != "contact-1" ||
				len(r.Items) != 2 || r.Items[0].ID != "sc-1" || r.Items[1].ID != "sc-2" || !r.Items[1].SendAt.Equal(start.Add(2*day)) {
				t.Errorf("RehomeScheduled input = %+v; want sc-1 and sc-2 of this contact and team", r)
			}
			if rehome := got.lastIndex("RehomeScheduled"); rehome < save {
				t.Errorf("calls = %v; want RehomeScheduled after the closing SaveConversation", got.calls)
			}
			if nudge := got.lastIndex("NudgeWaiting"); nudge < save {
				t.Errorf("calls = %v; want NudgeWaiting after the closing SaveConversation", got.calls)
			}
			if got.count("CancelScheduled") != 0 {
				t.Errorf("archive cancelled scheduled messages: %+v", got.cancelled)
			}
		})
	}
}

// canInput decodes the input a continue-as-new error carries.
func canInput(t *testing.T, err error) workflows.ConversationInput {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow error = %v (%T); want continue-as-new", err, err)
	}
	if can.WorkflowType == nil || can.WorkflowType.Name != "Conversation" {
		t.Errorf("continues as %+v; want Conversation", can.WorkflowType)
	}
	var in workflows.ConversationInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	return in
}

// TestContinueAsNewCarriesStateAndLosesNoSignal: with a tiny event threshold the run
// continues as new once history passes it, carrying the whole state (the offer with
// its absolute deadline, the pending scheduled messages) after handling every signal
// already delivered and finishing the send in flight. The next run then fires the
// carried deadlines at their original times.
//
// The test environment does not count history events, so each step raises the
// reported history length as a real run's history would grow.
func TestContinueAsNewCarriesStateAndLosesNoSignal(t *testing.T) {
	const threshold = 20
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent2}
	slow := conversation.DefaultSettings()
	slow.OfferTimeout = time.Hour // the offer is still pending when the run continues
	h.fake.settings = &slow
	h.sendSMS.After(time.Minute) // the scheduled message's send is in flight at the threshold

	history := 0
	grow := func(n int) { history += n; h.env.SetCurrentHistoryLength(history) }
	h.updateAt(10*time.Second, workflows.UpdateSchedule, "schedule-0", scheduleAction(agent, "sc-0", start.Add(4*time.Minute+50*time.Second)))
	h.updateAt(20*time.Second, workflows.UpdateSchedule, "schedule-1", scheduleAction(agent, "sc-1", start.Add(2*time.Hour)))
	h.updateAt(30*time.Second, workflows.UpdateSchedule, "schedule-2", scheduleAction("", "sc-2", start.Add(3*time.Hour)))
	for i, sid := range []string{"SM1", "SM2", "SM3", "SM4"} {
		h.atTime(time.Duration(i+1)*time.Minute, func() { grow(4) })
		h.signalAt(time.Duration(i+1)*time.Minute, sid)
	}
	beforeThreshold := h.queryAt(4*time.Minute + 55*time.Second)
	// Three texts at once; the first takes history over the threshold, the other two
	// are still in the signal channel when the run decides to continue as new.
	h.atTime(5*time.Minute, func() { grow(12) })
	h.signalAt(5*time.Minute, "SM5", "SM6", "SM7")

	st := openState()
	h.execute(workflows.ConversationInput{State: st, ContinueAsNewAfter: threshold})
	got := h.final
	in := canInput(t, h.env.GetWorkflowError())
	canAt := h.env.Now()

	if beforeThreshold.Status == "" || beforeThreshold.Closed() {
		t.Fatalf("state before the threshold = %+v; the run should still be going", beforeThreshold)
	}
	var sids []string
	for _, m := range got.inbound {
		sids = append(sids, m.MessageSid)
	}
	if want := []string{"SM1", "SM2", "SM3", "SM4", "SM5", "SM6", "SM7"}; !reflect.DeepEqual(sids, want) {
		t.Errorf("inbound recorded = %v; want every signal delivered before continue-as-new, %v", sids, want)
	}
	if in.ContinueAsNewAfter != threshold {
		t.Errorf("ContinueAsNewAfter = %d; want the threshold %d carried over", in.ContinueAsNewAfter, threshold)
	}
	// The carried state is the latest one, exactly as mirrored to Postgres.
	if last := lastSaved(t, got); !reflect.DeepEqual(in.State, last) {
		t.Errorf("carried state differs from the last saved one:\n carried %+v\n   saved %+v", in.State, last)
	}
	s := in.State
	wantOffer := &conversation.Offer{Seq: s.Offer.Seq, Kind: conversation.OfferRoute, UserID: agent2,
		OfferedAt: start.Add(time.Minute), ExpiresAt: start.Add(time.Minute + time.Hour)}
	if !reflect.DeepEqual(s.Offer, wantOffer) {
		t.Errorf("carried offer = %+v; want %+v (absolute deadline)", s.Offer, wantOffer)
	}
	if len(s.Scheduled) != 2 || s.Scheduled[0].ID != "sc-1" || !s.Scheduled[0].SendAt.Equal(start.Add(2*time.Hour)) ||
		s.Scheduled[1].ID != "sc-2" || !s.Scheduled[1].SendAt.Equal(start.Add(3*time.Hour)) {
		t.Errorf("carried scheduled = %+v; want sc-1 at +2h and sc-2 at +3h", s.Scheduled)
	}
	if !s.LastMessageAt.Equal(start.Add(5*time.Minute)) || s.Status != conversation.StatusNew || s.Settings != slow {
		t.Errorf("carried state: last message %v, status %s, settings %+v; want the texts at +5m applied, new, the team's settings",
			s.LastMessageAt, s.Status, s.Settings)
	}
	// The send that was in flight finished before the run continued.
	if !slices.Contains(got.sent, conversation.ScheduledMessageID("sc-0")) {
		t.Errorf("SendSMS calls = %v; want sc-0's send finished before continue-as-new", got.sent)
	}
	if !canAt.After(start.Add(5 * time.Minute)) {
		t.Errorf("continued at %v; want after the in-flight send finished (+5m50s)", canAt)
	}

	// The next run: the carried deadlines fire at their original, absolute times.
	next := newHarness(t, true, "")
	next.env.SetStartTime(canAt)
	next.run(in.State)
	got2 := next.final
	if len(got2.rona) != 1 || got2.rona[0] != (activities.MarkRONAInput{UserID: agent2, OfferedAt: start.Add(time.Minute)}) {
		t.Errorf("next run MarkRONA = %+v; want %s marked for the carried offer", got2.rona, agent2)
	}
	for _, sc := range in.State.Scheduled {
		out := got2.outboundFor(sc.ID)
		if len(out) != 1 || !out[0].CreatedAt.Equal(sc.SendAt) {
			t.Errorf("next run sent %s as %+v; want once, at %v", sc.ID, out, sc.SendAt)
		}
	}
}

// TestContinueAsNewWhenSuggested: the server's suggestion alone (below the threshold)
// also makes the run continue as new.
func TestContinueAsNewWhenSuggested(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.signalAt(time.Minute, "SM1")
	h.atTime(2*time.Minute, func() { h.env.SetContinueAsNewSuggested(true) })
	h.signalAt(2*time.Minute, "SM2")
	h.execute(workflows.ConversationInput{State: openState()})
	in := canInput(t, h.env.GetWorkflowError())

	if len(h.final.inbound) != 2 {
		t.Errorf("inbound recorded = %+v; want both texts", h.final.inbound)
	}
	if in.State.Status != conversation.StatusMissed || !in.State.LastMessageAt.Equal(start.Add(2*time.Minute)) || in.State.AutoResponseSentAt.IsZero() {
		t.Errorf("carried state = %+v; want missed, both texts applied, auto-response remembered", in.State)
	}
}

// TestLifecycleWalk drives one conversation through the whole lifecycle: offer → RONA
// → re-offer → accept → transfer → accept → conference → accept → both reply → the
// conferenced agent leaves → end → wrap-up with a closing message → closed, run ends.
func TestLifecycleWalk(t *testing.T) {
	const first, second, third, fourth = "agent-1", "agent-2", "agent-3", "agent-4"
	h := newHarness(t, true, "")
	h.fake.agents = []string{first, second}
	s := time.Second
	h.signalAt(time.Minute, "SM1") // offered to first, expires at 1m30s: RONA, offered to second
	outcomes := []*outcome{
		h.updateAt(100*s, workflows.UpdateAccept, "u1", act(second)),
		h.updateAt(120*s, workflows.UpdateTransfer, "u2", with(act(second), func(a *workflows.Action) { a.UserID = third })),
		h.updateAt(130*s, workflows.UpdateAccept, "u3", act(third)),
		h.updateAt(180*s, workflows.UpdateConference, "u4", with(act(third), func(a *workflows.Action) { a.UserID = fourth })),
		h.updateAt(190*s, workflows.UpdateAccept, "u5", act(fourth)),
		h.updateAt(240*s, workflows.UpdateReply, "u6", with(act(third), func(a *workflows.Action) { a.MessageID, a.Body = "msg-3", "Hi, I am the specialist" })),
		h.updateAt(250*s, workflows.UpdateReply, "u7", with(act(fourth), func(a *workflows.Action) { a.MessageID, a.Body = "msg-4", "Joining in" })),
		h.updateAt(300*s, workflows.UpdateLeaveConference, "u8", with(act(fourth), func(a *workflows.Action) { a.UserID = fourth })),
		h.updateAt(360*s, workflows.UpdateEnd, "u9", act(third)),
		h.updateAt(420*s, workflows.UpdateWrapUp, "u10", with(act(third), func(a *workflows.Action) {
			a.Reason, a.MessageID, a.Body = "resolved", "bye-1", "Thanks for texting us!"
		})),
	}
	conferenced := h.queryAt(200 * s)
	h.run(openState())
	got := h.final

	for i, o := range outcomes {
		if !o.succeeded() {
			_, _, _, _, err := o.get()
			t.Errorf("update u%d failed: %v", i+1, err)
		}
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error = %v; want the run to end after wrap-up", err)
	}
	if len(got.rona) != 1 || got.rona[0].UserID != first || !got.rona[0].OfferedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("MarkRONA = %+v; want only %s, offered at +1m", got.rona, first)
	}
	if n := got.count("ReserveAgent"); n != 2 {
		t.Errorf("ReserveAgent called %d times; want 2", n)
	}
	if !reflect.DeepEqual(conferenced.Assignees, []string{third, fourth}) {
		t.Errorf("assignees in conference = %v; want [%s %s]", conferenced.Assignees, third, fourth)
	}
	if !reflect.DeepEqual(got.sent, []string{"msg-3", "msg-4", "bye-1"}) {
		t.Errorf("SendSMS = %v; want both agents' replies and the closing message", got.sent)
	}
	for _, n := range []struct {
		user string
		kind conversation.NotifyKind
	}{
		{first, conversation.NotifyOffer}, {first, conversation.NotifyOfferExpired},
		{second, conversation.NotifyOffer}, {third, conversation.NotifyOffer}, {second, conversation.NotifyTransferred},
		{fourth, conversation.NotifyOffer}, {third, conversation.NotifyConferenceJoin},
	} {
		if got.notifiedOf(n.user, n.kind) != 1 {
			t.Errorf("%s told %s %d times; want once (all: %+v)", n.user, n.kind, got.notifiedOf(n.user, n.kind), got.notified)
		}
	}
	var statuses []conversation.Status
	for _, st := range got.saved {
		if len(statuses) == 0 || statuses[len(statuses)-1] != st.Status {
			statuses = append(statuses, st.Status)
		}
	}
	want := []conversation.Status{conversation.StatusNew, conversation.StatusActive, conversation.StatusWrapUp, conversation.StatusClosed}
	if !reflect.DeepEqual(statuses, want) {
		t.Errorf("saved statuses = %v; want %v", statuses, want)
	}
	last := lastSaved(t, got)
	if last.CloseReason != conversation.ClosedWrappedUp || last.WrapUpReason != "resolved" || !reflect.DeepEqual(last.Assignees, []string{third}) {
		t.Errorf("final save = %+v; want wrapped up as resolved by %s", last, third)
	}
	if got.count("NudgeWaiting") != 1 {
		t.Errorf("calls = %v; want one NudgeWaiting when it closed", got.calls)
	}
}

// TestMissedOfferedWhenChatTurnsOn: chat off, a text goes to missed with the
// auto-response and no offer; the route signal that chat turned on offers it.
func TestMissedOfferedWhenChatTurnsOn(t *testing.T) {
	h := newHarness(t, false, autoText)
	h.fake.agents = []string{agent}
	h.signalAt(time.Minute, "SM1")
	missed := h.queryAt(90 * time.Second)
	h.atTime(2*time.Minute, func() { h.env.SignalWorkflow(workflows.SignalRoute, workflows.RouteSignal{ChatOn: true}) })
	offered := h.queryAt(2*time.Minute + time.Second)
	h.run(openState())

	if missed.Status != conversation.StatusMissed || missed.Offer != nil {
		t.Errorf("chat off: %s offer %+v; want missed, no offer", missed.Status, missed.Offer)
	}
	if len(h.final.outbound) == 0 || h.final.outbound[0].Kind != conversation.KindAutoResponse {
		t.Errorf("outbound = %+v; want the auto-response", h.final.outbound)
	}
	if offered.Status != conversation.StatusNew || offered.Offer == nil || offered.Offer.UserID != agent ||
		!offered.Offer.OfferedAt.Equal(start.Add(2*time.Minute)) {
		t.Errorf("after chat on: %s offer %+v; want new, offered to %s at +2m", offered.Status, offered.Offer, agent)
	}
	if len(h.final.reserved) == 0 || !reflect.DeepEqual(h.final.reserved[0], activities.ReserveAgentInput{ConversationID: convID, TeamID: teamID}) {
		t.Errorf("ReserveAgent inputs = %+v; want one for this conversation and team, only after chat turned on", h.final.reserved)
	}
}

// TestTeamTransfer: a transfer to a team checks the target team, moves the
// conversation to its New inbox and routes it there; the old team is nudged after the
// save. A refused check changes nothing.
func TestTeamTransfer(t *testing.T) {
	t.Run("moved", func(t *testing.T) {
		h := newHarness(t, true, "")
		tr := h.updateAt(time.Minute, workflows.UpdateTransfer, "transfer-1", with(act(agent), func(a *workflows.Action) { a.TeamID = "team-2" }))
		after := h.queryAt(90 * time.Second)
		h.run(activeState())
		got := h.final

		if !tr.succeeded() {
			t.Fatal("team transfer did not succeed")
		}
		if after.TeamID != "team-2" || after.Status != conversation.StatusNew || len(after.Assignees) != 0 {
			t.Errorf("after transfer: team %s, %s, assigned %v; want team-2, new, unassigned", after.TeamID, after.Status, after.Assignees)
		}
		if len(got.transfers) != 1 || got.transfers[0] != (activities.TeamTransferInput{ConversationID: convID, ContactID: "contact-1", TeamID: "team-2"}) {
			t.Errorf("CheckTeamTransfer = %+v; want one for team-2", got.transfers)
		}
		if len(got.reserved) == 0 || got.reserved[0].TeamID != "team-2" {
			t.Errorf("ReserveAgent = %+v; want routing in team-2", got.reserved)
		}
		if len(got.nudged) == 0 || got.nudged[0] != teamID {
			t.Errorf("NudgeWaiting = %v; want the old team first", got.nudged)
		}
		if save, nudge := slices.Index(got.calls, "SaveConversation"), slices.Index(got.calls, "NudgeWaiting"); nudge < save {
			t.Errorf("calls = %v; want the old team nudged after the save", got.calls)
		}
		if got.notifiedOf(agent, conversation.NotifyUnassigned) != 1 {
			t.Errorf("notifications = %+v; want the agent told", got.notified)
		}
	})
	t.Run("refused by the check", func(t *testing.T) {
		h := newHarness(t, true, "")
		h.fake.transferErr = temporal.NewNonRetryableApplicationError("the contact already has an open conversation in that team", conversation.EConflict, nil)
		tr := h.updateAt(time.Minute, workflows.UpdateTransfer, "transfer-1", with(act(agent), func(a *workflows.Action) { a.TeamID = "team-2" }))
		after := h.queryAt(90 * time.Second)
		h.run(activeState())

		if appErr := tr.refusal(t); appErr == nil || appErr.Type() != conversation.EConflict {
			t.Errorf("transfer outcome %v; want refused with %s", appErr, conversation.EConflict)
		}
		if !reflect.DeepEqual(*after, activeState()) {
			t.Errorf("state after a refused transfer = %+v; want unchanged", *after)
		}
	})
}

// TestContinueAsNewWaitsForRunningUpdate: an update handler still running when the run
// decides to continue as new finishes first, and its effect is carried over.
func TestContinueAsNewWaitsForRunningUpdate(t *testing.T) {
	h := newHarness(t, true, "")
	h.recordInbound.After(time.Minute) // the text holds the lock from +5m to +6m
	h.atTime(5*time.Minute, func() { h.env.SetCurrentHistoryLength(25) })
	h.signalAt(5*time.Minute, "SM1")
	reply := h.updateAt(5*time.Minute+30*time.Second, workflows.UpdateReply, "reply-1", replyAction("msg-1", "Hello!"))
	h.execute(workflows.ConversationInput{State: openState(), ContinueAsNewAfter: 20})
	in := canInput(t, h.env.GetWorkflowError())

	if !reply.succeeded() {
		_, _, _, _, err := reply.get()
		t.Fatalf("the update running at the threshold did not complete: %v", err)
	}
	if s := in.State; s.Status != conversation.StatusActive || !reflect.DeepEqual(s.Assignees, []string{agent}) ||
		s.NextAction != conversation.ActorCustomer {
		t.Errorf("carried state = %s assigned %v next %s; want the reply applied (active, %s, customer next)", s.Status, s.Assignees, s.NextAction, agent)
	}
	if !slices.Contains(h.final.sent, "msg-1") {
		t.Errorf("SendSMS calls = %v; want the reply sent before the run continued", h.final.sent)
	}
}

// TestWaitingOfferedWhenAgentBecomesAvailable: with nobody free the conversation waits
// in New without an offer; the route signal sent when an agent becomes Available
// offers it.
func TestWaitingOfferedWhenAgentBecomesAvailable(t *testing.T) {
	h := newHarness(t, true, "")
	h.signalAt(time.Minute, "SM1")
	waiting := h.queryAt(2 * time.Minute)
	h.atTime(3*time.Minute, func() {
		h.fake.mu.Lock()
		h.fake.agents = []string{agent}
		h.fake.mu.Unlock()
		h.env.SignalWorkflow(workflows.SignalRoute, workflows.RouteSignal{ChatOn: true})
	})
	offered := h.queryAt(3*time.Minute + time.Second)
	h.run(openState())

	if waiting.Status != conversation.StatusNew || waiting.Offer != nil || waiting.RouteAttempt != 0 {
		t.Errorf("nobody free: %s offer %+v attempt %d; want new, no offer, nothing in flight", waiting.Status, waiting.Offer, waiting.RouteAttempt)
	}
	if o := offered.Offer; o == nil || o.Kind != conversation.OfferRoute || o.UserID != agent ||
		!o.ExpiresAt.Equal(start.Add(3*time.Minute+offerTimeout)) {
		t.Errorf("after the route signal: offer %+v; want a route offer to %s expiring %v", o, agent, start.Add(3*time.Minute+offerTimeout))
	}
	if h.final.notifiedOf(agent, conversation.NotifyOffer) != 1 {
		t.Errorf("notifications = %+v; want the agent offered once", h.final.notified)
	}
}

// TestNoteIsNeverSent: an internal note is stored as a note and never handed to Twilio.
func TestNoteIsNeverSent(t *testing.T) {
	h := newHarness(t, true, "")
	note := h.updateAt(time.Minute, workflows.UpdateNote, "note-1",
		with(act(agent), func(a *workflows.Action) { a.MessageID, a.Body = "note-1", "customer sounds upset" }))
	h.run(activeState())

	if !note.succeeded() {
		t.Fatal("note did not succeed")
	}
	if len(h.final.outbound) != 1 || h.final.outbound[0].Kind != conversation.KindNote || h.final.outbound[0].Body != "customer sounds upset" ||
		h.final.outbound[0].To != "" {
		t.Errorf("RecordOutbound = %+v; want one internal note with no recipient", h.final.outbound)
	}
	if len(h.final.sent) != 0 {
		t.Errorf("SendSMS calls = %v; a note is never sent", h.final.sent)
	}
}

// TestSearchAttributesNeverHoldPhoneNumbersOrText walks a conversation through offers,
// replies and closing, and checks no upsert ever carries a number or a message.
func TestSearchAttributesNeverHoldPhoneNumbersOrText(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent}
	h.signalAt(time.Minute, "SM1")
	h.updateAt(70*time.Second, workflows.UpdateAccept, "u1", act(agent))
	h.updateAt(2*time.Minute, workflows.UpdateReply, "u2", replyAction("msg-1", "secret reply text"))
	h.updateAt(3*time.Minute, workflows.UpdateArchive, "u3", act(agent))
	h.run(openState())

	if len(h.final.upserts) < 3 {
		t.Fatalf("%d upserts; want the state changes upserted", len(h.final.upserts))
	}
	for i, sa := range h.final.upserts {
		for k, v := range sa.GetUntypedValues() {
			s := fmt.Sprint(v)
			for _, secret := range []string{contactPhone, teamNumber, "secret reply text", "text SM1"} {
				if strings.Contains(s, secret) {
					t.Errorf("upsert %d sets %s = %q, which holds %q", i, k.GetName(), s, secret)
				}
			}
		}
	}
	last := describe(h.final.upserts[len(h.final.upserts)-1])
	if last.status != string(conversation.StatusClosed) {
		t.Errorf("last upsert %+v; want status closed", last)
	}
}

// TestOfferToldAfterSave: the agent is told of a transfer or conference offer only
// after the conversation, and so the offer row, is saved: an agent who reacts to the
// event at once finds the offer in GET /v1/me/offers.
func TestOfferToldAfterSave(t *testing.T) {
	for _, update := range []string{workflows.UpdateTransfer, workflows.UpdateConference} {
		t.Run(update, func(t *testing.T) {
			h := newHarness(t, true, "")
			res := h.updateAt(time.Minute, update, "offer-1",
				with(act(agent), func(a *workflows.Action) { a.UserID = agent3 }))
			h.run(activeState())
			got := h.final
			if !res.succeeded() {
				t.Fatalf("%s refused", update)
			}
			// The k-th Notify call is the k-th notification.
			k := slices.IndexFunc(got.notified, func(n activities.NotifyInput) bool {
				return n.UserID == agent3 && n.Kind == conversation.NotifyOffer
			})
			if k < 0 {
				t.Fatalf("notifications = %+v; want %s told of the offer", got.notified, agent3)
			}
			at := -1
			for i, name := range got.calls {
				if name == "Notify" {
					if k == 0 {
						at = i
						break
					}
					k--
				}
			}
			if at < 1 || got.calls[at-1] != "SaveConversation" {
				t.Errorf("calls = %v; want the offer's Notify (call %d) right after a SaveConversation", got.calls, at)
			}
		})
	}
}
