package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/internal/testenv"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

// What ops see in Temporal Web, read the way the UI reads it (docs/ops.md): the run's
// summary and details from DescribeWorkflowExecution, its current details from the
// __temporal_workflow_metadata query, and the timers' and activities' summaries from
// the history's user metadata. None may carry a phone number or a message's text.
func TestOpsViewInTemporal(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 600, WrapUpReasons: []string{"Resolved"}}); err != nil {
		t.Fatal(err)
	}
	alice := s.newAgent("alice", "available")
	tc := s.temporal(t)
	customer := newPhone()
	const body = "my card ends 4242, is my order ready?"
	secrets := []string{customer, strings.TrimPrefix(customer, "+"), s.teamPhone, strings.TrimPrefix(s.teamPhone, "+"), "4242", "order ready", "Thanks"}
	var shown []string // every summary and details text, checked for secrets at the end

	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: body}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation offered to alice", func() bool {
		if offers := s.offersFor(alice); len(offers) == 1 {
			convID = offers[0].ConversationID
		}
		return convID != ""
	})
	wfID := workflows.WorkflowID(convID)

	d, err := tc.DescribeWorkflow(ctx, wfID, "")
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := d.GetStaticSummary()
	details, _ := d.GetStaticDetails()
	shown = append(shown, summary, details)
	if want := s.team.Name + " · inbound text"; summary != want {
		t.Errorf("static summary %q; want %q", summary, want)
	}
	if !strings.Contains(details, "`"+s.team.ID+"`") || !strings.Contains(details, "`"+convID+"`") {
		t.Errorf("static details lack the team or conversation id:\n%s", details)
	}

	offerTimer := "offer to " + alice.user.ID + " expires"
	current := currentDetails(t, tc, wfID)
	shown = append(shown, current)
	for _, want := range []string{"**Status:** new", "**Offer:** route to `" + alice.user.ID + "`", offerTimer} {
		if !strings.Contains(current, want) {
			t.Errorf("current details while offered lack %q:\n%s", want, current)
		}
	}

	conv := "/v1/conversations/" + convID
	s.mustAct(alice, "POST", conv+"/accept", nil, http.StatusOK)
	var reply store.Message
	if code := s.call("POST", conv+"/messages", alice.token, map[string]string{"body": "Thanks, it is ready"}, &reply); code != http.StatusCreated {
		t.Fatalf("reply: %d", code)
	}
	current = currentDetails(t, tc, wfID)
	shown = append(shown, current)
	for _, want := range []string{"**Status:** active", "`" + alice.user.ID + "` (owner)", "inactivity close"} {
		if !strings.Contains(current, want) {
			t.Errorf("current details once accepted lack %q:\n%s", want, current)
		}
	}
	s.mustAct(alice, "POST", conv+"/end", nil, http.StatusOK)
	eventually(t, "the reply handed to Twilio", func() bool { return len(s.sentTo(customer)) == 1 })
	timers, acts := historySummaries(t, tc, wfID)
	shown = append(append(shown, timers...), acts...)
	for _, want := range []string{offerTimer, "inactivity close", "wrap-up deadline"} {
		if !containsString(timers, want) {
			t.Errorf("no TimerStarted with summary %q; timers: %q", want, timers)
		}
	}
	if !containsString(acts, "send message "+reply.ID) {
		t.Errorf("no activity with summary %q; activities: %q", "send message "+reply.ID, acts)
	}
	s.mustAct(alice, "POST", conv+"/wrap-up", map[string]string{"reason": "Resolved"}, http.StatusOK)

	// An agent texting a number first starts a run that says so, and who.
	other := newPhone()
	secrets = append(secrets, other, strings.TrimPrefix(other, "+"))
	var first store.Message
	if code := s.call("POST", "/v1/messages", alice.token, map[string]string{"team_id": s.team.ID, "to": other, "body": "Thanks for the chat"}, &first); code != http.StatusCreated {
		t.Fatalf("outbound: %d", code)
	}
	d, err = tc.DescribeWorkflow(ctx, workflows.WorkflowID(first.ConversationID), "")
	if err != nil {
		t.Fatal(err)
	}
	summary, _ = d.GetStaticSummary()
	details, _ = d.GetStaticDetails()
	shown = append(shown, summary, details)
	if want := s.team.Name + " · agent-started text"; summary != want || !strings.Contains(details, "(user `"+alice.user.ID+"`)") {
		t.Errorf("outbound run: summary %q details %q; want %q by alice", summary, details, want)
	}

	for _, text := range shown {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("Temporal Web would show %q, which holds %q", text, secret)
			}
		}
	}
}

// A run that continued as new has no static summary of its own (Temporal keeps it on
// the first run only); its current details say how the conversation started instead.
func TestOpsViewAfterContinueAsNew(t *testing.T) {
	s := startStackWith(t, stackOptions{configure: func(c *config.Config) { c.ContinueAsNewAfter = 15 }})
	ctx := context.Background()
	customer := newPhone()
	var convID string
	for i := 0; i < 20; i++ {
		if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hello"}); err != nil || code != http.StatusOK {
			t.Fatalf("inbound: %d %v", code, err)
		}
	}
	var list store.ConversationPage
	eventually(t, "the conversation listed", func() bool {
		return s.call("GET", "/v1/conversations", s.agentTok, nil, &list) == http.StatusOK && len(list.Conversations) == 1
	})
	convID = list.Conversations[0].ID
	tc := s.temporal(t)
	eventually(t, "the run continued as new", func() bool {
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.WorkflowID(convID), "")
		return err == nil && d.WorkflowExecutionInfo.Execution.RunId != d.WorkflowExecutionInfo.FirstRunId
	})
	want := "**Started as:** " + s.team.Name + " · inbound text"
	if got := currentDetails(t, tc, workflows.WorkflowID(convID)); !strings.Contains(got, want) {
		t.Errorf("continued run's current details lack %q:\n%s", want, got)
	}
}

// currentDetails asks a run for its current details, as Temporal Web does.
func currentDetails(t *testing.T, tc client.Client, wfID string) string {
	t.Helper()
	v, err := tc.QueryWorkflow(context.Background(), wfID, "", "__temporal_workflow_metadata")
	if err != nil {
		t.Fatalf("metadata query: %v", err)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		t.Fatalf("decode metadata: %v", err)
	}
	return md.GetCurrentDetails()
}

// historySummaries reads the summaries of a run's TimerStarted and ActivityTaskScheduled
// events.
func historySummaries(t *testing.T, tc client.Client, wfID string) (timers, activities []string) {
	t.Helper()
	// Summaries are payloads, encrypted like every other (docs/security.md).
	codec, err := app.PayloadCodec(config.Config{PayloadKeys: testenv.PayloadKeys})
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.DataConverter()
	decode := func(p *commonpb.Payload) string {
		var s string
		if p != nil {
			if err := dc.FromPayload(p, &s); err != nil {
				t.Fatalf("decode summary: %v", err)
			}
		}
		return s
	}
	it := tc.GetWorkflowHistory(context.Background(), wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			timers = append(timers, decode(ev.GetUserMetadata().GetSummary()))
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			activities = append(activities, decode(ev.GetUserMetadata().GetSummary()))
		}
	}
	return timers, activities
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
