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
)

// logRequests logs one line per request and puts a request-scoped logger in the context.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		log := s.Log.With("request_id", middleware.GetReqID(r.Context()))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), loggerKey, log)))
		log.Info("http", "method", r.Method, "path", r.URL.Path, "status", ww.Status(), "took", time.Since(start))
	})
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

// authenticate resolves "Authorization: Bearer <token>" to a user.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk"`)
			writeError(w, r, conversation.Errorf(conversation.EUnauthorized, "send an API token as 'Authorization: Bearer <token>'"))
			return
		}
		user, err := s.Store.UserByToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if conversation.ErrorCode(err) == conversation.ENotFound {
				w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk", error="invalid_token"`)
				err = conversation.Errorf(conversation.EUnauthorized, "the API token is unknown or revoked")
			}
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, user)))
	})
}

func userFrom(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}
