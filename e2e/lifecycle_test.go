package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

type agent struct {
	user  store.User
	token string
}

func (s *stack) newAgent(name, presence string) agent {
	s.t.Helper()
	u, tok := s.addUser(context.Background(), s.team.ID, name)
	if presence != "" {
		if code := s.call("PUT", "/v1/me/presence", tok, map[string]string{"state": presence}, nil); code != http.StatusOK {
			s.t.Fatalf("presence %s for %s: %d", presence, name, code)
		}
	}
	return agent{u, tok}
}

func (s *stack) offersFor(a agent) []store.Offer {
	var body struct{ Offers []store.Offer }
	s.call("GET", "/v1/me/offers", a.token, nil, &body)
	return body.Offers
}

func (s *stack) presenceOf(a agent) string {
	var me struct{ Presence store.Presence }
	s.call("GET", "/v1/me", a.token, nil, &me)
	return me.Presence.State
}

func (s *stack) conversation(id string) conversationJSON {
	var c conversationJSON
	if code := s.call("GET", "/v1/conversations/"+id, s.agentTok, nil, &c); code != http.StatusOK {
		s.t.Fatalf("GET conversation: %d", code)
	}
	return c
}

func (s *stack) mustAct(a agent, method, path string, body any, want int) {
	s.t.Helper()
	var e apiError
	if code := s.call(method, path, a.token, body, &e); code != want {
		s.t.Fatalf("%s %s by %s: %d %s; want %d", method, path, a.user.Name, code, e.Error.Message, want)
	}
}

// One conversation through its whole life against the real dev server and Postgres:
// offer → RONA → re-offer → accept → transfer → conference → end → wrap-up → closed.
func TestLifecycleOfferRONATransferConferenceWrapUp(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 2, WrapUpReasons: []string{"Resolved", "Spam"}}); err != nil {
		t.Fatal(err)
	}
	alice := s.newAgent("alice", "available") // longest idle: offered first
	bob := s.newAgent("bob", "available")
	carol := s.newAgent("carol", "away")
	customer := newPhone()

	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Help with my bill"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation offered to alice", func() bool {
		offers := s.offersFor(alice)
		if len(offers) == 1 {
			convID = offers[0].ConversationID
		}
		return convID != ""
	})
	offer := s.offersFor(alice)[0]
	if offer.CustomerPhone != customer || offer.TeamNumber != s.teamPhone || offer.Kind != "route" || !offer.ExpiresAt.After(offer.OfferedAt) {
		t.Errorf("offer = %+v; want the customer, the team number and an expiry", offer)
	}
	conv := "/v1/conversations/" + convID

	// Alice lets it ring: RONA, and the conversation goes to bob.
	eventually(t, "alice RONA and the offer re-made to bob", func() bool {
		return s.presenceOf(alice) == store.PresenceRONA && len(s.offersFor(bob)) == 1
	})
	s.mustAct(alice, "POST", conv+"/accept", nil, http.StatusConflict)
	s.mustAct(bob, "POST", conv+"/accept", nil, http.StatusOK)
	if c := s.conversation(convID); c.Status != "active" || !slices.Equal(c.Assignees, []string{bob.user.ID}) {
		t.Fatalf("after accept: status %s assignees %v; want active, [bob]", c.Status, c.Assignees)
	}
	s.mustAct(bob, "POST", conv+"/messages", map[string]string{"body": "Hi, Bob here."}, http.StatusCreated)

	// Bob transfers to carol; carol accepts (an offer made to an Away agent by a person).
	s.mustAct(bob, "POST", conv+"/transfer", map[string]string{"user_id": carol.user.ID}, http.StatusOK)
	s.mustAct(carol, "POST", conv+"/accept", nil, http.StatusOK)
	if c := s.conversation(convID); !slices.Equal(c.Assignees, []string{carol.user.ID}) {
		t.Fatalf("after transfer: assignees %v; want [carol]", c.Assignees)
	}
	s.mustAct(bob, "POST", conv+"/messages", map[string]string{"body": "still me?"}, http.StatusForbidden)

	// Carol conferences alice in; both reply; alice leaves.
	s.mustAct(carol, "POST", conv+"/conference", map[string]string{"user_id": alice.user.ID}, http.StatusOK)
	s.mustAct(alice, "POST", conv+"/accept", nil, http.StatusOK)
	if c := s.conversation(convID); !slices.Equal(c.Assignees, []string{carol.user.ID, alice.user.ID}) {
		t.Fatalf("in conference: assignees %v; want [carol alice]", c.Assignees)
	}
	s.mustAct(carol, "POST", conv+"/messages", map[string]string{"body": "Carol here, with Alice."}, http.StatusCreated)
	s.mustAct(alice, "POST", conv+"/messages", map[string]string{"body": "Alice from billing."}, http.StatusCreated)
	s.mustAct(alice, "DELETE", conv+"/conference/"+alice.user.ID, nil, http.StatusOK)

	// End, then wrap up with a reason from the team's list and a closing message.
	s.mustAct(carol, "POST", conv+"/end", nil, http.StatusOK)
	s.mustAct(carol, "POST", conv+"/wrap-up", map[string]string{"reason": "Not a reason"}, http.StatusBadRequest)
	s.mustAct(carol, "POST", conv+"/wrap-up", map[string]string{"reason": "Resolved", "closing_message": "Thanks, bye!"}, http.StatusOK)

	c := s.conversation(convID)
	if c.Status != "closed" || c.CloseReason == nil || *c.CloseReason != "wrapped_up" || c.WrapUpReason == nil || *c.WrapUpReason != "Resolved" || len(c.Assignees) != 0 {
		t.Fatalf("after wrap-up: %+v; want closed, wrapped_up, Resolved, no assignees", c.Conversation)
	}
	s.mustAct(carol, "POST", conv+"/messages", map[string]string{"body": "too late"}, http.StatusConflict)

	eventually(t, "every reply and the closing message at the emulator", func() bool {
		return len(s.sentTo(customer)) == 4
	})
	var bodies []string
	for _, m := range s.sentTo(customer) {
		bodies = append(bodies, m.Body)
	}
	want := []string{"Hi, Bob here.", "Carol here, with Alice.", "Alice from billing.", "Thanks, bye!"}
	if !slices.Equal(bodies, want) {
		t.Errorf("emulator received %q; want %q", bodies, want)
	}
	// The run ends with the conversation.
	tc := s.temporal(t)
	eventually(t, "the workflow completed", func() bool {
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.WorkflowID(convID), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}

// Timers survive a worker crash: with an offer and a scheduled message pending, the
// worker is killed (SIGKILL) and restarted; both still fire, once.
func TestTimersSurviveWorkerKill(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, noWorker: true})
	ctx := context.Background()
	if err := s.store.SetTeamRules(ctx, s.team.ID, store.TeamRules{OfferTimeoutSeconds: 3}); err != nil {
		t.Fatal(err)
	}
	worker := s.startWorkerProcess(t)
	alice := s.newAgent("alice", "available")
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hello"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the offer to alice", func() bool { return len(s.offersFor(alice)) == 1 })
	sendAt := time.Now().Add(3 * time.Second).UTC()
	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", alice.token, map[string]any{
		"team_id": s.team.ID, "to": customer, "body": "Reminder: your appointment", "send_at": sendAt,
	}, &sm); code != http.StatusCreated {
		t.Fatalf("schedule: %d", code)
	}

	worker.kill(t)
	s.startWorkerProcess(t) // stopped by its t.Cleanup

	eventually(t, "alice RONA after the offer expired", func() bool { return s.presenceOf(alice) == store.PresenceRONA })
	eventually(t, "the scheduled message sent", func() bool { return len(s.sentTo(customer)) >= 1 })
	got := s.sentTo(customer)
	if len(got) != 1 || got[0].Body != "Reminder: your appointment" {
		t.Fatalf("emulator received %+v; want the reminder once", got)
	}
	if got[0].DateCreated.Before(sendAt) {
		t.Errorf("reminder sent at %s, before its time %s", got[0].DateCreated, sendAt)
	}
	var pending struct{ Scheduled []store.ScheduledMessage }
	s.call("GET", "/v1/conversations/"+*sm.ConversationID+"/scheduled", alice.token, nil, &pending)
	if len(pending.Scheduled) != 0 {
		t.Errorf("still pending after sending: %+v", pending.Scheduled)
	}
}

// workerProcess is `textdesk worker` running as a child process.
type workerProcess struct{ cmd *exec.Cmd }

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// textdeskBinary builds cmd/textdesk once per test binary and returns its path.
func textdeskBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "textdesk-e2e-*")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "textdesk")
		out, err := exec.Command("go", "build", "-o", binary, "../cmd/textdesk").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build textdesk: %v", buildErr)
	}
	return binary
}

func (s *stack) startWorkerProcess(t *testing.T) *workerProcess {
	t.Helper()
	cmd := exec.Command(textdeskBinary(t), "worker")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+s.cfg.DatabaseURL, "TEMPORAL_ADDRESS="+s.cfg.TemporalAddress,
		"TEMPORAL_NAMESPACE="+s.cfg.TemporalNamespace, "TEXTDESK_TASK_QUEUE="+s.cfg.TaskQueue,
		"PUBLIC_URL="+s.cfg.PublicURL, "TWILIO_ACCOUNT_SID="+s.cfg.TwilioAccountSID,
		"TWILIO_AUTH_TOKEN="+s.cfg.TwilioAuthToken, "TWILIO_BASE_URL="+s.cfg.TwilioBaseURL, "LOG_LEVEL=warn",
		"TEXTDESK_CALLER_KEY="+s.cfg.CallerKey, "TEXTDESK_PAYLOAD_KEYS="+s.cfg.PayloadKeys,
		"WORKER_METRICS_ADDR=") // no metrics server: parallel tests would share its port
	cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &workerProcess{cmd: cmd}
	t.Cleanup(func() { w.kill(t) })
	return w
}

func (w *workerProcess) kill(t *testing.T) {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	_ = w.cmd.Wait()
}

func (s *stack) temporal(t *testing.T) client.Client {
	t.Helper()
	opts := client.Options{HostPort: s.cfg.TemporalAddress, Namespace: s.cfg.TemporalNamespace}
	if err := app.EncryptPayloads(s.cfg, &opts); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// A conversation missed while chat was off is offered when chat turns on, and a
// conversation waiting with nobody available is offered when an agent becomes available.
func TestMissedAndWaitingConversationsAreOffered(t *testing.T) {
	s := startStack(t, false, "We are closed.")
	ctx := context.Background()
	dana := s.newAgent("dana", "away")
	missed, waiting := newPhone(), newPhone()

	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: missed, To: s.teamPhone, Body: "hi"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the auto-response", func() bool { return len(s.sentTo(missed)) == 1 })
	s.mustAct(dana, "PUT", "/v1/teams/"+s.team.ID+"/chat", map[string]bool{"on": true}, http.StatusOK)
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: waiting, To: s.teamPhone, Body: "hello?"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var list store.ConversationPage
	eventually(t, "both conversations waiting in New", func() bool {
		s.call("GET", "/v1/conversations", dana.token, nil, &list)
		return len(list.Conversations) == 2 && list.Conversations[0].Status == "new" && list.Conversations[1].Status == "new"
	})
	if n := len(s.offersFor(dana)); n != 0 {
		t.Fatalf("away agent has %d offers", n)
	}
	s.mustAct(dana, "PUT", "/v1/me/presence", map[string]string{"state": "available"}, http.StatusOK)
	eventually(t, "both offered to dana once she is available", func() bool { return len(s.offersFor(dana)) == 2 })
}

// A team transfer moves the conversation to the other team's New inbox, unless the
// contact already has an open conversation there.
func TestTeamTransfer(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	erin := s.newAgent("erin", "available")
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "hi"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the offer to erin", func() bool {
		if o := s.offersFor(erin); len(o) == 1 {
			convID = o[0].ConversationID
		}
		return convID != ""
	})
	conv := "/v1/conversations/" + convID
	s.mustAct(erin, "POST", conv+"/transfer", map[string]string{"team_id": s.team.ID}, http.StatusForbidden) // not hers yet
	s.mustAct(erin, "POST", conv+"/accept", nil, http.StatusOK)

	// Billing already talks to this customer: refused, nothing changes.
	billing, err := s.store.CreateTeam(ctx, "Billing "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := s.store.ContactByPhone(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.OpenConversation(ctx, billing.ID, contact.ID, billing.Numbers[0], "new"); err != nil {
		t.Fatal(err)
	}
	s.mustAct(erin, "POST", conv+"/transfer", map[string]string{"team_id": billing.ID}, http.StatusConflict)
	if c := s.conversation(convID); c.TeamID != s.team.ID || !slices.Equal(c.Assignees, []string{erin.user.ID}) {
		t.Fatalf("refused transfer changed the conversation: %+v", c.Conversation)
	}

	sales, err := s.store.CreateTeam(ctx, "Sales "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	s.mustAct(erin, "POST", conv+"/transfer", map[string]string{"team_id": sales.ID}, http.StatusOK)
	c, err := s.store.Conversation(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	if c.TeamID != sales.ID || c.Status != "new" || len(c.Assignees) != 0 {
		t.Fatalf("after team transfer: team %s status %s assignees %v; want sales, new, none", c.TeamID, c.Status, c.Assignees)
	}
	// The customer's next text still joins it (found by the number they text).
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "still there?"}); err != nil || code != 200 {
		t.Fatalf("inbound: %d %v", code, err)
	}
	eventually(t, "the second message in the transferred conversation", func() bool {
		msgs, err := s.store.Messages(ctx, convID)
		return err == nil && len(msgs) == 2
	})
}
