package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/internal/password"
	"github.com/textdesk/textdesk/store"
)

// testPassword is what e2e users sign in with (it passes the weak-password rules).
const testPassword = "e2e correct horse battery"

// browser is a client signed in with the session cookie, as the console is: it sends
// the cookie, the CSRF token and the API's own origin.
type browser struct {
	s      *stack
	cookie string // the session secret
	csrf   string
	origin string // sent as Origin on changes; the API's by default
}

// header is what the browser sends with a request of method.
func (b *browser) header(method string) map[string]string {
	h := map[string]string{"Cookie": "textdesk_session=" + b.cookie}
	if method != "GET" && method != "HEAD" {
		h["X-CSRF-Token"] = b.csrf
		h["Origin"] = b.origin
	}
	return h
}

func (b *browser) send(method, path string, body any) apiAnswer {
	b.s.t.Helper()
	a, err := b.s.send(apiRequest{method: method, path: path, body: body, header: b.header(method)})
	if err != nil {
		b.s.t.Fatal(err)
	}
	return a
}

// withPassword gives u testPassword directly in the store.
func (s *stack) withPassword(u store.User) store.User {
	s.t.Helper()
	if err := s.store.SetPassword(context.Background(), u.ID, password.HashWith(testPassword, password.Params{Memory: 64, Time: 1, Threads: 1}), ""); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// signIn signs in through POST /v1/sessions and returns the browser, failing the test
// unless it answers 200 with the cookie.
func (s *stack) signIn(email, pw string, header map[string]string) *browser {
	s.t.Helper()
	b, a := s.trySignIn(email, pw, header)
	if a.status != http.StatusOK || b == nil {
		s.t.Fatalf("sign in as %s: %d %s", email, a.status, a.body)
	}
	return b
}

// trySignIn signs in; b is nil unless it succeeded.
func (s *stack) trySignIn(email, pw string, header map[string]string) (*browser, signInAnswer) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.apiURL+"/v1/sessions", strings.NewReader(`{"email":`+quote(email)+`,"password":`+quote(pw)+`}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.apiClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := signInAnswer{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	a.body = string(raw)
	if err := json.Unmarshal(raw, &a.me); err != nil {
		s.t.Fatalf("sign in as %s: %d %q: %v", email, resp.StatusCode, raw, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, a
	}
	for _, c := range resp.Cookies() {
		if c.Name == "textdesk_session" {
			a.cookie = c
			return &browser{s: s, cookie: c.Value, csrf: a.me.CSRFToken, origin: s.apiURL}, a
		}
	}
	return nil, a
}

type signInAnswer struct {
	status int
	header http.Header
	cookie *http.Cookie
	me     meBody
	body   string
}

// meBody is GET /v1/me's answer (and POST /v1/sessions's), or an error.
type meBody struct {
	store.User
	CSRFToken string `json:"csrf_token"`
	Error     struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// sessionFor starts a session for u directly in the store (lifetime may be negative:
// an expired one) and returns a browser holding it.
func (s *stack) sessionFor(u store.User, lifetime time.Duration) (*browser, store.Session) {
	s.t.Helper()
	ses, secret, err := s.store.CreateSession(context.Background(), u.ID, "e2e", lifetime)
	if err != nil {
		s.t.Fatal(err)
	}
	return &browser{s: s, cookie: secret, csrf: ses.CSRFToken, origin: s.apiURL}, ses
}

// streamEnds waits for the server to end a stream, failing after within.
func streamEnds(t *testing.T, st *sseStream, within time.Duration, what string) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case <-st.ended:
			return
		case _, ok := <-st.blocks:
			if !ok {
				select {
				case <-st.ended:
					return
				case <-time.After(time.Second):
					t.Fatalf("%s: the stream failed instead of ending", what)
				}
			}
		case <-deadline:
			st.cancel()
			t.Fatalf("%s: the event stream is still open after %s", what, within)
		}
	}
}
