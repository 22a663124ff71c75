package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

// listScheduled: GET /v1/conversations/{id}/scheduled — pending scheduled messages.
func (s *Server) listScheduled(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	items, err := s.Store.PendingScheduled(r.Context(), c.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scheduled": items})
}

type scheduleRequest struct {
	TeamID string    `json:"team_id"`
	To     string    `json:"to"`
	Body   *string   `json:"body"`
	SendAt time.Time `json:"send_at"`
	// Or a template, rendered when the message is queued.
	messageTemplate
}

// postScheduled: POST /v1/scheduled-messages {"team_id", "to", "body", "send_at"} — queue
// a message for a contact of a team. It joins the contact's open conversation or starts
// one. With an Idempotency-Key, a retried request returns the same scheduled message.
func (s *Server) postScheduled(w http.ResponseWriter, r *http.Request) {
	var req scheduleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	if req.TeamID == "" || req.To == "" {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"team_id" and "to" are required`))
		return
	}
	if !slices.Contains(user.TeamIDs, req.TeamID) {
		writeError(w, r, conversation.Errorf(conversation.ENotFound, "team not found among your teams"))
		return
	}
	if err := req.check(req.Body); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Body != nil {
		if err := conversation.ValidateText(*req.Body); err != nil {
			writeError(w, r, err)
			return
		}
	}
	if req.SendAt.IsZero() {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"send_at" is required (RFC 3339, e.g. 2030-01-02T09:00:00Z)`))
		return
	}
	// Postgres keeps microseconds: a retry must compare equal to what was stored.
	req.SendAt = req.SendAt.UTC().Truncate(time.Microsecond)
	team, err := s.Store.Team(r.Context(), req.TeamID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	to, err := normalizePhone(req.To, team.DefaultRegion)
	if err != nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "to: %s", err))
		return
	}
	// The country now (nothing is stored for a refused one); the quota when it is sent.
	if err := checkDestination(team, to); err != nil {
		writeError(w, r, err)
		return
	}
	contact, err := s.Store.EnsureContact(r.Context(), to)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.requireReachable(r, contact, team.ID); err != nil {
		writeError(w, r, err)
		return
	}
	body, err := s.text(r.Context(), req.messageTemplate, req.Body, templateContext{team: team, agent: user, contact: &contact})
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The message would join the contact's open conversation: not one restricted to
	// others (the answer names the conversation).
	if open, found, err := s.Store.OpenConversationOf(r.Context(), team.ID, contact.ID); err != nil {
		writeError(w, r, err)
		return
	} else if found && !open.VisibleToUser(user) {
		writeError(w, r, conversation.Errorf(conversation.ENotFound, "the contact's open conversation is not visible to you"))
		return
	}
	id := requestID(r, user, "scheduled/"+req.TeamID)
	if prior, err := s.Store.Scheduled(r.Context(), id); err == nil {
		// A retry with the same Idempotency-Key: same request, same answer; a different
		// request under a used key is refused rather than silently answered with the old one.
		if prior.TeamID != team.ID || prior.ContactID != contact.ID || prior.Body != body || !prior.SendAt.Equal(req.SendAt) {
			writeError(w, r, conversation.Errorf(conversation.EConflict, "Idempotency-Key was already used for a different scheduled message"))
			return
		}
		writeJSON(w, http.StatusCreated, prior)
		return
	}
	if _, err := s.Dispatch.ScheduleForContact(r.Context(), team, contact, conversation.Scheduled{
		ID: id, Body: body, SendAt: req.SendAt.UTC(), AuthorID: user.ID,
	}); err != nil {
		writeError(w, r, err)
		return
	}
	sm, err := s.Store.Scheduled(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sm)
}

// deleteScheduled: DELETE /v1/scheduled-messages/{id} — cancel it, if not yet sent. It
// is an action on its conversation: the caller must see the conversation as it is now
// (its team after a transfer, not the team the message was scheduled in), and the
// workflow decides with the same caller as every other action.
func (s *Server) deleteScheduled(w http.ResponseWriter, r *http.Request) {
	notFound := conversation.Errorf(conversation.ENotFound, "scheduled message not found")
	sm, err := s.Store.Scheduled(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	if sm.ConversationID == nil {
		// Never reached a conversation: the team it was scheduled in decides.
		if user.Role != store.RoleAdmin && !slices.Contains(user.TeamIDs, sm.TeamID) {
			writeError(w, r, notFound)
			return
		}
		writeError(w, r, conversation.Errorf(conversation.EConflict, "the scheduled message is %s; only pending ones can be cancelled", sm.Status))
		return
	}
	c, err := s.conversationFor(r, *sm.ConversationID)
	if conversation.ErrorCode(err) == conversation.ENotFound {
		err = notFound
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	if sm.Status != "pending" {
		writeError(w, r, conversation.Errorf(conversation.EConflict, "the scheduled message is %s; only pending ones can be cancelled", sm.Status))
		return
	}
	cl, err := s.callerOn(r, c)
	if err != nil {
		writeError(w, r, err)
		return
	}
	_, err = s.Dispatch.Act(r.Context(), c.ID, workflows.UpdateCancelScheduled, "cancel-"+sm.ID, workflows.Action{
		Caller: cl, ScheduledID: sm.ID, Reason: "cancelled by " + user.Name,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
