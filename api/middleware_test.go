package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A client's X-Request-Id reaches the log only when it is short and plain; anything
// else (newlines that forge log lines, escape sequences, kilobytes) is replaced by a
// fresh id, which the answer carries back.
func TestRequestIDValidatedBeforeLogging(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	h := s.Handler()
	for _, c := range []struct {
		name, id string
		kept     bool
	}{
		{"plain", "req-42.a_b:c", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"forged log line", "x\nlevel=ERROR msg=\"admin signed in\"", false},
		{"terminal escape", "\x1b[31mred", false},
		{"space", "a b", false},
		{"not ASCII", "ид", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.Header.Set("X-Request-Id", c.id)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if c.kept != (got == c.id) {
				t.Errorf("answer's X-Request-Id %q; want the client's kept = %v", got, c.kept)
			}
			if !validRequestID(got) {
				t.Errorf("answer's X-Request-Id %q is not a valid id", got)
			}
			if line := logs.String(); !strings.Contains(line, "request_id="+got+" ") || strings.Count(line, "\n") != 1 {
				t.Errorf("log %q; want one line with request_id=%s", line, got)
			}
		})
	}
}
