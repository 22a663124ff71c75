package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// parseFunc fills an Action from the request body and checks what only the database
// can tell (team membership, the team's wrap-up reasons) before the workflow is asked.
type parseFunc func(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error

// act builds the handler of a conversation action: the caller must see the
// conversation; the workflow decides whether the action is allowed now (its validator
// answers before anything is written) and the response is the conversation after it.
func (s *Server) act(update string, parse parseFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.visibleConversation(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		user := userFrom(r)
		cl, err := s.callerOn(r, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		a := workflows.Action{Caller: cl}
		if err := parse(w, r, c, &a); err != nil {
			writeError(w, r, err)
			return
		}
		if update == workflows.UpdateDelete && c.Status == string(conversation.StatusClosed) {
			// A closed conversation's workflow has finished; only its row remains.
			if err := s.Store.MarkDeleted(r.Context(), c.ID); err != nil {
				writeError(w, r, err)
				return
			}
			s.audit(r, auditConversationDel, "conversation", c.ID, map[string]any{"team_id": c.TeamID, "status": c.Status})
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if _, err := s.Dispatch.Act(r.Context(), c.ID, update, requestID(r, user, c.ID+"/"+update), a); err != nil {
			writeError(w, r, err)
			return
		}
		if update == workflows.UpdateDelete {
			s.audit(r, auditConversationDel, "conversation", c.ID, map[string]any{"team_id": c.TeamID, "status": c.Status})
			w.WriteHeader(http.StatusNoContent)
			return
		}
		after, err := s.Store.Conversation(r.Context(), c.ID)
		if err == nil {
			one := []store.Conversation{after}
			err = s.withUnread(r, one)
			after = one[0]
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, after)
	}
}

func noBody(http.ResponseWriter, *http.Request, store.Conversation, *workflows.Action) error {
	return nil
}

func adminOnly(_ http.ResponseWriter, r *http.Request, _ store.Conversation, _ *workflows.Action) error {
	if userFrom(r).Role != store.RoleAdmin {
		return conversation.Errorf(conversation.EForbidden, "only an admin can delete a conversation")
	}
	return nil
}

// requireMembers checks every user belongs to teamID, so assignees are always users
// who may see the conversation.
func (s *Server) requireMembers(r *http.Request, teamID string, userIDs []string) error {
	members, err := s.Store.TeamMemberIDs(r.Context(), teamID)
	if err != nil {
		return err
	}
	for _, u := range userIDs {
		if !slices.Contains(members, u) {
			return conversation.Errorf(conversation.EInvalid, "user %s is not a member of the conversation's team", u)
		}
	}
	return nil
}

func (s *Server) parseAssign(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error {
	var req struct {
		UserIDs []string `json:"user_ids"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.UserIDs) == 0 {
		return conversation.Errorf(conversation.EInvalid, `"user_ids" must list at least one user`)
	}
	a.UserIDs = req.UserIDs
	return s.requireMembers(r, c.TeamID, req.UserIDs)
}

// parseVisibility reads {"user_ids": [...]}: the only team members (besides admins)
// who will see the conversation; an empty list makes it visible to the whole team.
func (s *Server) parseVisibility(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error {
	var req struct {
		UserIDs *[]string `json:"user_ids"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.UserIDs == nil {
		return conversation.Errorf(conversation.EInvalid, `"user_ids" is required: the users who may see the conversation, or [] for the whole team`)
	}
	a.UserIDs = *req.UserIDs
	return s.requireMembers(r, c.TeamID, a.UserIDs)
}

func (s *Server) parseTransfer(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error {
	var req struct {
		UserID string `json:"user_id"`
		TeamID string `json:"team_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if (req.UserID == "") == (req.TeamID == "") {
		return conversation.Errorf(conversation.EInvalid, `give exactly one of "user_id" or "team_id"`)
	}
	a.UserID, a.TeamID = req.UserID, req.TeamID
	if req.TeamID != "" {
		if _, err := s.Store.Team(r.Context(), req.TeamID); err != nil {
			return conversation.Errorf(conversation.EInvalid, "team %s does not exist", req.TeamID)
		}
		return nil
	}
	return s.requireMembers(r, c.TeamID, []string{req.UserID})
}

func (s *Server) parseConference(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error {
	var req struct {
		UserID string `json:"user_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.UserID == "" {
		return conversation.Errorf(conversation.EInvalid, `"user_id" is required`)
	}
	a.UserID = req.UserID
	return s.requireMembers(r, c.TeamID, []string{req.UserID})
}

func parseLeave(_ http.ResponseWriter, r *http.Request, _ store.Conversation, a *workflows.Action) error {
	a.UserID = chi.URLParam(r, "user_id")
	return nil
}

func (s *Server) parseWrapUp(w http.ResponseWriter, r *http.Request, c store.Conversation, a *workflows.Action) error {
	var req struct {
		Reason         string `json:"reason"`
		ClosingMessage string `json:"closing_message"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	team, err := s.Store.Team(r.Context(), c.TeamID)
	if err != nil {
		return err
	}
	allowed := append(slices.Clone(team.WrapUpReasons), team.DefaultWrapUpReason)
	if !slices.Contains(allowed, req.Reason) {
		return conversation.Errorf(conversation.EInvalid, "reason must be one of the team's wrap-up reasons: %s", strings.Join(allowed, ", "))
	}
	if req.ClosingMessage != "" {
		if err := conversation.ValidateText(req.ClosingMessage); err != nil {
			return err
		}
		if err := s.checkSendOn(r.Context(), c); err != nil {
			return err
		}
		a.MessageID = requestID(r, userFrom(r), c.ID+"/closing")
		a.Body = req.ClosingMessage
	}
	a.Reason = req.Reason
	return nil
}
