package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/internal/password"
	"github.com/textdesk/textdesk/store"
)

// setPasswordTTL is how long an invitation or reset link may be used.
const setPasswordTTL = 72 * time.Hour

// setPasswordURL is the console's page for a set-password secret.
func (s *Server) setPasswordURL(secret string) string {
	return s.PublicURL + "/set-password?token=" + secret
}

// listUsers: GET /v1/users — admins list every user.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "list users"); err != nil {
		writeError(w, r, err)
		return
	}
	users, err := s.Store.Accounts(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

// patchUser: PATCH /v1/users/{id} {"disabled"} — admins disable a user (every request
// of theirs is refused from then on, their sessions end and their event streams close)
// or enable them again. Admins cannot disable themselves: someone must stay in.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "disable or enable users"); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Disabled optional[bool] `json:"disabled"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	disabled, err := req.Disabled.ptr("disabled")
	if err == nil && disabled == nil {
		err = conversation.Errorf(conversation.EInvalid, `send {"disabled": true} or {"disabled": false}`)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if *disabled && id == userFrom(r).ID {
		writeError(w, r, conversation.Errorf(conversation.EConflict, "you cannot disable yourself; ask another admin"))
		return
	}
	action := auditUserEnable
	if *disabled {
		action = auditUserDisable
	}
	account, err := s.Store.SetDisabled(audited(r, action, "user", id, nil), id, *disabled)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, account)
}

// deleteUserSessions: DELETE /v1/users/{id}/sessions — admins end every session and
// revoke every API token of a user.
func (s *Server) deleteUserSessions(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "end users' sessions"); err != nil {
		writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if err := s.Store.RevokeAllCredentials(audited(r, auditUserRevokeAll, "user", id, nil), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createPasswordReset: POST /v1/users/{id}/password-reset — admins issue a one-time
// set-password link for a user (the password stays as it is until the link is used).
func (s *Server) createPasswordReset(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "issue set-password links"); err != nil {
		writeError(w, r, err)
		return
	}
	secret, expires, err := s.Store.CreatePasswordReset(r.Context(), chi.URLParam(r, "id"), setPasswordTTL)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditUserPasswordReset, "user", chi.URLParam(r, "id"), map[string]any{"expires_at": expires})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"set_password_url": s.setPasswordURL(secret), "expires_at": expires})
}

// getPasswordReset: GET /v1/password-resets/{token} — whom a set-password link is for
// (no sign-in needed: the secret is the proof); used, expired or unknown is 404.
func (s *Server) getPasswordReset(w http.ResponseWriter, r *http.Request) {
	user, expires, err := s.Store.PasswordReset(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"email": user.Email, "name": user.Name, "expires_at": expires})
}

// postPasswordReset: POST /v1/password-resets/{token} {"password"} — sets the password
// with a set-password link, once; the user's sessions end. A weak password is 422
// saying why (the link stays usable).
func (s *Server) postPasswordReset(w http.ResponseWriter, r *http.Request) {
	if err := s.checkOrigin(r); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	secret := chi.URLParam(r, "token")
	user, _, err := s.Store.PasswordReset(r.Context(), secret)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if why := password.Weak(req.Password, user.Email); why != "" {
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable, "password: %s", why))
		return
	}
	if _, err := s.Store.UsePasswordReset(r.Context(), secret, password.Hash(req.Password)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invitation is POST /v1/users's answer: the user and their set-password link.
type invitation struct {
	store.User
	SetPasswordURL       string    `json:"set_password_url"`
	SetPasswordExpiresAt time.Time `json:"set_password_expires_at"`
}
