package api

import (
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/phone"
	"github.com/textdesk/textdesk/store"
)

// Limits of admin texts, in characters.
const (
	maxUserName   = 100
	maxEmail      = 254
	maxTokenLabel = 100
)

// requireAdmin refuses (403) a caller who is not an admin, naming what they tried.
func requireAdmin(r *http.Request, what string) error {
	if userFrom(r).Role != store.RoleAdmin {
		return conversation.Errorf(conversation.EForbidden, "only an admin can %s", what)
	}
	return nil
}

// requiredText checks v is at most limit characters (422) and not blank (400), and
// trims it.
func requiredText(field, v string, limit int) (string, error) {
	if n := utf8.RuneCountInString(v); n > limit {
		return "", conversation.Errorf(conversation.EUnprocessable, "%s is %d characters; the limit is %d", field, n, limit)
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", conversation.Errorf(conversation.EInvalid, "%q is required and must not be blank", field)
	}
	return v, nil
}

// teamNumber normalises a number for a team to E.164 (national numbers are read in
// the default region), naming it when it is not valid.
func teamNumber(field, raw string) (string, error) {
	n, _, err := phone.Normalize(raw, phone.DefaultRegion)
	if err != nil {
		return "", conversation.Errorf(conversation.EInvalid, "%s: %v", field, err)
	}
	return n, nil
}

type createTeamRequest struct {
	Name    string   `json:"name"`
	Numbers []string `json:"numbers"`
}

// createTeam: POST /v1/teams {"name", "numbers"?} — admins create a team (with the
// default settings) and give it numbers; a number another team owns is 409.
func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create a team"); err != nil {
		writeError(w, r, err)
		return
	}
	var req createTeamRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name, err := requiredText("name", req.Name, maxTeamName)
	if err != nil {
		writeError(w, r, err)
		return
	}
	numbers := []string{}
	for i, raw := range req.Numbers {
		n, err := teamNumber("numbers["+strconv.Itoa(i)+"]", raw)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !slices.Contains(numbers, n) {
			numbers = append(numbers, n)
		}
	}
	team, err := s.Store.CreateTeam(r.Context(), name, true, "", numbers)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, team)
}

// adminTeam checks the caller is an admin and loads the team {id}.
func (s *Server) adminTeam(r *http.Request, what string) (store.Team, error) {
	if err := requireAdmin(r, what); err != nil {
		return store.Team{}, err
	}
	return s.Store.Team(r.Context(), chi.URLParam(r, "id"))
}

// addTeamNumber: POST /v1/teams/{id}/numbers {"number"} — admins give a team a number;
// the answer is the team afterwards.
func (s *Server) addTeamNumber(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's numbers")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Number string `json:"number"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	number, err := teamNumber("number", req.Number)
	if err == nil {
		err = s.Store.ClaimTeamNumber(r.Context(), team.ID, number)
	}
	if err == nil {
		team, err = s.Store.Team(r.Context(), team.ID)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, team)
}

// deleteTeamNumber: DELETE /v1/teams/{id}/numbers/{number} — admins take a number from
// a team (its conversations keep it as their team number until they close).
func (s *Server) deleteTeamNumber(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's numbers")
	if err != nil {
		writeError(w, r, err)
		return
	}
	number := pathParam(r, "number")
	if n, _, err := phone.Normalize(number, phone.DefaultRegion); err == nil {
		number = n
	}
	if err := s.Store.RemoveTeamNumber(r.Context(), team.ID, number); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteTeamMember: DELETE /v1/teams/{id}/members/{user_id} — admins take a user out
// of a team (not a member: 404).
func (s *Server) deleteTeamMember(w http.ResponseWriter, r *http.Request) {
	team, err := s.adminTeam(r, "change a team's members")
	if err == nil {
		err = s.Store.RemoveTeamMember(r.Context(), team.ID, chi.URLParam(r, "user_id"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type createUserRequest struct {
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Role    string   `json:"role"`
	TeamIDs []string `json:"team_ids"`
}

// createUser: POST /v1/users {"name", "email", "role", "team_ids"?} — admins create a
// user; an email in use is 409, an unknown team 400. The answer carries a one-time
// set-password link for the new user; tokens are issued separately.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create a user"); err != nil {
		writeError(w, r, err)
		return
	}
	var req createUserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name, err := requiredText("name", req.Name, maxUserName)
	if err != nil {
		writeError(w, r, err)
		return
	}
	email, err := requiredText("email", req.Email, maxEmail)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if a, perr := mail.ParseAddress(email); perr != nil || a.Address != email || a.Name != "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "email %q is not an email address (e.g. ada@example.com)", email))
		return
	}
	if req.Role != store.RoleAdmin && req.Role != store.RoleAgent {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `role must be "admin" or "agent"`))
		return
	}
	var teamIDs []string
	for _, id := range req.TeamIDs {
		if !slices.Contains(teamIDs, id) {
			teamIDs = append(teamIDs, id)
		}
	}
	user, secret, expires, err := s.Store.InviteUser(r.Context(), name, email, req.Role, teamIDs, setPasswordTTL)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, invitation{user, s.setPasswordURL(secret), expires})
}

// createToken: POST /v1/users/{id}/tokens {"label"?} — admins issue a user an API
// token. The secret is in this answer only: only its hash is stored.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "issue API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Label string `json:"label"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	label := strings.TrimSpace(req.Label)
	if n := utf8.RuneCountInString(req.Label); n > maxTokenLabel {
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable, "label is %d characters; the limit is %d", n, maxTokenLabel))
		return
	}
	tok, secret, err := s.Store.IssueToken(r.Context(), chi.URLParam(r, "id"), label)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, struct {
		ID        string    `json:"id"`
		Token     string    `json:"token"`
		Label     string    `json:"label"`
		CreatedAt time.Time `json:"created_at"`
	}{tok.ID, secret, tok.Label, tok.CreatedAt})
}

// listTokens: GET /v1/users/{id}/tokens — admins list a user's tokens, revoked ones
// included; never their secrets.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "list API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	tokens, err := s.Store.Tokens(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
}

// revokeToken: DELETE /v1/users/{id}/tokens/{token_id} — admins revoke a token; it is
// refused (401) from the next request on.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "revoke API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Store.RevokeToken(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "token_id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
