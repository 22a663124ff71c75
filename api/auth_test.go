package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

func TestCheckCSRF(t *testing.T) {
	s := &Server{PublicURL: "https://desk.example.com"}
	ses := store.Session{CSRFToken: "the-token"}
	cases := []struct {
		name, method string
		header       map[string]string
		ok           bool
		says         string
	}{
		{"GET needs nothing", "GET", nil, true, ""},
		{"HEAD needs nothing", "HEAD", map[string]string{"Origin": "https://evil.example"}, true, ""},
		{"same origin with the token", "POST", map[string]string{"Origin": "https://desk.example.com", "X-CSRF-Token": "the-token"}, true, ""},
		{"no browser headers, with the token (curl)", "DELETE", map[string]string{"X-CSRF-Token": "the-token"}, true, ""},
		{"Sec-Fetch-Site same-origin", "PUT", map[string]string{"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": "the-token"}, true, ""},
		{"same origin without the token", "POST", map[string]string{"Origin": "https://desk.example.com"}, false, "X-CSRF-Token"},
		{"a wrong token", "POST", map[string]string{"X-CSRF-Token": "the-tokeN"}, false, "X-CSRF-Token"},
		{"a prefix of the token", "POST", map[string]string{"X-CSRF-Token": "the-"}, false, "X-CSRF-Token"},
		{"cross-site, even with the token", "POST", map[string]string{"Origin": "https://evil.example", "X-CSRF-Token": "the-token"}, false, "https://evil.example"},
		{"another scheme", "POST", map[string]string{"Origin": "http://desk.example.com", "X-CSRF-Token": "the-token"}, false, "PUBLIC_URL"},
		{"the request's own origin (console at another name of the host)", "POST", map[string]string{"Origin": "http://example.com", "X-CSRF-Token": "the-token"}, true, ""},
		{"Origin null", "PATCH", map[string]string{"Origin": "null", "X-CSRF-Token": "the-token"}, false, "PUBLIC_URL"},
		{"Sec-Fetch-Site cross-site", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": "the-token"}, false, "another site"},
		{"Sec-Fetch-Site same-site (a sibling subdomain)", "POST", map[string]string{"Sec-Fetch-Site": "same-site", "X-CSRF-Token": "the-token"}, false, "another site"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, "/v1/me/presence", nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		err := s.checkCSRF(r, ses)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted", c.name)
		case !c.ok && (conversation.ErrorCode(err) != conversation.EForbidden || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%s: %v; want forbidden mentioning %q", c.name, err, c.says)
		}
	}
}

func TestClientAddr(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/sessions", nil)
	r.RemoteAddr = "192.0.2.7:51234"
	r.Header.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.4")
	if got := (&Server{}).clientAddr(r); got != "192.0.2.7" {
		t.Errorf("without a trusted proxy: %q; want the peer (X-Forwarded-For can be forged)", got)
	}
	s := &Server{Webhooks: WebhookOptions{TrustedProxy: true}}
	if got := s.clientAddr(r); got != "198.51.100.4" {
		t.Errorf("behind a trusted proxy: %q; want the entry the proxy added (the last)", got)
	}
	r.Header.Set("X-Forwarded-For", "not an address")
	if got := s.clientAddr(r); got != "192.0.2.7" {
		t.Errorf("a malformed X-Forwarded-For: %q; want the peer", got)
	}
}

func TestRedactPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/password-resets/tdr_secret": "/v1/password-resets/[redacted]",
		"/v1/password-resets/":           "/v1/password-resets/",
		"/v1/me":                         "/v1/me",
	} {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCookieAttributes(t *testing.T) {
	for _, c := range []struct {
		url    string
		secure bool
	}{{"https://desk.example.com", true}, {"http://127.0.0.1:8080", false}} {
		w := httptest.NewRecorder()
		(&Server{PublicURL: c.url}).setCookie(w, "tds_x", time.Now().Add(time.Hour))
		ck := w.Result().Cookies()[0]
		if ck.Name != "textdesk_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != c.secure {
			t.Errorf("PUBLIC_URL %s: cookie %+v", c.url, ck)
		}
	}
}
