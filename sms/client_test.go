package sms

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testToken   = "secrettoken42"
)

// recorded is what the fake Twilio saw.
type recorded struct {
	method, path, rawQuery string
	user, pass             string
	form                   url.Values
}

// fakeTwilio answers every request with body and records it.
func fakeTwilio(t *testing.T, status int, body string) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var seen []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		seen = append(seen, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, user, pass, r.PostForm})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

func TestNewClientRewritesToBaseURL(t *testing.T) {
	srv, seen := fakeTwilio(t, http.StatusCreated, `{"sid":"SM123","status":"queued"}`)
	c := NewClient(Config{BaseURL: srv.URL + "/twilio/", AccountSID: testAccount, AuthToken: testToken})

	msg, err := c.Api.CreateMessage((&api.CreateMessageParams{}).
		SetTo("+15550001111").SetFrom("+15550002222").SetBody("hi & bye"))
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if msg.Sid == nil || *msg.Sid != "SM123" {
		t.Fatalf("sid = %v, want SM123", msg.Sid)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("requests = %d, want 1", len(got))
	}
	r := got[0]
	wantPath := "/twilio/2010-04-01/Accounts/" + testAccount + "/Messages.json"
	if r.method != http.MethodPost || r.path != wantPath {
		t.Errorf("request = %s %s, want POST %s", r.method, r.path, wantPath)
	}
	if r.user != testAccount || r.pass != testToken {
		t.Errorf("basic auth = %q:%q", r.user, r.pass)
	}
	if r.form.Get("To") != "+15550001111" || r.form.Get("Body") != "hi & bye" {
		t.Errorf("form = %v", r.form)
	}
}

func TestNewClientKeepsQuery(t *testing.T) {
	srv, seen := fakeTwilio(t, http.StatusOK, `{"messages":[],"next_page_uri":null}`)
	c := NewClient(Config{BaseURL: srv.URL, AccountSID: testAccount, AuthToken: testToken})

	if _, err := c.Api.ListMessage((&api.ListMessageParams{}).SetTo("+15550001111").SetPageSize(7)); err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("requests = %d, want 1", len(got))
	}
	q, err := url.ParseQuery(got[0].rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("To") != "+15550001111" || q.Get("PageSize") != "7" {
		t.Errorf("query = %v", q)
	}
}

// TWILIO_EDGE makes twilio-go change the host; dev traffic must still
// reach the base URL, never real Twilio.
func TestNewClientRewritesEdgeHosts(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney")
	srv, seen := fakeTwilio(t, http.StatusOK, `{"sid":"SM1"}`)
	c := NewClient(Config{BaseURL: srv.URL, AccountSID: testAccount, AuthToken: testToken})

	if _, err := c.Api.FetchMessage("SM1", nil); err != nil {
		t.Fatalf("FetchMessage: %v", err)
	}
	if n := len(seen()); n != 1 {
		t.Fatalf("requests = %d, want 1", n)
	}
}

func TestNewClientDecodesTwilioErrors(t *testing.T) {
	srv, _ := fakeTwilio(t, http.StatusNotFound,
		`{"code":20404,"message":"not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}`)
	c := NewClient(Config{BaseURL: srv.URL, AccountSID: testAccount, AuthToken: testToken})

	_, err := c.Api.FetchMessage("SMnope", nil)
	var te *client.TwilioRestError
	if !errors.As(err, &te) || te.Code != 20404 || te.Status != 404 {
		t.Fatalf("err = %v, want TwilioRestError 20404", err)
	}
}

func TestNewClientInvalidBaseURL(t *testing.T) {
	for _, base := range []string{"127.0.0.1:8080", "ftp://example.com", "http://%zz"} {
		c := NewClient(Config{BaseURL: base, AccountSID: testAccount, AuthToken: testToken})
		if _, err := c.Api.FetchMessage("SM1", nil); err == nil || !strings.Contains(err.Error(), "BaseURL") {
			t.Errorf("BaseURL %q: err = %v, want BaseURL error", base, err)
		}
	}
}

func TestNewClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	c := NewClient(Config{BaseURL: srv.URL, AccountSID: testAccount, AuthToken: testToken, Timeout: 50 * time.Millisecond})
	start := time.Now()
	if _, err := c.Api.FetchMessage("SM1", nil); err == nil {
		t.Fatal("want timeout error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v, timeout not applied", d)
	}
}

func TestNewClientDefaults(t *testing.T) {
	c := NewClient(Config{AccountSID: testAccount, AuthToken: testToken})
	stock, ok := c.RequestHandler.Client.(*client.Client)
	if !ok {
		t.Fatalf("empty BaseURL: client is %T, want stock *client.Client", c.RequestHandler.Client)
	}
	if stock.HTTPClient.Timeout != DefaultTimeout {
		t.Errorf("timeout = %v, want %v", stock.HTTPClient.Timeout, DefaultTimeout)
	}
	if c.RequestHandler.Client.AccountSid() != testAccount {
		t.Errorf("AccountSid = %q", c.RequestHandler.Client.AccountSid())
	}

	redirected := NewClient(Config{BaseURL: "http://127.0.0.1:1", AccountSID: testAccount, AuthToken: testToken})
	if redirected.RequestHandler.Client.AccountSid() != testAccount {
		t.Errorf("redirected AccountSid = %q", redirected.RequestHandler.Client.AccountSid())
	}
}
