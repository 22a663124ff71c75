package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/internal/password"
	"github.com/textdesk/textdesk/store"
)

var errWrongLogin = conversation.Errorf(conversation.EUnauthorized, "wrong email or password")

// createSession: POST /v1/sessions {"email", "password"} — signs in: sets the session
// cookie and answers as GET /v1/me, with the CSRF token. Wrong email or password is
// one 401 whichever it was, and takes as long either way.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	// Login CSRF: another site must not sign a browser into an account of its choosing.
	if err := s.checkOrigin(r); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	email := strings.TrimSpace(req.Email)
	if email == "" || req.Password == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"email" and "password" are required`))
		return
	}
	// No such account can exist (and Postgres text cannot hold NUL): wrong, at once.
	if len(email) > maxEmail || len(req.Password) > password.MaxLength*4 || strings.ContainsRune(email, 0) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk"`)
		writeError(w, r, errWrongLogin)
		return
	}
	if s.throttled(w, r, accountKey(email), addressKey(s.clientAddr(r))) {
		return
	}
	login, err := s.Store.LoginByEmail(r.Context(), email)
	if err != nil && conversation.ErrorCode(err) != conversation.ENotFound {
		writeError(w, r, err)
		return
	}
	// Unknown email or no password yet: hashed against a dummy, so it takes as long.
	if !password.VerifyOrDummy(req.Password, login.PasswordHash) {
		s.failed(r, email)
		w.Header().Set("WWW-Authenticate", `Bearer realm="textdesk"`)
		writeError(w, r, errWrongLogin)
		return
	}
	if login.Disabled {
		// The password was right, so saying so reveals nothing to a guesser.
		unauthorized(w, r, "your account is disabled; ask an admin")
		return
	}
	if err := s.Store.Succeeded(r.Context(), accountKey(email)); err != nil {
		loggerFrom(r).Warn("sign-in failures not forgotten", "error", err)
	}
	ses, secret, err := s.Store.CreateSession(r.Context(), login.ID, r.UserAgent(), s.sessionLifetime())
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.setCookie(w, secret, ses.ExpiresAt)
	s.writeMe(w, r, login.User, &ses)
}

// deleteCurrentSession: DELETE /v1/sessions/current — signs out: ends the cookie's
// session and clears the cookie. With an API token there is no session: nothing ends
// (revoke tokens with DELETE /v1/users/{id}/tokens/{token_id}).
func (s *Server) deleteCurrentSession(w http.ResponseWriter, r *http.Request) {
	if ses := credentialFrom(r).session; ses != nil {
		if err := s.Store.DeleteSession(r.Context(), ses.UserID, ses.ID); err != nil && conversation.ErrorCode(err) != conversation.ENotFound {
			writeError(w, r, err)
			return
		}
		s.clearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
}

type sessionView struct {
	store.Session
	Current bool `json:"current"`
}

// listMySessions: GET /v1/me/sessions — the caller's live sessions.
func (s *Server) listMySessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.Sessions(r.Context(), userFrom(r).ID, s.sessionIdle())
	if err != nil {
		writeError(w, r, err)
		return
	}
	cur := credentialFrom(r).session
	out := make([]sessionView, len(list))
	for i, ses := range list {
		out[i] = sessionView{ses, cur != nil && cur.ID == ses.ID}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// deleteMySession: DELETE /v1/me/sessions/{id} — ends one of the caller's sessions
// (another user's is 404); its event streams close within seconds.
func (s *Server) deleteMySession(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteSession(r.Context(), userFrom(r).ID, chi.URLParam(r, "id")); err != nil {
		writeError(w, r, err)
		return
	}
	if cur := credentialFrom(r).session; cur != nil && cur.ID == chi.URLParam(r, "id") {
		s.clearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
}

// putMyPassword: PUT /v1/me/password {"current_password", "new_password"} — changes
// the caller's password; their other sessions end (the current one stays). A wrong
// current password is 403 and counts as a failed sign-in.
func (s *Server) putMyPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	if s.throttled(w, r, accountKey(user.Email), addressKey(s.clientAddr(r))) {
		return
	}
	hash, err := s.Store.PasswordHash(r.Context(), user.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if hash == "" {
		writeError(w, r, conversation.Errorf(conversation.EForbidden, "you have no password yet; set one with the set-password link an admin gives you"))
		return
	}
	if !password.VerifyOrDummy(req.Current, hash) {
		s.failed(r, user.Email)
		writeError(w, r, conversation.Errorf(conversation.EForbidden, "current_password is not your current password"))
		return
	}
	if why := password.Weak(req.New, user.Email); why != "" {
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable, "new_password: %s", why))
		return
	}
	keep := ""
	if ses := credentialFrom(r).session; ses != nil {
		keep = ses.ID
	}
	if err := s.Store.SetPassword(r.Context(), user.ID, password.Hash(req.New), keep); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
