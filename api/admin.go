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
	s.audit(r, auditTeamCreate, "team", team.ID, map[string]any{"name": name, "numbers": numbers})
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
		s.audit(r, auditNumberAdd, "team", team.ID, map[string]any{"number": number})
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
	s.audit(r, auditNumberRemove, "team", team.ID, map[string]any{"number": number})
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
	s.audit(r, auditMemberRemove, "user", chi.URLParam(r, "user_id"), map[string]any{"team_id": team.ID})
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
	ctx := audited(r, auditUserCreate, "user", "", map[string]any{"email": email, "name": name, "role": req.Role, "team_ids": teamIDs})
	user, secret, expires, err := s.Store.InviteUser(ctx, name, email, req.Role, teamIDs, setPasswordTTL)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, invitation{user, s.setPasswordURL(secret), expires})
}

// tokenRequest is the body of POST /v1/users/{id}/tokens and POST /v1/me/tokens.
type tokenRequest struct {
	Label     string     `json:"label"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// issueToken reads a tokenRequest and issues userID a token; the answer carries the
// secret, which is in this answer only (only its hash is stored).
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, userID string) {
	var req tokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	label := strings.TrimSpace(req.Label)
	if n := utf8.RuneCountInString(req.Label); n > maxTokenLabel {
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable, "label is %d characters; the limit is %d", n, maxTokenLabel))
		return
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(s.Now().Add(time.Minute)) {
		writeError(w, r, conversation.Errorf(conversation.EUnprocessable,
			"expires_at %s is not in the future; send a later time (RFC 3339), or leave it out for a token that lasts until revoked",
			req.ExpiresAt.Format(time.RFC3339)))
		return
	}
	ctx := audited(r, auditTokenCreate, "token", "", map[string]any{"user_id": userID, "label": label, "expires_at": req.ExpiresAt})
	tok, secret, err := s.Store.IssueToken(ctx, userID, label, req.ExpiresAt)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, issuedToken{tok, secret})
}

// issuedToken is a new token as listed, plus its secret.
type issuedToken struct {
	store.Token
	Secret string `json:"token"`
}

// createToken: POST /v1/users/{id}/tokens {"label"?, "expires_at"?} — admins issue a
// user an API token.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "issue API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	s.issueToken(w, r, chi.URLParam(r, "id"))
}

// listTokens: GET /v1/users/{id}/tokens — admins list a user's tokens, revoked ones
// included; never their secrets.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "list API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	s.writeTokens(w, r, chi.URLParam(r, "id"))
}

func (s *Server) writeTokens(w http.ResponseWriter, r *http.Request, userID string) {
	tokens, err := s.Store.Tokens(r.Context(), userID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
}

// revokeToken: DELETE /v1/users/{id}/tokens/{token_id} — admins revoke a token; it is
// refused (401) from the next request on, and event streams it opened close within
// seconds.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "revoke API tokens"); err != nil {
		writeError(w, r, err)
		return
	}
	s.revokeTokenOf(w, r, chi.URLParam(r, "id"), chi.URLParam(r, "token_id"))
}

func (s *Server) revokeTokenOf(w http.ResponseWriter, r *http.Request, userID, tokenID string) {
	ctx := audited(r, auditTokenRevoke, "token", tokenID, map[string]any{"user_id": userID})
	if err := s.Store.RevokeToken(ctx, userID, tokenID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listMyTokens: GET /v1/me/tokens — the caller's own API tokens (revoked and expired
// ones included, to see what was used when); never their secrets.
func (s *Server) listMyTokens(w http.ResponseWriter, r *http.Request) {
	s.writeTokens(w, r, userFrom(r).ID)
}

// createMyToken: POST /v1/me/tokens {"label"?, "expires_at"?} — any user issues
// themselves a token (for a script acting as them).
func (s *Server) createMyToken(w http.ResponseWriter, r *http.Request) {
	s.issueToken(w, r, userFrom(r).ID)
}

// deleteMyToken: DELETE /v1/me/tokens/{id} — revoke one of your own tokens (the one
// you call with included); another user's token is 404.
func (s *Server) deleteMyToken(w http.ResponseWriter, r *http.Request) {
	s.revokeTokenOf(w, r, userFrom(r).ID, chi.URLParam(r, "id"))
}
