package twilioemu_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/twilioemu"
)

func setFaults(t *testing.T, e *env, f twilioemu.Faults) {
	t.Helper()
	if err := e.emu.SetFaults(f); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

func createParams(to string) *api.CreateMessageParams {
	return (&api.CreateMessageParams{}).SetTo(to).SetFrom("+15557654321").SetBody("x")
}

func TestFault500CountedAndMethodScoped(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	setFaults(t, e, twilioemu.Faults{REST: []twilioemu.RESTFault{{Kind: twilioemu.Fault500, Method: "POST", Count: 2}}})
	for i := range 2 {
		_, err := e.client.Api.CreateMessage(createParams("+15551230100"))
		if te := restErr(t, err); te.Status != 500 || te.Code != 20500 {
			t.Fatalf("create %d: %+v; want 500/20500", i, te)
		}
	}
	if n := len(e.emu.Messages()); n != 0 {
		t.Fatalf("failed creates stored %d messages", n)
	}
	// GETs are not affected, and after two injections creates work again.
	if _, err := e.client.Api.ListMessage(nil); err != nil {
		t.Fatalf("list during a POST-only fault: %v", err)
	}
	if _, err := e.client.Api.CreateMessage(createParams("+15551230100")); err != nil {
		t.Fatalf("third create: %v", err)
	}
}

func TestFault429ShareIsSeeded(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	run := func() []bool {
		setFaults(t, e, twilioemu.Faults{Seed: 42, REST: []twilioemu.RESTFault{{Kind: twilioemu.Fault429, Rate: 0.3}}})
		var limited []bool
		for range 200 {
			_, err := e.client.Api.FetchMessage("SM00000000000000000000000000000000", nil)
			te := restErr(t, err)
			if te.Status == 429 && te.Code != 20429 {
				t.Fatalf("429 with code %d", te.Code)
			}
			limited = append(limited, te.Status == 429)
		}
		return limited
	}
	first := run()
	n := 0
	for _, l := range first {
		if l {
			n++
		}
	}
	if n < 40 || n > 80 {
		t.Errorf("%d of 200 requests limited; want about 60 (30%%)", n)
	}
	if !slices.Equal(first, run()) {
		t.Error("the same seed chose different requests")
	}
}

// A slow answer still creates the message: a client that times out does not know it
// was sent, which is what the product's reconciliation must handle.
func TestFaultSlowCreatesBeforeAnswering(t *testing.T) {
	e := newEnv(t, twilioemu.Config{CallbackDelay: time.Hour})
	setFaults(t, e, twilioemu.Faults{REST: []twilioemu.RESTFault{{Kind: twilioemu.FaultSlow, Method: "POST", Delay: twilioemu.Duration(2 * time.Second), Count: 1}}})
	impatient := sms.NewClient(sms.Config{BaseURL: e.srv.URL, AccountSID: testAccount, AuthToken: testToken, Timeout: 100 * time.Millisecond})
	start := time.Now()
	if _, err := impatient.Api.CreateMessage(createParams("+15551230101")); err == nil {
		t.Fatal("want a timeout")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("client waited %v", d)
	}
	if got := e.emu.Messages(); len(got) != 1 || got[0].To != "+15551230101" {
		t.Fatalf("emulator has %+v; want the message despite the timeout", got)
	}
	// Count 1: the next request is answered at once.
	if _, err := impatient.Api.CreateMessage(createParams("+15551230101")); err != nil {
		t.Fatalf("second create: %v", err)
	}
}

func TestFaultCreateErrorsBySuffix(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	setFaults(t, e, twilioemu.Faults{CreateErrors: map[string]int{"0001": 21211, "10001": 21610, "0429": 20429}})
	cases := map[string][2]int{
		"+15551230001": {400, 21211},
		"+15551210001": {400, 21610}, // the longer suffix wins
		"+15551230429": {429, 20429},
	}
	for to, want := range cases {
		_, err := e.client.Api.CreateMessage(createParams(to))
		te := restErr(t, err)
		if te.Status != want[0] || te.Code != want[1] || !strings.Contains(te.Message, to) && want[1] != 20429 {
			t.Errorf("%s: %d/%d %q; want %d/%d", to, te.Status, te.Code, te.Message, want[0], want[1])
		}
	}
	if _, err := e.client.Api.CreateMessage(createParams("+15551230002")); err != nil {
		t.Errorf("unlisted number: %v", err)
	}
	if n := len(e.emu.Messages()); n != 1 {
		t.Errorf("stored %d messages; want only the unlisted one", n)
	}
}

func TestFaultDeliveryError(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	setFaults(t, e, twilioemu.Faults{DeliveryErrors: map[string]int{"0003": 30003}})
	h := newHook(t, http.StatusNoContent)
	m, err := e.client.Api.CreateMessage(createParams("+15551230003").SetStatusCallback(h.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 callbacks", func() bool { return len(h.requests()) == 3 })
	last := h.requests()[2].form
	if last.Get("MessageStatus") != "undelivered" || last.Get("ErrorCode") != "30003" {
		t.Errorf("last callback = %v; want undelivered with 30003", last)
	}
	got, _ := e.client.Api.FetchMessage(*m.Sid, nil)
	if *got.Status != "undelivered" || got.ErrorCode == nil || *got.ErrorCode != 30003 {
		t.Errorf("fetched status %q code %v", *got.Status, got.ErrorCode)
	}
}

func TestFaultCallbacksOutOfOrderAndDelayed(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	setFaults(t, e, twilioemu.Faults{CallbackOrder: twilioemu.CallbackReverse, CallbackDelay: twilioemu.Duration(100 * time.Millisecond)})
	h := newHook(t, http.StatusNoContent)
	start := time.Now()
	m, err := e.client.Api.CreateMessage(createParams("+15551230004").SetStatusCallback(h.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 callbacks", func() bool { return len(h.requests()) == 3 })
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("3 callbacks in %v; want each delayed 100ms", d)
	}
	var statuses []string
	for _, r := range h.requests() {
		statuses = append(statuses, r.form.Get("MessageStatus"))
	}
	if !slices.Equal(statuses, []string{"delivered", "sent", "queued"}) {
		t.Errorf("callbacks %v; want reversed", statuses)
	}
	// Twilio's own record still moved forward.
	if got, _ := e.client.Api.FetchMessage(*m.Sid, nil); *got.Status != "delivered" {
		t.Errorf("status %q; want delivered", *got.Status)
	}

	setFaults(t, e, twilioemu.Faults{CallbackOrder: twilioemu.CallbackShuffle, Seed: 7})
	h2 := newHook(t, http.StatusNoContent)
	if _, err := e.client.Api.CreateMessage(createParams("+15551230005").SetStatusCallback(h2.srv.URL)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 shuffled callbacks", func() bool { return len(h2.requests()) == 3 })
	seen := map[string]bool{}
	for _, r := range h2.requests() {
		seen[r.form.Get("MessageStatus")] = true
	}
	if len(seen) != 3 {
		t.Errorf("shuffled callbacks cover %v; want each status once", seen)
	}
}

func TestFaultDuplicateInbound(t *testing.T) {
	h := newHook(t, http.StatusOK)
	e := newEnv(t, twilioemu.Config{WebhookURL: h.srv.URL + "/hook", Faults: twilioemu.Faults{DuplicateInbound: 4}})
	sid, status, err := e.emu.SimulateInbound(context.Background(), twilioemu.Inbound{
		From: "+15551112222", To: "+15553334444", Body: "hello", MessagingServiceSid: "MG0123456789abcdef0123456789abcdef",
	})
	if err != nil || status != 200 {
		t.Fatalf("SimulateInbound: %d %v", status, err)
	}
	reqs := h.requests()
	if len(reqs) != 5 {
		t.Fatalf("webhook posted %d times; want 5", len(reqs))
	}
	for _, r := range reqs {
		if r.form.Get("MessageSid") != sid || r.signature != reqs[0].signature ||
			r.form.Get("MessagingServiceSid") != "MG0123456789abcdef0123456789abcdef" {
			t.Errorf("copy differs: %v %s", r.form, r.signature)
		}
	}
}

func TestFaultsControlEndpoint(t *testing.T) {
	e := newEnv(t, twilioemu.Config{})
	post := func(body string) *http.Response {
		resp, err := http.Post(e.srv.URL+"/emulator/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var got twilioemu.Faults
	decode(t, post(`{"rest":[{"kind":"500","rate":0.5,"method":"POST"},{"kind":"slow","delay":"250ms"}],
		"create_errors":{"0001":21211},"callback_order":"reverse","callback_delay":"1s","duplicate_inbound":2}`), http.StatusOK, &got)
	if len(got.REST) != 2 || time.Duration(got.REST[1].Delay) != 250*time.Millisecond || got.CreateErrors["0001"] != 21211 ||
		got.CallbackOrder != "reverse" || time.Duration(got.CallbackDelay) != time.Second || got.DuplicateInbound != 2 {
		t.Errorf("faults = %+v", got)
	}
	for _, bad := range []string{`{"rest":[{"kind":"418"}]}`, `{"rest":[{"kind":"slow"}]}`, `{"rest":[{"kind":"500","rate":2}]}`,
		`{"callback_order":"sideways"}`, `{"unknown":1}`, `{"callback_delay":5}`, `not json`} {
		var e struct{ Error string }
		decode(t, post(bad), http.StatusBadRequest, &e)
		if e.Error == "" {
			t.Errorf("%s: no error message", bad)
		}
	}
	resp, err := http.Get(e.srv.URL + "/emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, http.StatusOK, &got)
	if got.CallbackOrder != "reverse" {
		t.Errorf("a refused update changed the faults: %+v", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, e.srv.URL+"/emulator/faults", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(e.emu.Faults().REST) != 0 {
		t.Errorf("DELETE: %d, faults %+v", resp.StatusCode, e.emu.Faults())
	}
}

func TestParseFaultsAndConfig(t *testing.T) {
	f, err := twilioemu.ParseFaults([]byte(`{"delivery_errors":{"0003":30003}}`))
	if err != nil || f.DeliveryErrors["0003"] != 30003 {
		t.Fatalf("ParseFaults: %+v %v", f, err)
	}
	if _, err := twilioemu.ParseFaults([]byte(`{"duplicate_inbound":-1}`)); err == nil {
		t.Error("negative duplicates accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted invalid faults")
		}
	}()
	twilioemu.New(twilioemu.Config{AccountSID: testAccount, Faults: twilioemu.Faults{CallbackOrder: "x"}})
}

// The signature example published in Twilio's webhook security documentation.
func TestSignTwilioDocsExample(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"},
	}
	if got := twilioemu.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("Sign = %s; want Twilio's published RSOYDt4T1cUTdK1PDd93/VVr8B8=", got)
	}
}
