package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	userKey
	credentialKey
)

// maxRequestID bounds a client's X-Request-Id.
const maxRequestID = 64

// requestIDs gives every request an id for its log lines: the client's X-Request-Id
// when it is 1 to 64 characters of letters, digits and . _ : - (so a client cannot
// write newlines, escape sequences or kilobytes into the log), else a fresh one. The
// answer carries it back in X-Request-Id.
func requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(middleware.RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(middleware.RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middleware.RequestIDKey, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID is 96 random bits, hex.
func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// logRequests logs one line per request and puts a request-scoped logger in the context.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.Log.With("request_id", middleware.GetReqID(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), loggerKey, log)))
		log.Info("http", "method", r.Method, "path", redactPath(r.URL.Path), "status", ww.Status(), "took", time.Since(start))
	})
}

// redactPath hides the secret of a set-password link (/v1/password-resets/{token}):
// paths are logged, and a logged secret is one more place it can leak from.
func redactPath(p string) string {
	const prefix = "/v1/password-resets/"
	if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
		return prefix + "[redacted]"
	}
	return p
}

// recoverPanics turns a handler panic into a logged 500 instead of a dead connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				loggerFrom(r).Error("panic in handler", "panic", v)
				writeError(w, r, conversation.Errorf(conversation.EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func loggerFrom(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func userFrom(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}
