package twilioemu_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/textdesk/textdesk/twilioemu"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestStatusCallbacks(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	h := newHook(t, http.StatusNoContent)
	callback := h.srv.URL + "/twilio/status?tenant=7&kind=sms"

	m, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551230010").SetFrom("+15557654321").SetBody("track me").
		SetStatusCallback(callback))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	waitFor(t, "3 status callbacks", func() bool { return len(h.requests()) >= 3 })

	good := client.NewRequestValidator(testToken)
	bad := client.NewRequestValidator("othertoken99")
	var statuses []string
	for _, r := range h.requests() {
		statuses = append(statuses, r.form.Get("MessageStatus"))
		if r.url != callback {
			t.Errorf("callback went to %s, want %s", r.url, callback)
		}
		params := firstValues(r.form)
		if !good.Validate(r.url, params, r.signature) {
			t.Errorf("%s callback: signature does not validate", r.form.Get("MessageStatus"))
		}
		if bad.Validate(r.url, params, r.signature) {
			t.Errorf("%s callback validates with the wrong token", r.form.Get("MessageStatus"))
		}
		want := map[string]string{
			"MessageSid": *m.Sid, "SmsSid": *m.Sid, "AccountSid": testAccount,
			"From": "+15557654321", "To": "+15551230010", "ApiVersion": "2010-04-01",
			"SmsStatus": r.form.Get("MessageStatus"),
		}
		for k, v := range want {
			if got := r.form.Get(k); got != v {
				t.Errorf("callback %s = %q, want %q", k, got, v)
			}
		}
		if r.form.Has("MessagingServiceSid") {
			t.Errorf("MessagingServiceSid sent without a service")
		}
	}
	if !slices.Equal(statuses, []string{"queued", "sent", "delivered"}) {
		t.Errorf("statuses = %v", statuses)
	}

	got, err := e.client.Api.FetchMessage(*m.Sid, nil)
	if err != nil {
		t.Fatalf("FetchMessage: %v", err)
	}
	if *got.Status != "delivered" || got.DateSent == nil {
		t.Errorf("after callbacks: status %q, date_sent %v", *got.Status, got.DateSent)
	}
}

func TestStatusCallbackCarriesMessagingService(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	h := newHook(t, http.StatusInternalServerError) // failures are only logged
	_, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551230011").SetMessagingServiceSid("MG0123456789abcdef0123456789abcdef").
		SetBody("via service").SetStatusCallback(h.srv.URL))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	waitFor(t, "3 status callbacks", func() bool { return len(h.requests()) >= 3 })
	for _, r := range h.requests() {
		if r.form.Get("MessagingServiceSid") != "MG0123456789abcdef0123456789abcdef" || r.form.Has("From") {
			t.Errorf("callback form = %v", r.form)
		}
	}
}

// The create response must not wait for a slow or stuck callback receiver,
// and Close must stop such work and wait for it.
func TestCallbacksNeverBlockAndCloseWaits(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // hang until the emulator gives up (or the test ends)
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(receiver.Close)
	t.Cleanup(func() { close(release) })
	e := newEnv(t, twilioemu.Config{CallbackDelay: time.Nanosecond})

	start := time.Now()
	_, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551230012").SetFrom("+15557654321").SetBody("x").
		SetStatusCallback(receiver.URL))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("create took %v", d)
	}

	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("first callback never arrived")
	}
	done := make(chan struct{})
	go func() { e.emu.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}

	// After Close, the REST API still records messages, without lifecycle.
	m, err := e.client.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15551230012").SetFrom("+15557654321").SetBody("after close"))
	if err != nil || *m.Status != "queued" {
		t.Fatalf("create after Close: %v", err)
	}
}
