package api

import (
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// viewTeams are the teams whose conversations the caller sees: their own, and every
// team for an admin (admins are global). ?team= narrows it to one of them (another is
// 404, so other teams' existence is not revealed).
func (s *Server) viewTeams(r *http.Request) ([]string, error) {
	user := userFrom(r)
	teams := user.TeamIDs
	if user.Role == store.RoleAdmin {
		all, err := s.Store.AllTeamIDs(r.Context())
		if err != nil {
			return nil, err
		}
		teams = all
	}
	if t := r.URL.Query().Get("team"); t != "" {
		if !slices.Contains(teams, t) {
			return nil, conversation.Errorf(conversation.ENotFound, "team %s not found among your teams", t)
		}
		teams = []string{t}
	}
	return teams, nil
}

// listTeamMembers: GET /v1/teams/{id}/members — the team's people with role, presence
// and load: what a transfer picker and a supervisor's board show. Members and admins.
func (s *Server) listTeamMembers(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	members, err := s.Store.TeamMembers(r.Context(), team.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": members})
}

// getInboxCounts: GET /v1/me/inbox-counts — per team the caller sees, how many
// conversations each inbox lists for them, and how many of theirs have unread
// customer messages.
func (s *Server) getInboxCounts(w http.ResponseWriter, r *http.Request) {
	teams, err := s.viewTeams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	counts, err := s.Store.InboxCounts(r.Context(), store.Viewer{UserID: user.ID, TeamIDs: teams, Admin: user.Role == store.RoleAdmin})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": counts})
}

// getPreferences: GET /v1/me/preferences — the caller's alert preferences.
func (s *Server) getPreferences(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.GetPreferences(r.Context(), userFrom(r).ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// putPreferences: PUT /v1/me/preferences — sets the preferences given (the others stay
// as they are) and answers all of them. They apply to events written from then on.
func (s *Server) putPreferences(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MissedConversationAlerts *bool `json:"missed_conversation_alerts"`
		YourConversationAlerts   *bool `json:"your_conversation_alerts"`
		NewConversationAlerts    *bool `json:"new_conversation_alerts"`
		Sound                    *bool `json:"sound"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	patch := store.PreferencesPatch(req)
	if patch == (store.PreferencesPatch{}) {
		writeError(w, r, conversation.Errorf(conversation.EInvalid,
			"send at least one of missed_conversation_alerts, your_conversation_alerts, new_conversation_alerts, sound (true or false)"))
		return
	}
	p, err := s.Store.SetPreferences(r.Context(), userFrom(r).ID, patch)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// markRead: POST /v1/conversations/{id}/read {"message_id"} — the caller has read the
// conversation up to that message. The position only moves forward.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MessageID string `json:"message_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.MessageID == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"message_id" is required: the newest message the user has seen`))
		return
	}
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Store.MarkRead(r.Context(), userFrom(r).ID, c.ID, req.MessageID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withUnread sets the caller's unread count on each conversation.
func (s *Server) withUnread(r *http.Request, convs []store.Conversation) error {
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	unread, err := s.Store.Unread(r.Context(), userFrom(r).ID, ids)
	if err != nil {
		return err
	}
	for i := range convs {
		n := unread[convs[i].ID]
		convs[i].Unread = &n
	}
	return nil
}

// callerOn is the caller acting on a conversation: a supervisor of its team may assign
// it to anyone (the workflow decides with it).
func (s *Server) callerOn(r *http.Request, c store.Conversation) (conversation.Caller, error) {
	cl := caller(userFrom(r))
	if cl.Admin {
		return cl, nil
	}
	sup, err := s.supervises(r, c.TeamID)
	cl.Supervisor = sup
	if sup {
		cl.TeamID = c.TeamID // signed with the caller: the workflow checks it is still its team
	}
	return cl, err
}

// putTeamMember: PUT /v1/teams/{id}/members/{user_id} {"role"?} — admins put a user in
// a team, as an agent unless role says "supervisor"; for a member, a role changes
// theirs and no body leaves it.
func (s *Server) putTeamMember(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "change a team's members"); err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Role string `json:"role"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		if req.Role != store.TeamRoleAgent && req.Role != store.TeamRoleSupervisor {
			writeError(w, r, conversation.Errorf(conversation.EInvalid, `role must be "agent" or "supervisor"`))
			return
		}
	}
	team, err := s.Store.Team(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	user, err := s.Store.UserByID(r.Context(), chi.URLParam(r, "user_id"))
	if err == nil {
		err = s.Store.PutTeamMember(r.Context(), team.ID, user.ID, req.Role)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditMemberPut, "user", user.ID, map[string]any{"team_id": team.ID, "role": req.Role})
	w.WriteHeader(http.StatusNoContent)
}
