package api

import (
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
)

type putChatRequest struct {
	On           *bool   `json:"on"`
	AutoResponse *string `json:"auto_response"`
}

// putChat: PUT /v1/teams/{id}/chat {"on": bool, "auto_response"?: "..."} — any member of
// the team may switch chat; the auto-response is sent to new conversations while off.
func (s *Server) putChat(w http.ResponseWriter, r *http.Request) {
	teamID := chi.URLParam(r, "id")
	if !slices.Contains(userFrom(r).TeamIDs, teamID) {
		writeError(w, r, conversation.Errorf(conversation.ENotFound, "team not found among your teams"))
		return
	}
	var req putChatRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.On == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"on" is required: true or false`))
		return
	}
	if req.AutoResponse != nil {
		if n := utf8.RuneCountInString(*req.AutoResponse); n > conversation.MaxBodyLength {
			writeError(w, r, conversation.Errorf(conversation.EUnprocessable,
				"auto_response is %d characters; the limit is %d", n, conversation.MaxBodyLength))
			return
		}
	}
	team, err := s.Store.SetChat(r.Context(), teamID, *req.On, req.AutoResponse)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if team.ChatOn {
		// Missed conversations are offered now that someone can take them.
		if err := s.Dispatch.Nudge(r.Context(), []string{team.ID}, 500); err != nil {
			loggerFrom(r).Warn("missed conversations not nudged", "error", err)
		}
	}
	writeJSON(w, http.StatusOK, team)
}
