package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

// Fuzz targets for the API's public input parsers (FuzzWebhookVerify, in
// webhooks_test.go, covers the webhooks' signature check and form/JSON bodies). Each
// asserts that nothing panics and that every refusal is a 4xx with a message: a 5xx
// for bad input is a bug. `make fuzz` (part of `make test`) runs each for a few
// seconds; `go test -fuzz FuzzX ./api/` runs one for longer.

// clientError fails unless err is nil or a domain error answered with a 4xx and a
// message.
func clientError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	st := statusOf(conversation.ErrorCode(err))
	if st < 400 || st > 499 {
		t.Fatalf("%s: %v answered %d; want a 4xx", what, err, st)
	}
	if strings.TrimSpace(conversation.ErrorMessage(err)) == "" {
		t.Fatalf("%s: %d without a message", what, st)
	}
}

// FuzzDecodeJSON sends arbitrary bodies and Content-Types to decodeJSON for each
// request shape of the API, then through the validation that follows decoding where it
// needs no database (team settings).
func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"name":"Support","numbers":["+14155550100"]}`, "application/json")
	f.Add(`{"label":"ci","expires_at":"2030-01-01T00:00:00Z"}`, "application/json; charset=utf-8")
	f.Add(`{"business_hours":{"mon":[["09:00","17:00"]]},"time_zone":"Europe/Paris","capacity":3}`, "")
	f.Add(`{"offer_timeout_seconds":1e400}`, "application/json")
	f.Add(`{"name":null}{"name":1}`, "text/plain")
	f.Add(`{"to":"+1","body":"`+strings.Repeat("x", 100)+`","send_at":"x"}`, "application/json")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		targets := map[string]func() any{
			"createTeam": func() any { return &createTeamRequest{} }, "createUser": func() any { return &createUserRequest{} },
			"token": func() any { return &tokenRequest{} }, "reply": func() any { return &replyRequest{} },
			"body": func() any { return &bodyRequest{} }, "handoff": func() any { return &handoffRequest{} },
			"outbound": func() any { return &outboundRequest{} }, "schedule": func() any { return &scheduleRequest{} },
			"putChat": func() any { return &putChatRequest{} }, "patchTeam": func() any { return &patchTeamRequest{} },
			"any": func() any { return &map[string]any{} },
		}
		for name, mk := range targets {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			v := mk()
			err := decodeJSON(httptest.NewRecorder(), r, v)
			clientError(t, name, err)
			if p, ok := v.(*patchTeamRequest); ok && err == nil {
				_, err := p.patch()
				clientError(t, "patchTeam.patch", err)
			}
		}
	})
}

// FuzzQueryParameters feeds arbitrary query strings and headers to the query
// parsers: page limits, event stream positions, metrics ranges (in several time
// zones), contact search.
func FuzzQueryParameters(f *testing.F) {
	f.Add("limit=50&after=12&from=2024-01-01&to=2024-01-31&q=%2B1415", "")
	f.Add("limit=-1&after=x&from=2024-13-45&to=1999-01-01T00:00:00Z&q=0044", "7")
	f.Add("from=0001-01-01&to=9999-12-31", "-1")
	f.Add("limit=99999999999999999999&q=%00%FF", " 12 ")
	zones := []*time.Location{time.UTC, time.FixedZone("far", 14*3600), time.FixedZone("west", -12*3600)}
	if paris, err := time.LoadLocation("Europe/Paris"); err == nil {
		zones = append(zones, paris)
	}
	now := time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rawQuery, lastEventID string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = rawQuery
		if lastEventID != "" {
			r.Header.Set("Last-Event-ID", lastEventID)
		}
		q := r.URL.Query()
		n, err := pageLimit(r)
		clientError(t, "limit", err)
		if err == nil && (n < 1 || n > maxPageSize) {
			t.Fatalf("limit %d accepted", n)
		}
		after, _, err := eventsAfter(r)
		clientError(t, "after", err)
		if after < 0 {
			t.Fatalf("after %d accepted", after)
		}
		for _, loc := range zones {
			from, to, err := metricsRange(q.Get("from"), q.Get("to"), now, loc)
			clientError(t, "metrics range", err)
			if err == nil && (!to.After(from) || to.Sub(from) > (maxMetricsDays+1)*24*time.Hour) {
				t.Fatalf("range [%s, %s) accepted", from, to)
			}
		}
		for _, region := range []string{"US", "GB", "FR", "ZZ", ""} {
			cq := contactQuery(strings.TrimSpace(q.Get("q")), region)
			for _, p := range cq.PhonePrefixes {
				if !strings.HasPrefix(p, "+") {
					t.Fatalf("phone prefix %q", p)
				}
			}
		}
	})
}

// FuzzMediaAndForwarded covers the webhook parameters read after the signature
// check (an MMS's media) and the proxy headers read before it, and request ids.
func FuzzMediaAndForwarded(f *testing.F) {
	f.Add("NumMedia=2&MediaUrl0=https%3A%2F%2Fx&MediaUrl1=y", "https, http", "a.example, b.example", "req-1")
	f.Add("NumMedia=-1", ",,,", "", "\n")
	f.Add("NumMedia=11&MediaUrl10=x", "", ", ", strings.Repeat("a", 65))
	f.Fuzz(func(t *testing.T, form, proto, host, requestIDValue string) {
		vals, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		media, err := parseMedia(vals)
		if err == nil && len(media) > maxMedia {
			t.Fatalf("%d media accepted", len(media))
		}
		s := &Server{PublicURL: hookPublicBase}
		r := httptest.NewRequest(http.MethodPost, hookPath, nil)
		r.Header.Set("X-Forwarded-Proto", proto)
		r.Header.Set("X-Forwarded-Host", host)
		urls := s.webhookURLs(r, WebhookOptions{TrustedProxy: true})
		if urls[0] != hookPublicBase+hookPath || len(urls) > 2 {
			t.Fatalf("webhook URLs %q", urls)
		}

		var logs bytes.Buffer
		srv := &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header["X-Request-Id"] = []string{requestIDValue}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !validRequestID(rec.Header().Get("X-Request-Id")) || strings.Count(logs.String(), "\n") != 1 {
			t.Fatalf("request id %q: status %d, id %q, log %q", requestIDValue, rec.Code, rec.Header().Get("X-Request-Id"), logs.String())
		}
	})
}
