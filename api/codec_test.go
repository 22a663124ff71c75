package api

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// The codec endpoint's CORS, without a database: Temporal Web's origin is answered with
// itself and credentials, the console's own origin is no stranger, any other origin is
// refused, and a call without a credential is 401 that Temporal Web can read.
func TestCodecCORS(t *testing.T) {
	const web = "http://127.0.0.1:8233"
	h := (&Server{Log: slog.New(slog.DiscardHandler), PublicURL: "http://127.0.0.1:8080", TemporalWebOrigins: []string{web}}).Handler()
	call := func(method, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://127.0.0.1:8080/codec/decode", strings.NewReader(`{"payloads":[]}`))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		method, origin string
		status         int
		allowOrigin    string
	}{
		{"OPTIONS", web, 204, web},
		{"OPTIONS", "HTTP://127.0.0.1:8233", 204, "HTTP://127.0.0.1:8233"}, // origins compare case-insensitively
		{"OPTIONS", "http://127.0.0.1:8080", 204, ""},
		{"OPTIONS", "", 204, ""},
		{"OPTIONS", "http://127.0.0.1:8234", 403, ""},
		{"OPTIONS", "null", 403, ""},
		{"POST", web, 401, web},
		{"POST", "http://evil.example", 401, ""},
	} {
		rec := call(c.method, c.origin)
		if rec.Code != c.status || rec.Header().Get("Access-Control-Allow-Origin") != c.allowOrigin {
			t.Errorf("%s from %q: %d, Access-Control-Allow-Origin %q; want %d, %q", c.method, c.origin, rec.Code,
				rec.Header().Get("Access-Control-Allow-Origin"), c.status, c.allowOrigin)
		}
		if c.allowOrigin != "" && rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("%s from %q: no Access-Control-Allow-Credentials", c.method, c.origin)
		}
		if !strings.Contains(rec.Header().Get("Vary"), "Origin") {
			t.Errorf("%s from %q: the answer depends on Origin but does not say so (Vary)", c.method, c.origin)
		}
	}
	rec := call("OPTIONS", web)
	for _, hdr := range []string{"authorization", "content-type", "x-namespace"} {
		if !strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), hdr) {
			t.Errorf("preflight allows headers %q; Temporal Web sends %s", rec.Header().Get("Access-Control-Allow-Headers"), hdr)
		}
	}
}
