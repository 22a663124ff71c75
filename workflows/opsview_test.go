package workflows_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/workflows"
)

// summaries records the summaries the workflow gives its timers and activities, as the
// SDK hands them to the server.
type summaries struct {
	interceptor.WorkerInterceptorBase
	mu         sync.Mutex
	timers     []string
	activities []string // "ActivityName: summary"
}

func (s *summaries) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &summaryInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, s: s}
}

type summaryInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	s *summaries
}

func (i *summaryInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&summaryOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, s: i.s})
}

type summaryOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	s *summaries
}

func (o *summaryOutbound) NewTimerWithOptions(ctx workflow.Context, d time.Duration, opts workflow.TimerOptions) workflow.Future {
	o.s.mu.Lock()
	o.s.timers = append(o.s.timers, opts.Summary)
	o.s.mu.Unlock()
	return o.Next.NewTimerWithOptions(ctx, d, opts)
}

func (o *summaryOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.s.mu.Lock()
	o.s.activities = append(o.s.activities, activityType+": "+workflow.GetActivityOptions(ctx).Summary)
	o.s.mu.Unlock()
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

// detailsAt queries the run's current details (what Temporal Web shows) at offset d.
func (h *harness) detailsAt(d time.Duration) *string {
	var details string
	h.atTime(d, func() { details = *h.details() })
	return &details
}

// details queries the current details now.
func (h *harness) details() *string {
	v, err := h.env.QueryWorkflow("__temporal_workflow_metadata")
	if err != nil {
		h.t.Errorf("metadata query: %v", err)
		return new(string)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		h.t.Errorf("decode metadata: %v", err)
	}
	details := md.GetCurrentDetails()
	return &details
}

// TestOpsViewSummariesAndDetails follows a conversation through an offer, a scheduled
// message, a reply and wrap-up, and checks what Temporal Web would show at each step:
// each timer says which deadline it is, each Twilio send names its message, and the
// current details follow status, assignees and the next deadline. None of it may
// carry the customer's number or a message's text.
func TestOpsViewSummariesAndDetails(t *testing.T) {
	h := newHarness(t, true, "")
	h.fake.agents = []string{agent}
	rec := &summaries{}
	h.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{rec}})

	const sched = "sched-1"
	h.signalAt(time.Minute, "SM1") // routed: offered to agent
	offered := h.detailsAt(time.Minute + time.Second)
	h.updateAt(time.Minute+5*time.Second, workflows.UpdateAccept, "accept-1", act(agent))
	active := h.detailsAt(time.Minute + 6*time.Second)
	h.updateAt(2*time.Minute, workflows.UpdateSchedule, "schedule-1", scheduleAction(agent, sched, start.Add(3*time.Minute)))
	scheduled := h.detailsAt(2*time.Minute + time.Second)
	h.updateAt(4*time.Minute, workflows.UpdateReply, "reply-1", replyAction("msg-reply-1", "your code is 123456"))
	h.updateAt(5*time.Minute, workflows.UpdateEnd, "end-1", act(agent))
	wrapUp := h.detailsAt(5*time.Minute + time.Second)
	h.run(openState())
	closed := h.details() // the run has ended: Temporal Web shows its last details

	offerAt := start.Add(time.Minute + offerTimeout)
	wantDetails := []struct {
		name    string
		got     string
		want    []string
		notWant []string
	}{
		{"offered", *offered, []string{"**Status:** new", "**Assignees:** none", "**Offer:** route to `" + agent + "`",
			"**Next deadline:** " + offerAt.Format("2006-01-02 15:04:05") + " UTC, offer to " + agent + " expires"}, nil},
		{"accepted", *active, []string{"**Status:** active", "`" + agent + "` (owner)", "inactivity close"}, []string{"**Offer:**"}},
		{"scheduled", *scheduled, []string{"**Scheduled messages:** 1 pending", "scheduled message " + sched}, nil},
		{"wrap-up", *wrapUp, []string{"**Status:** wrap_up", "wrap-up deadline"}, nil},
		{"closed", *closed, []string{"**Status:** closed (" + conversation.ClosedWrappedUp + ")"}, []string{"**Next deadline:**"}},
	}
	for _, w := range wantDetails {
		for _, s := range w.want {
			if !strings.Contains(w.got, s) {
				t.Errorf("%s: current details lack %q:\n%s", w.name, s, w.got)
			}
		}
		for _, s := range w.notWant {
			if strings.Contains(w.got, s) {
				t.Errorf("%s: current details hold %q:\n%s", w.name, s, w.got)
			}
		}
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, want := range []string{"offer to " + agent + " expires", "scheduled message " + sched, "wrap-up deadline", "inactivity close"} {
		if !contains(rec.timers, want) {
			t.Errorf("no timer with summary %q; timers: %q", want, rec.timers)
		}
	}
	for _, s := range rec.timers {
		if s == "" {
			t.Errorf("a timer without a summary; timers: %q", rec.timers)
		}
	}
	if !contains(rec.activities, "SendSMS: send message msg-reply-1") {
		t.Errorf("the reply's send does not name its message; activities: %q", rec.activities)
	}
	sends := 0
	for _, s := range rec.activities {
		if strings.HasPrefix(s, "SendSMS:") {
			sends++
			if s == "SendSMS: send message " {
				t.Errorf("a send without a message id: %q", rec.activities)
			}
		}
	}
	if sends != 2 { // the scheduled message and the reply
		t.Errorf("%d sends; want 2 (scheduled and reply): %q", sends, rec.activities)
	}

	all := append(append([]string{*offered, *active, *scheduled, *wrapUp, *closed}, rec.timers...), rec.activities...)
	for _, s := range all {
		for _, secret := range []string{contactPhone, strings.TrimPrefix(contactPhone, "+"), teamNumber, "123456", "scheduled " + sched, "text SM1"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q reveals %q", s, secret)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestStartMetadata: the static summary names the team and how the run started; the
// details add ids; markdown in an admin-typed team name cannot break the layout.
func TestStartMetadata(t *testing.T) {
	summary, details := workflows.StartMetadata("Billing *EU*\n[night]", "team-9", convID, workflows.StartedAgentText, agent)
	if summary != "Billing EU night · agent-started text" {
		t.Errorf("summary = %q", summary)
	}
	for _, want := range []string{"**Team:** Billing EU night (`team-9`)", "**Started by:** agent-started text (user `" + agent + "`)", "`" + convID + "`"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
	if summary, _ := workflows.StartMetadata("", "team-9", convID, workflows.StartedInbound, ""); summary != "team-9 · inbound text" {
		t.Errorf("summary without a team name = %q; want the team id", summary)
	}
}

// TestContinuedRunShowsHowItStarted: Temporal keeps a static summary for the run it was
// given to only, so continue-as-new carries it in the input and the continued run shows
// it in its current details.
func TestContinuedRunShowsHowItStarted(t *testing.T) {
	const started = "Billing · inbound text"
	h := newHarness(t, true, "")
	h.atTime(time.Minute, func() { h.env.SetCurrentHistoryLength(100) })
	h.signalAt(time.Minute, "SM1")
	first := h.detailsAt(30 * time.Second)
	h.execute(workflows.ConversationInput{State: openState(), ContinueAsNewAfter: 50, StartSummary: started})
	if in := canInput(t, h.env.GetWorkflowError()); in.StartSummary != started {
		t.Errorf("continue-as-new carries StartSummary %q; want %q", in.StartSummary, started)
	}
	if strings.Contains(*first, "Started as") {
		t.Errorf("a first run repeats its static summary in its details:\n%s", *first)
	}

	next := newHarness(t, true, "")
	next.env.SetContinuedExecutionRunID("run-before")
	details := next.detailsAt(time.Minute)
	next.execute(workflows.ConversationInput{State: activeState(), StartSummary: started})
	if !strings.Contains(*details, "**Started as:** "+started) {
		t.Errorf("the continued run's details do not say how it started:\n%s", *details)
	}
}
