package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/textdesk/textdesk/workflows"
)

// eventuallyWithin polls cond until it holds or d passes.
func eventuallyWithin(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for wait := 5 * time.Millisecond; !cond(); wait = min(wait*2, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(wait)
	}
}

// newSID returns a MessageSid no other test uses.
func newSID() string { return "SM" + strings.ReplaceAll(uuid.NewString(), "-", "") }

// phoneEnding returns a fresh valid US number ending in suffix (4 digits), for the
// emulator's per-number faults.
func phoneEnding(suffix string) string {
	phoneCounter++
	return fmt.Sprintf("+1415%03d%s", 200+phoneCounter%700, suffix)
}

// inbound has the emulator text the team as phone and fails the test if the webhook
// is not accepted.
func (s *stack) inbound(from, to, body string) string {
	s.t.Helper()
	sid, code, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: from, To: to, Body: body})
	if err != nil || code != http.StatusOK {
		s.t.Fatalf("inbound %q from %s: %d %v", body, from, code, err)
	}
	return sid
}

// conversationWith waits for the conversation with phone and returns it.
func (s *stack) conversationWith(phone string) conversationJSON {
	s.t.Helper()
	var id string
	eventually(s.t, "the conversation with "+phone, func() bool {
		var list store.ConversationPage
		s.call("GET", "/v1/conversations", s.agentTok, nil, &list)
		for _, c := range list.Conversations {
			if c.ContactPhone == phone {
				id = c.ID
			}
		}
		return id != ""
	})
	return s.conversation(id)
}

// messageIn waits until the conversation has a message matching ok and returns it.
func (s *stack) messageIn(convID, what string, ok func(store.Message) bool) store.Message {
	s.t.Helper()
	var found store.Message
	eventually(s.t, what, func() bool {
		for _, m := range s.conversation(convID).Messages {
			if ok(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func (s *stack) reply(convID, body string) store.Message {
	s.t.Helper()
	var m store.Message
	if code := s.call("POST", "/v1/conversations/"+convID+"/messages", s.agentTok, map[string]string{"body": body}, &m); code != http.StatusCreated {
		s.t.Fatalf("reply %q: status %d", body, code)
	}
	return m
}

// postSigned posts form to an API webhook path (with query), signed with token.
func (s *stack) postSigned(pathAndQuery, token string, form url.Values) int {
	s.t.Helper()
	target := s.apiURL + pathAndQuery
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioemu.Sign(token, target, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// metric reads one counter from GET /metrics.
func (s *stack) metric(name, label string) int {
	s.t.Helper()
	resp, err := http.Get(s.internalURL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	prefix := name + "{" + label + "} "
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// fastSender lets the team's number send 100 segments/s (a short code's rate), so tests
// of other rules do not wait on the 1/s default.
func (s *stack) fastSender() {
	s.t.Helper()
	if err := s.store.SetNumberRate(context.Background(), s.teamPhone, 100); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) db() *pgx.Conn {
	s.t.Helper()
	conn, err := pgx.Connect(context.Background(), s.cfg.DatabaseURL)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// A webhook Twilio delivers five times at once is stored once, and the workflow
// counts it once.
func TestReplayedWebhookStoredOnce(t *testing.T) {
	s := startStack(t, true, "")
	customer := newPhone()
	form := url.Values{
		"MessageSid": {newSID()}, "AccountSid": {accountSID},
		"From": {customer}, "To": {s.teamPhone}, "Body": {"Where is my parcel?"}, "NumSegments": {"1"},
	}
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Go(func() { codes[i] = s.postSigned("/webhooks/twilio/messages", authToken, form) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, c)
		}
	}
	conv := s.conversationWith(customer)
	// Every delivery reached the workflow; wait until it handled all of them.
	tc := s.temporal(t)
	eventually(t, "the workflow handled every delivery", func() bool {
		signals, recorded := 0, 0
		scheduled := map[int64]string{}
		iter := tc.GetWorkflowHistory(context.Background(), workflows.WorkflowID(conv.ID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return false
			}
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				if ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == workflows.SignalInbound {
					signals++
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				scheduled[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				if scheduled[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()] == "RecordInbound" {
					recorded++
				}
			case enumspb.EVENT_TYPE_MARKER_RECORDED: // a local activity's result
				if m := ev.GetMarkerRecordedEventAttributes(); m.GetMarkerName() == "LocalActivity" &&
					strings.Contains(s.decodedDetails(m.GetDetails()), "RecordInbound") {
					recorded++
				}
			}
		}
		return signals > 0 && recorded >= signals
	})
	conv = s.conversation(conv.ID)
	if len(conv.Messages) != 1 || conv.Messages[0].Body != "Where is my parcel?" || conv.Messages[0].Encoding == nil || *conv.Messages[0].Encoding != sms.GSM7 {
		t.Fatalf("messages = %+v; want the message once, GSM-7", conv.Messages)
	}
	var list store.ConversationPage
	s.call("GET", "/v1/conversations", s.agentTok, nil, &list)
	if len(list.Conversations) != 1 {
		t.Errorf("%d conversations; want 1", len(list.Conversations))
	}
}

// An MMS to a number of the team's Messaging Service pool (not one of the team's
// numbers yet) reaches the team with its media; the reply leaves from that number.
func TestInboundMMSToMessagingServicePool(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	const service = "MG0123456789abcdef0123456789abcd01"
	if err := s.store.AddMessagingService(ctx, s.team.ID, service); err != nil {
		t.Fatal(err)
	}
	pool, customer := newPhone(), newPhone()
	_, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{
		From: customer, To: pool, MessagingServiceSid: service, Body: "Photo of the damage 📷",
		MediaURLs:         []string{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "https://example.com/receipt.pdf"},
		MediaContentTypes: []string{"image/jpeg"},
	})
	if err != nil || code != http.StatusOK {
		t.Fatalf("inbound to the pool: %d %v", code, err)
	}
	conv := s.conversationWith(customer)
	m := s.messageIn(conv.ID, "the MMS", func(m store.Message) bool { return m.Direction == "inbound" })
	want := []store.Media{{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", ContentType: "image/jpeg"},
		{URL: "https://example.com/receipt.pdf", ContentType: "application/pdf"}}
	if m.NumMedia != 2 || !slices.Equal(m.Media, want) || m.Encoding == nil || *m.Encoding != sms.UCS2 {
		t.Errorf("MMS = num_media %d media %+v encoding %v; want 2 %+v UCS-2", m.NumMedia, m.Media, m.Encoding, want)
	}
	if conv.TeamNumber != pool {
		t.Errorf("team number %s; want the pool number %s", conv.TeamNumber, pool)
	}
	team, err := s.store.Team(ctx, s.team.ID)
	if err != nil || !slices.Contains(team.Numbers, pool) {
		t.Errorf("team numbers %v; want the pool number to have joined", team.Numbers)
	}
	s.reply(conv.ID, "Thanks, got it.")
	eventually(t, "the reply at the emulator", func() bool { return len(s.sentTo(customer)) == 1 })
	if got := s.sentTo(customer)[0]; got.From != pool {
		t.Errorf("reply from %s; want the pool number %s", got.From, pool)
	}
	// A pool number of a service nobody registered is refused with a reason.
	_, code, _ = s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: newPhone(), MessagingServiceSid: "MG0123456789abcdef0123456789abcdff", Body: "hi"})
	if code != http.StatusNotFound {
		t.Errorf("unknown service: status %d; want 404", code)
	}
}

// Status callbacks only move a message forward, keep the error code with a readable
// reason, and an unknown SID is acknowledged.
func TestStatusCallbacksNeverRegress(t *testing.T) {
	s := startStack(t, true, "")
	s.fastSender()
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hello")
	conv := s.conversationWith(customer)

	// Twilio's callbacks delivered in reverse: delivered, then sent, then queued.
	if err := s.emu.SetFaults(twilioemu.Faults{CallbackOrder: twilioemu.CallbackReverse}); err != nil {
		t.Fatal(err)
	}
	stale := s.metric("textdesk_status_callbacks_total", `outcome="stale"`)
	first := s.reply(conv.ID, "first")
	eventually(t, "the late callbacks answered", func() bool {
		return s.metric("textdesk_status_callbacks_total", `outcome="stale"`) >= stale+2
	})
	m := s.messageIn(conv.ID, "the first reply delivered", func(m store.Message) bool { return m.ID == first.ID && m.Status == "delivered" })
	if m.DeliveredAt == nil || m.SentAt == nil || m.TwilioSID == nil {
		t.Errorf("delivered message = %+v", m)
	}

	// Callbacks posted by hand, with the emulator's own held back.
	if err := s.emu.SetFaults(twilioemu.Faults{CallbackDelay: twilioemu.Duration(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	second, third := s.reply(conv.ID, "second"), s.reply(conv.ID, "third")
	sidOf := func(id string) string {
		m := s.messageIn(conv.ID, "the SID of "+id, func(m store.Message) bool { return m.ID == id && m.TwilioSID != nil })
		return *m.TwilioSID
	}
	status := func(sid, st string, extra ...string) {
		t.Helper()
		form := url.Values{"MessageSid": {sid}, "MessageStatus": {st}, "AccountSid": {accountSID}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		if code := s.postSigned("/webhooks/twilio/status", authToken, form); code != http.StatusNoContent {
			t.Fatalf("callback %s %s: %d", sid, st, code)
		}
	}
	secondSID, thirdSID := sidOf(second.ID), sidOf(third.ID)
	status(secondSID, "delivered")
	status(secondSID, "sent")
	status(secondSID, "queued")
	status(secondSID, "undelivered", "ErrorCode", "30003")
	status(thirdSID, "sent")
	status(thirdSID, "undelivered", "ErrorCode", "30003")
	status(thirdSID, "delivered")
	status(thirdSID, "read") // a status textdesk does not record
	status("SM00000000000000000000000000000404", "delivered")

	for _, c := range s.conversation(conv.ID).Messages {
		switch c.ID {
		case second.ID:
			if c.Status != "delivered" || c.ErrorCode != nil {
				t.Errorf("second: %s code %v; want delivered without error (late callbacks ignored)", c.Status, c.ErrorCode)
			}
		case third.ID:
			if c.Status != "undelivered" || c.ErrorCode == nil || *c.ErrorCode != 30003 || c.ErrorMessage == nil ||
				!strings.Contains(*c.ErrorMessage, "unreachable") || !strings.Contains(*c.ErrorMessage, "30003") {
				t.Errorf("third: %s code %v message %v; want undelivered, 30003 with a readable reason", c.Status, c.ErrorCode, c.ErrorMessage)
			}
		}
	}
	events, err := s.store.AgentEvents(context.Background(), s.agent.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range events {
		if e.Kind == string(store.NotifyMessageFailed) && strings.Contains(e.Text, "unreachable") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d message-failed events; want 1 for the undelivered third reply: %+v", failed, events)
	}
}

// sendEnv is the send activity pointed at the stack's emulator through a proxy that
// can simulate a worker dying right after Twilio answered.
type sendEnv struct {
	acts    *activities.Activities
	message store.Message
	crash   func() // set to cancel the running attempt once Twilio answered a create
	mu      sync.Mutex
}

func newSendEnv(t *testing.T, s *stack, customer string, callbacks bool) *sendEnv {
	e := &sendEnv{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.emu.ServeHTTP(w, r)
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.Method == http.MethodPost && e.crash != nil {
			e.crash() // Twilio has answered; the worker dies before storing the SID
			e.crash = nil
		}
	}))
	t.Cleanup(proxy.Close)
	e.acts = &activities.Activities{
		Store:  s.store,
		Twilio: sms.NewClient(sms.Config{BaseURL: proxy.URL, AccountSID: accountSID, AuthToken: authToken, Timeout: 500 * time.Millisecond}),
	}
	if callbacks {
		e.acts.StatusCallbackURL = s.apiURL + "/webhooks/twilio/status"
	}
	conv := s.conversationWith(customer)
	// A sender of its own, so the rate limit never defers these direct calls.
	e.message = store.Message{ID: uuid.NewString(), ConversationID: conv.ID, Kind: "text", From: newPhone(), To: customer,
		Body: "Your appointment is tomorrow at 10:00.", CreatedAt: time.Now().UTC()}
	if _, err := s.store.InsertOutbound(context.Background(), e.message, ""); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *sendEnv) crashAfterTwilioAnswers() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	e.mu.Lock()
	e.crash = cancel
	e.mu.Unlock()
	return ctx
}

// A send retried after the worker died between Twilio's answer and storing the SID
// reaches Twilio once: the retry finds the message in Twilio's list and adopts it.
func TestSendRetriedAfterCrashReachesTwilioOnce(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()

	t.Run("reconciled from Twilio's list", func(t *testing.T) {
		customer := newPhone()
		s.inbound(customer, s.teamPhone, "hi")
		e := newSendEnv(t, s, customer, false)
		if _, err := e.acts.SendSMS(e.crashAfterTwilioAnswers(), e.message.ID); err == nil {
			t.Fatal("the crashed attempt reported success")
		}
		if got := s.sentTo(customer); len(got) != 1 {
			t.Fatalf("emulator has %d messages after the first attempt; want 1", len(got))
		}
		if m, _ := s.store.Message(ctx, e.message.ID); m.TwilioSID != nil {
			t.Fatalf("the SID was stored despite the crash")
		}
		res, err := e.acts.SendSMS(ctx, e.message.ID)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		got := s.sentTo(customer)
		if len(got) != 1 || res.SID != got[0].Sid {
			t.Fatalf("emulator has %d messages, retry adopted %q; want 1 message, its SID %s", len(got), res.SID, got[0].Sid)
		}
		if m, _ := s.store.Message(ctx, e.message.ID); m.TwilioSID == nil || *m.TwilioSID != got[0].Sid {
			t.Errorf("stored SID %v; want %s", m.TwilioSID, got[0].Sid)
		}
		// A further retry changes nothing.
		if res, err := e.acts.SendSMS(ctx, e.message.ID); err != nil || res.SID != got[0].Sid || len(s.sentTo(customer)) != 1 {
			t.Errorf("third call: %+v %v", res, err)
		}
	})

	t.Run("answer lost to a timeout", func(t *testing.T) {
		customer := newPhone()
		s.inbound(customer, s.teamPhone, "hi")
		e := newSendEnv(t, s, customer, false)
		if err := s.emu.SetFaults(twilioemu.Faults{REST: []twilioemu.RESTFault{{Kind: twilioemu.FaultSlow, Method: "POST", Delay: twilioemu.Duration(2 * time.Second), Count: 1}}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.emu.SetFaults(twilioemu.Faults{}) })
		if _, err := e.acts.SendSMS(ctx, e.message.ID); err == nil {
			t.Fatal("the timed-out attempt reported success")
		}
		res, err := e.acts.SendSMS(ctx, e.message.ID)
		if got := s.sentTo(customer); err != nil || len(got) != 1 || res.SID != got[0].Sid {
			t.Fatalf("retry: %+v %v; emulator has %d messages; want 1, adopted", res, err, len(got))
		}
	})

	t.Run("status callback attaches the SID", func(t *testing.T) {
		customer := newPhone()
		s.inbound(customer, s.teamPhone, "hi")
		e := newSendEnv(t, s, customer, true)
		if _, err := e.acts.SendSMS(e.crashAfterTwilioAnswers(), e.message.ID); err == nil {
			t.Fatal("the crashed attempt reported success")
		}
		var m store.Message
		eventually(t, "the callbacks store the SID and the delivery", func() bool {
			m, _ = s.store.Message(ctx, e.message.ID)
			return m.TwilioSID != nil && m.Status == "delivered"
		})
		res, err := e.acts.SendSMS(ctx, e.message.ID)
		if got := s.sentTo(customer); err != nil || len(got) != 1 || res.SID != got[0].Sid || *m.TwilioSID != got[0].Sid {
			t.Fatalf("retry: %+v %v; emulator has %d messages", res, err, len(got))
		}
	})
}

// Twilio's error codes decide: permanent refusals fail the message with a reason the
// agent reads (21610 also opts the contact out); 500 and 429 are retried until the
// message goes, once.
func TestTwilioErrorsClassified(t *testing.T) {
	s := startStack(t, true, "")
	s.fastSender()
	invalid, unsubscribed, flaky := phoneEnding("0001"), phoneEnding("0002"), newPhone()
	if err := s.emu.SetFaults(twilioemu.Faults{CreateErrors: map[string]int{"0001": 21211, "0002": 21610}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		phone, mentions string
		code            int
	}{{invalid, "not a valid phone number", 21211}, {unsubscribed, "unsubscribed", 21610}} {
		s.inbound(c.phone, s.teamPhone, "hi")
		conv := s.conversationWith(c.phone)
		sent := s.reply(conv.ID, "hello")
		m := s.messageIn(conv.ID, "the refused reply failed", func(m store.Message) bool { return m.ID == sent.ID && m.Status == "failed" })
		if m.ErrorCode == nil || *m.ErrorCode != c.code || !strings.Contains(*m.ErrorMessage, c.mentions) {
			t.Errorf("%s: code %v message %q; want %d mentioning %q", c.phone, m.ErrorCode, *m.ErrorMessage, c.code, c.mentions)
		}
		if n := len(s.sentTo(c.phone)); n != 0 {
			t.Errorf("%s: emulator stored %d messages", c.phone, n)
		}
	}
	if ct, err := s.teamContact(unsubscribed); err != nil || !ct.OptedOut {
		t.Errorf("21610: contact %+v; want opted out", ct)
	}
	if ct, _ := s.teamContact(invalid); ct.OptedOut {
		t.Error("21211 opted the contact out")
	}

	// Transient failures: the first create answers 500, the next 429; the third goes.
	s.inbound(flaky, s.teamPhone, "hi")
	conv := s.conversationWith(flaky)
	if err := s.emu.SetFaults(twilioemu.Faults{REST: []twilioemu.RESTFault{
		{Kind: twilioemu.Fault500, Method: "POST", Count: 1}, {Kind: twilioemu.Fault429, Method: "POST", Count: 1}}}); err != nil {
		t.Fatal(err)
	}
	sent := s.reply(conv.ID, "we retry")
	s.messageIn(conv.ID, "the retried reply delivered", func(m store.Message) bool { return m.ID == sent.ID && m.Status == "delivered" })
	got := s.sentTo(flaky)
	if len(got) != 1 {
		t.Fatalf("emulator has %d messages; want 1", len(got))
	}
	if got[0].ValidityPeriod < 1 || got[0].ValidityPeriod > int(activities.DefaultValidityPeriod.Seconds()) {
		t.Errorf("validity period %d s; want at most %s", got[0].ValidityPeriod, activities.DefaultValidityPeriod)
	}
}

// STOP opts the contact out (cancelling their scheduled messages), and nothing reaches
// them until START; the keywords stay in the conversation.
func TestOptOutKeywords(t *testing.T) {
	s := startStack(t, true, "")
	s.fastSender()
	ctx := context.Background()
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", s.agentTok, map[string]any{
		"team_id": s.team.ID, "to": customer, "body": "Reminder", "send_at": time.Now().Add(time.Hour).UTC(),
	}, &sm); code != http.StatusCreated {
		t.Fatalf("schedule: %d", code)
	}

	s.inbound(customer, s.teamPhone, " Stop ")
	eventually(t, "the contact opted out", func() bool {
		ct, err := s.teamContact(customer)
		return err == nil && ct.OptedOut
	})
	s.messageIn(conv.ID, "STOP in the conversation", func(m store.Message) bool { return m.Body == " Stop " })
	if got, _ := s.store.Scheduled(ctx, sm.ID); got.Status != "cancelled" || got.Reason == nil || !strings.Contains(*got.Reason, "Stop") {
		t.Errorf("scheduled message %s, reason %v; want cancelled because they replied Stop", got.Status, got.Reason)
	}
	// A reply is refused up front (the send itself re-checks too, for an opt-out that
	// arrives while a reply is on its way).
	var refused apiError
	if code := s.call("POST", "/v1/conversations/"+conv.ID+"/messages", s.agentTok, map[string]string{"body": "Are you sure?"}, &refused); code != http.StatusConflict ||
		!strings.Contains(refused.Error.Message, "opted out") {
		t.Errorf("reply to an opted-out contact: %d %q; want 409 saying they opted out", code, refused.Error.Message)
	}
	if n := len(s.sentTo(customer)); n != 0 {
		t.Fatalf("an opted-out contact received %d messages", n)
	}

	s.inbound(customer, s.teamPhone, "start")
	eventually(t, "the contact opted back in", func() bool {
		ct, _ := s.teamContact(customer)
		return !ct.OptedOut
	})
	welcome := s.reply(conv.ID, "Welcome back")
	s.messageIn(conv.ID, "the reply delivered", func(m store.Message) bool { return m.ID == welcome.ID && m.Status == "delivered" })
	if got := s.sentTo(customer); len(got) != 1 || got[0].Body != "Welcome back" {
		t.Errorf("emulator received %+v; want only the reply after START", got)
	}
}

// RecordInbound applies keywords once per MessageSid: a replayed STOP after START
// changes nothing, and HELP answers with the team's help text.
func TestRecordInboundKeywords(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	customer := newPhone()
	s.inbound(customer, s.teamPhone, "hi")
	conv := s.conversationWith(customer)
	acts := &activities.Activities{Store: s.store}
	record := func(sid, body string) activities.RecordInboundResult {
		t.Helper()
		res, err := acts.RecordInbound(ctx, activities.InboundMessage{ConversationID: conv.ID, TeamID: s.team.ID, MessageSid: sid,
			From: customer, To: s.teamPhone, Body: body, ReceivedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	sid := newSID()[:24]
	optedOut := func() bool {
		ct, _ := s.teamContact(customer)
		return ct.OptedOut
	}
	if res := record(sid+"1", "UNSUBSCRIBE"); res.Consent != store.ConsentOptOut || !optedOut() {
		t.Fatalf("UNSUBSCRIBE: %+v, opted out %v", res, optedOut())
	}
	if res := record(sid+"2", "Yes"); res.Consent != store.ConsentOptIn || optedOut() {
		t.Fatalf("Yes: %+v, opted out %v", res, optedOut())
	}
	if res := record(sid+"1", "UNSUBSCRIBE"); !res.Duplicate || res.Consent != "" || optedOut() {
		t.Fatalf("replayed UNSUBSCRIBE: %+v, opted out %v; want a duplicate that changes nothing", res, optedOut())
	}
	if res := record(sid+"3", "help"); res.HelpReply != activities.HelpText(s.team) || !strings.Contains(res.HelpReply, "STOP") {
		t.Errorf("HELP without help text: %q", res.HelpReply)
	}
	if _, err := s.db().Exec(ctx, `UPDATE teams SET help_text = 'Acme support: call 555-0100.' WHERE id = $1`, s.team.ID); err != nil {
		t.Fatal(err)
	}
	if res := record(sid+"4", " INFO "); res.HelpReply != "Acme support: call 555-0100." {
		t.Errorf("INFO: %q; want the team's help text", res.HelpReply)
	}
	if res := record(sid+"5", "I need help"); res.HelpReply != "" || res.Consent != "" {
		t.Errorf("a sentence with a keyword in it: %+v", res)
	}
}

// The secondary auth token is accepted during rotation and refusals are counted, at
// the API's real /metrics.
func TestWebhookTokenRotation(t *testing.T) {
	const secondary = "e2eSecondaryToken000000000000000"
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) { c.TwilioAuthTokenSecondary = secondary }})
	customer := newPhone()
	verified := s.metric("textdesk_webhooks_verified_total", `token="secondary"`)
	refused := s.metric("textdesk_webhooks_refused_total", `reason="bad_signature"`)
	form := url.Values{"MessageSid": {newSID()}, "AccountSid": {accountSID},
		"From": {customer}, "To": {s.teamPhone}, "Body": {"signed with the new token"}}
	if code := s.postSigned("/webhooks/twilio/messages", secondary, form); code != http.StatusOK {
		t.Fatalf("secondary token: %d", code)
	}
	if code := s.postSigned("/webhooks/twilio/messages", "notOurToken", form); code != http.StatusForbidden {
		t.Fatalf("foreign token: %d", code)
	}
	s.messageIn(s.conversationWith(customer).ID, "the message", func(m store.Message) bool { return m.Body == "signed with the new token" })
	if got := s.metric("textdesk_webhooks_verified_total", `token="secondary"`); got != verified+1 {
		t.Errorf("verified by secondary: %d; want %d", got, verified+1)
	}
	if got := s.metric("textdesk_webhooks_refused_total", `reason="bad_signature"`); got != refused+1 {
		t.Errorf("refused: %d; want %d", got, refused+1)
	}
}

// A burst of 20 messages on a 1 segment/s long code leaves over at least 19 s, in
// order, while another sender's message goes at once. Slow (~20 s) by nature.
func TestRateLimitBurstDoesNotDelayOtherSenders(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 20 s")
	}
	s := startStack(t, true, "")
	ctx := context.Background()
	other := newPhone()
	if err := s.store.AddTeamNumber(ctx, s.team.ID, other); err != nil {
		t.Fatal(err)
	}
	busyCustomer, otherCustomer := newPhone(), newPhone()
	s.inbound(busyCustomer, s.teamPhone, "hi")
	s.inbound(otherCustomer, other, "hi")
	busy, quiet := s.conversationWith(busyCustomer), s.conversationWith(otherCustomer)

	const burst = 20
	for i := range burst {
		s.reply(busy.ID, fmt.Sprintf("part %02d", i+1))
	}
	posted := time.Now()
	s.reply(quiet.ID, "not delayed")
	eventually(t, "the other sender's message at the emulator", func() bool { return len(s.sentTo(otherCustomer)) == 1 })
	quietAt := s.sentTo(otherCustomer)[0].ReceivedAt
	if d := quietAt.Sub(posted); d > 3*time.Second {
		t.Errorf("the other sender's message took %s; want no wait behind the burst", d)
	}

	eventuallyWithin(t, "the whole burst at the emulator", time.Minute, func() bool { return len(s.sentTo(busyCustomer)) >= burst })
	got := s.sentTo(busyCustomer)
	var gaps []string
	for i, m := range got {
		if want := fmt.Sprintf("part %02d", i+1); m.Body != want {
			t.Errorf("message %d is %q; want %q (the burst leaves in order)", i, m.Body, want)
		}
		if i > 0 {
			gaps = append(gaps, got[i].ReceivedAt.Sub(got[i-1].ReceivedAt).Round(time.Millisecond).String())
		}
	}
	spread := got[burst-1].ReceivedAt.Sub(got[0].ReceivedAt)
	t.Logf("burst of %d on a 1/s long code: first to last %s at the emulator; gaps %v; other sender's message after %s",
		burst, spread, gaps, quietAt.Sub(posted))
	if spread < 19*time.Second {
		t.Errorf("the burst took %s at the emulator; want at least 19s", spread)
	}
	if !quietAt.Before(got[burst-1].ReceivedAt) {
		t.Error("the other sender's message waited for the burst")
	}
	// A per-number rate: 100/s lets a burst through at once.
	if err := s.store.SetNumberRate(ctx, other, 100); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 5 {
		s.reply(quiet.ID, fmt.Sprintf("fast %d", i))
	}
	eventually(t, "the fast burst", func() bool { return len(s.sentTo(otherCustomer)) == 6 })
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("5 messages at 100/s took %s", d)
	}
}

// The per-sender schedule: slots follow the order messages were written whatever order
// their sends run in, are spaced by segments at the sender's rate (1% under it), are
// kept across retries, and skip messages to contacts who opted out.
func TestReserveSendSlot(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	sender, customer, leaver := newPhone(), newPhone(), newPhone()
	if err := s.store.AddTeamNumber(ctx, s.team.ID, sender); err != nil {
		t.Fatal(err)
	}
	s.inbound(customer, s.teamPhone, "hi")
	s.inbound(leaver, s.teamPhone, "hi")
	conv, leaverConv := s.conversationWith(customer), s.conversationWith(leaver)
	if _, err := s.store.SetConsent(ctx, leaver, s.team.ID, true, time.Now().UTC(), "test"); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UTC()
	write := func(i int, convID, to, body string) string {
		t.Helper()
		id := uuid.NewString()
		if _, err := s.store.InsertOutbound(ctx, store.Message{ID: id, ConversationID: convID, Kind: "text", From: sender, To: to,
			Body: body, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}, ""); err != nil {
			t.Fatal(err)
		}
		return id
	}
	m1 := write(1, conv.ID, customer, "one segment")
	skipped := write(2, leaverConv.ID, leaver, "to someone who opted out")
	m2 := write(3, conv.ID, customer, strings.Repeat("two segments ", 13)) // 169 characters
	m3 := write(4, conv.ID, customer, "one segment again")
	reserve := func(id string) time.Duration {
		t.Helper()
		wait, err := s.store.ReserveSendSlot(ctx, id, 1, activities.DefaultValidityPeriod)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	slot := func(id string) time.Time {
		t.Helper()
		at, err := s.store.SendSlot(ctx, id)
		if err != nil || at == nil {
			t.Fatalf("slot of %s: %v %v", id, at, err)
		}
		return *at
	}
	near := func(what string, got, want time.Duration) {
		t.Helper()
		if d := got - want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s = %s; want %s", what, got, want)
		}
	}

	// The last message's send runs first: the earlier ones take their slots before it.
	wait3 := reserve(m3)
	if wait3 < 2900*time.Millisecond || wait3 > 3030*time.Millisecond {
		t.Errorf("m3 waits %s; want about 3.03s (three segments at 1/s, 1%% margin)", wait3)
	}
	near("m2 - m1", slot(m2).Sub(slot(m1)), 1010*time.Millisecond)
	near("m3 - m2", slot(m3).Sub(slot(m2)), 2020*time.Millisecond)
	if at, _ := s.store.SendSlot(ctx, skipped); at != nil {
		t.Errorf("a message to an opted-out contact took slot %s", at)
	}
	// Retries keep their slot.
	before := slot(m3)
	if wait := reserve(m3); wait > wait3 || !slot(m3).Equal(before) {
		t.Errorf("retry: wait %s, slot %s; want the same slot %s", wait, slot(m3), before)
	}
	if wait := reserve(m1); wait != 0 {
		t.Errorf("m1 waits %s; want 0", wait)
	}
	// A short code's rate: 100 segments/s.
	if err := s.store.SetNumberRate(ctx, sender, 100); err != nil {
		t.Fatal(err)
	}
	m4, m5 := write(5, conv.ID, customer, "fast"), write(6, conv.ID, customer, "faster")
	reserve(m5)
	near("m4 - m3", slot(m4).Sub(slot(m3)), 1010*time.Millisecond) // m3 was reserved at 1/s
	near("m5 - m4", slot(m5).Sub(slot(m4)), 10100*time.Microsecond)
}
