package api

import (
	"context"
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
