package api

import (
	"net/http"

	"github.com/textdesk/textdesk/conversation"
)

// unarchive: POST /v1/conversations/{id}/unarchive — reopen a closed conversation so
// new messages join it, owned by the caller: one of its last assignees, or an admin
// (403 otherwise). Refused (409) while the contact has another open conversation in
// the team.
func (s *Server) unarchive(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if c.Status != string(conversation.StatusClosed) {
		writeError(w, r, conversation.Errorf(conversation.EConflict, "the conversation is %s, not archived", c.Status))
		return
	}
	// The run that could decide has finished: the same rule as archiving, on the
	// conversation's last assignees.
	cl, err := s.callerOn(r, c)
	var last []string
	if err == nil {
		last, err = s.Store.LastAssignees(r.Context(), c.ID)
	}
	if err == nil {
		err = conversation.RequireAssigneeOrAdmin(conversation.State{Assignees: last}, cl, "unarchive it")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	team, err := s.Store.Team(r.Context(), c.TeamID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Dispatch.Reopen(r.Context(), c, team, userFrom(r).ID); err != nil {
		writeError(w, r, err)
		return
	}
	after, err := s.Store.Conversation(r.Context(), c.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, after)
}
