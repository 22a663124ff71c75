package twilioemu_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/twilioemu"
	"github.com/twilio/twilio-go"
)

const (
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testToken   = "secrettoken42"
)

type env struct {
	emu    *twilioemu.Emulator
	srv    *httptest.Server
	client *twilio.RestClient
}

// newEnv runs an emulator behind httptest and points the product's client
// at it. cfg's account and token default to the test constants; wrap, if
// given, decorates the emulator's handler.
func newEnv(t *testing.T, cfg twilioemu.Config, wrap ...func(http.Handler) http.Handler) *env {
	t.Helper()
	if cfg.AccountSID == "" {
		cfg.AccountSID, cfg.AuthToken = testAccount, testToken
	}
	if cfg.CallbackDelay == 0 {
		cfg.CallbackDelay = time.Millisecond
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	emu := twilioemu.New(cfg)
	var h http.Handler = emu
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(emu.Close) // runs after srv.Close (cleanups are LIFO)
	t.Cleanup(srv.Close)
	return &env{
		emu: emu,
		srv: srv,
		client: sms.NewClient(sms.Config{
			BaseURL: srv.URL, AccountSID: testAccount, AuthToken: testToken,
		}),
	}
}

// hook is a webhook receiver that records every request.
type hook struct {
	srv    *httptest.Server
	status int
	mu     sync.Mutex
	got    []hookRequest
}

type hookRequest struct {
	url       string // full URL as the sender addressed it
	form      url.Values
	signature string
}

func newHook(t *testing.T, status int) *hook {
	t.Helper()
	h := &hook{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("hook: parse form: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, hookRequest{
			url:       h.srv.URL + r.URL.RequestURI(),
			form:      r.PostForm,
			signature: r.Header.Get("X-Twilio-Signature"),
		})
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// firstValues flattens a form the way twilio-go's validator expects.
func firstValues(form url.Values) map[string]string {
	m := make(map[string]string, len(form))
	for k, v := range form {
		m[k] = v[0]
	}
	return m
}

func ptr[T any](v T) *T { return &v }
