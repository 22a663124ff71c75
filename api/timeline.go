package api

import "net/http"

// maxConversationEvents bounds GET /v1/conversations/{id}/events: the newest ones are
// what a thread shows; a conversation rarely has more than a handful per agent.
const maxConversationEvents = 200

// listConversationEvents: GET /v1/conversations/{id}/events — the caller's own events
// about the conversation (the ones the stream sent them), oldest first, so the console
// can place transfers, conference joins, RONA and status changes in the thread after
// a reload.
func (s *Server) listConversationEvents(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	evs, err := s.Store.ConversationAgentEvents(r.Context(), userFrom(r).ID, c.ID, maxConversationEvents)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}
