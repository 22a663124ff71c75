package twilioemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestSimulateInbound(t *testing.T) {
	h := newHook(t, http.StatusAccepted)
	webhook := h.srv.URL + "/webhooks/twilio/messages"
	e := newEnv(t, twilioemu.Config{WebhookURL: webhook})

	sid, status, err := e.emu.SimulateInbound(context.Background(), twilioemu.Inbound{
		From: "+15551112222", To: "+15553334444", Body: "Hi, I need help ✨",
		MediaURLs:         []string{"https://example.com/a.jpg", "https://example.com/b.bin"},
		MediaContentTypes: []string{"image/png"},
	})
	if err != nil {
		t.Fatalf("SimulateInbound: %v", err)
	}
	if status != http.StatusAccepted {
		t.Errorf("status = %d, want the webhook's 202", status)
	}
	if len(sid) != 34 || !strings.HasPrefix(sid, "SM") {
		t.Errorf("sid = %q", sid)
	}

	reqs := h.requests()
	if len(reqs) != 1 {
		t.Fatalf("webhook requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	v := client.NewRequestValidator(testToken)
	if !v.Validate(webhook, firstValues(r.form), r.signature) {
		t.Error("webhook signature does not validate")
	}
	wrong := client.NewRequestValidator("othertoken99")
	if wrong.Validate(webhook, firstValues(r.form), r.signature) {
		t.Error("webhook validates with the wrong token")
	}
	want := map[string]string{
		"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": testAccount,
		"From": "+15551112222", "To": "+15553334444", "Body": "Hi, I need help ✨",
		"NumMedia": "2", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
		"MediaUrl0": "https://example.com/a.jpg", "MediaContentType0": "image/png",
		"MediaUrl1": "https://example.com/b.bin", "MediaContentType1": "application/octet-stream",
	}
	for k, w := range want {
		if got := r.form.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}

	// The inbound message is fetchable but not part of the outbound record.
	m, err := e.client.Api.FetchMessage(sid, nil)
	if err != nil || *m.Direction != "inbound" || *m.Status != "received" {
		t.Errorf("fetch inbound: %+v, %v", m, err)
	}
	if n := len(e.emu.Messages()); n != 0 {
		t.Errorf("Messages() has %d entries, want outbound only", n)
	}
}

func TestSimulateInboundInvalid(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	_, _, err := e.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: "+1555", To: "+1666", Body: "x"})
	if !errors.Is(err, twilioemu.ErrInvalidInbound) {
		t.Errorf("no WebhookURL: err = %v", err)
	}
	e = newEnv(t, twilioemu.Config{WebhookURL: "http://127.0.0.1:1/hook"})
	sid, _, err := e.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: "+1555", Body: "x"})
	if !errors.Is(err, twilioemu.ErrInvalidInbound) || sid != "" {
		t.Errorf("missing To: sid %q, err %v", sid, err)
	}
}

func TestControlEndpoints(t *testing.T) {
	h := newHook(t, http.StatusOK)
	e := newEnv(t, twilioemu.Config{WebhookURL: h.srv.URL})
	send(t, e, "+15551230020", "outbound")

	resp, err := http.Post(e.srv.URL+"/emulator/inbound", "application/json",
		strings.NewReader(`{"from":"+15551112222","to":"+15553334444","body":"hello","media_urls":["https://example.com/x.gif"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Sid           string `json:"sid"`
		WebhookStatus int    `json:"webhook_status"`
	}
	decode(t, resp, http.StatusOK, &in)
	if !strings.HasPrefix(in.Sid, "SM") || in.WebhookStatus != 200 {
		t.Errorf("inbound response = %+v", in)
	}
	if got := h.requests(); len(got) != 1 || got[0].form.Get("MediaContentType0") != "image/gif" {
		t.Errorf("webhook got %+v", got)
	}

	resp, err = http.Post(e.srv.URL+"/emulator/inbound", "application/json", strings.NewReader(`{"from":"+1"}`))
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, http.StatusBadRequest, &struct{}{})

	var list struct {
		Messages []twilioemu.Message `json:"messages"`
	}
	resp, err = http.Get(e.srv.URL + "/emulator/messages")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, http.StatusOK, &list)
	if len(list.Messages) != 1 || list.Messages[0].Body != "outbound" {
		t.Errorf("messages = %+v", list.Messages)
	}

	resp, err = http.Post(e.srv.URL+"/emulator/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(e.emu.Messages()) != 0 {
		t.Errorf("reset: status %d, %d messages left", resp.StatusCode, len(e.emu.Messages()))
	}

	resp, err = http.Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
}

func decode(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, status, buf.String())
	}
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", buf.String(), err)
	}
}

// A message sent with a Messaging Service and no From leaves from a number of the
// service's pool (one an inbound message reached through it), as Twilio picks one; a
// From given with the service is kept.
func TestServiceSendPicksPoolNumber(t *testing.T) {
	h := newHook(t, http.StatusOK)
	e := newEnv(t, twilioemu.Config{WebhookURL: h.srv.URL + "/webhooks/twilio/messages"})
	const service, other = "MG0123456789abcdef0123456789abcd01", "MG0123456789abcdef0123456789abcd02"
	if _, _, err := e.emu.SimulateInbound(context.Background(), twilioemu.Inbound{
		From: "+15551112222", To: "+15553334444", MessagingServiceSid: service, Body: "hi",
	}); err != nil {
		t.Fatal(err)
	}
	m, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551112222").SetMessagingServiceSid(service).SetBody("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if m.From == nil || *m.From != "+15553334444" || m.MessagingServiceSid == nil || *m.MessagingServiceSid != service {
		t.Errorf("from=%v mss=%v; want the pool number +15553334444 and the service", m.From, m.MessagingServiceSid)
	}
	m, err = e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551112222").SetFrom("+15550009999").SetMessagingServiceSid(service).SetBody("hello"))
	if err != nil || m.From == nil || *m.From != "+15550009999" {
		t.Errorf("with From: %v %v; want From kept", m, err)
	}
	// A service whose pool the emulator has not seen: no number to name, as before.
	m, err = e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551112222").SetMessagingServiceSid(other).SetBody("hello"))
	if err != nil || m.From != nil {
		t.Errorf("unknown pool: from=%v err=%v; want none", m.From, err)
	}
}
