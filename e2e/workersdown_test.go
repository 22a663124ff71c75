package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/app"
	"github.com/textdesk/textdesk/twilioemu"
)

// With every worker down, an agent's reply answers 503 with a message saying why
// within TEXTDESK_WORKFLOW_CALL_TIMEOUT, instead of hanging until the client gives up;
// a customer's text is still taken (200: it is in Temporal, waiting for a worker).
func TestReplyWithWorkersDownAnswers503(t *testing.T) {
	const callTimeout = 2 * time.Second
	s := startStackWith(t, stackOptions{noWorker: true, configure: func(c *config.Config) { c.WorkflowCallTimeout = callTimeout }})
	wctx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan error, 1)
	go func() { workerDone <- app.RunWorker(wctx, s.cfg, slog.New(slog.DiscardHandler)) }()
	defer stopWorker()
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hello")
	conv := s.conversationWith(customer)
	s.reply(conv.ID, "while the worker runs")

	stopWorker()
	if err := <-workerDone; err != nil {
		t.Fatalf("worker: %v", err)
	}
	s.inbound(customer, s.teamPhone, "are you there?") // 200 with no worker

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	resp, body := s.rawCall(ctx, "POST", "/v1/conversations/"+conv.ID+"/messages", s.agentTok, `{"body":"nobody will send this now"}`)
	took := time.Since(start)
	t.Logf("answered %d after %s: %s", resp.StatusCode, took.Round(time.Millisecond), strings.TrimSpace(body))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d; want 503", resp.StatusCode)
	}
	if took > callTimeout+3*time.Second {
		t.Errorf("took %s; want about the call timeout %s", took, callTimeout)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, "no textdesk worker") {
		t.Errorf("error = %+v (%v); want unavailable naming the missing workers", e.Error, err)
	}
}

// A stopping worker (SIGTERM: its context ends) lets an in-flight Twilio send finish
// within WORKER_STOP_TIMEOUT and record its result, instead of cancelling it midway
// (which would leave the message for another worker's retry to reconcile).
func TestWorkerDrainsInFlightSendOnStop(t *testing.T) {
	const twilioDelay = 2 * time.Second
	s := startStackWith(t, stackOptions{noWorker: true, configure: func(c *config.Config) { c.WorkerStopTimeout = 15 * time.Second }})
	wctx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan error, 1)
	go func() { workerDone <- app.RunWorker(wctx, s.cfg, slog.New(slog.DiscardHandler)) }()
	defer stopWorker()
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hello")
	conv := s.conversationWith(customer)
	if err := s.emu.SetFaults(twilioemu.Faults{REST: []twilioemu.RESTFault{{Kind: twilioemu.FaultSlow, Method: "POST",
		Delay: twilioemu.Duration(twilioDelay), Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	m := s.reply(conv.ID, "sent while the worker stops")
	eventually(t, "the send reached Twilio", func() bool { return len(s.sentTo(customer)) == 1 })

	stopWorker() // Twilio holds its answer for twilioDelay
	start := time.Now()
	if err := <-workerDone; err != nil {
		t.Fatalf("worker: %v", err)
	}
	t.Logf("worker stopped after %s", time.Since(start).Round(time.Millisecond))
	got, err := s.store.Message(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TwilioSID == nil || *got.TwilioSID != s.sentTo(customer)[0].Sid {
		t.Errorf("after the worker stopped, message = status %s sid %v; want the send finished and recorded (sid %s)", got.Status, got.TwilioSID, s.sentTo(customer)[0].Sid)
	}
}
