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
	sm, _, err := s.scheduleOne(r, req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sm)
}

// scheduleOne checks and queues one scheduled message for the caller: the single
// endpoint and every item of a batch go through it, so both follow the same rules and
// answer with the same messages. key is the caller's idempotency key ("" for none):
// the message id is derived from it, so a retry finds the message stored the first
// time (existed is then true) and queues nothing new.
func (s *Server) scheduleOne(r *http.Request, req scheduleRequest, key string) (sm store.ScheduledMessage, existed bool, err error) {
	ctx := r.Context()
	user := userFrom(r)
	if req.TeamID == "" || req.To == "" {
		return sm, false, conversation.Errorf(conversation.EInvalid, `"team_id" and "to" are required`)
	}
	if !slices.Contains(user.TeamIDs, req.TeamID) {
		return sm, false, conversation.Errorf(conversation.ENotFound, "team not found among your teams")
	}
	if err := req.check(req.Body); err != nil {
		return sm, false, err
	}
	if req.Body != nil {
		if err := conversation.ValidateText(*req.Body); err != nil {
			return sm, false, err
		}
	}
	if req.SendAt.IsZero() {
		return sm, false, conversation.Errorf(conversation.EInvalid, `"send_at" is required (RFC 3339, e.g. 2030-01-02T09:00:00Z)`)
	}
	// Postgres keeps microseconds: a retry must compare equal to what was stored.
	req.SendAt = req.SendAt.UTC().Truncate(time.Microsecond)
	team, err := s.Store.Team(ctx, req.TeamID)
	if err != nil {
		return sm, false, err
	}
	to, err := normalizePhone(req.To, team.DefaultRegion)
	if err != nil {
		return sm, false, conversation.Errorf(conversation.EInvalid, "to: %s", err)
	}
	// The country now (nothing is stored for a refused one); the quota when it is sent.
	if err := checkDestination(team, to); err != nil {
		return sm, false, err
	}
	contact, err := s.Store.EnsureContact(ctx, to)
	if err != nil {
		return sm, false, err
	}
	if err := s.requireReachable(r, contact, team.ID); err != nil {
		return sm, false, err
	}
	body, err := s.text(ctx, req.messageTemplate, req.Body, templateContext{team: team, agent: user, contact: &contact})
	if err != nil {
		return sm, false, err
	}
	// The message would join the contact's open conversation: not one restricted to
	// others (the answer names the conversation).
	if open, found, err := s.Store.OpenConversationOf(ctx, team.ID, contact.ID); err != nil {
		return sm, false, err
	} else if found && !open.VisibleToUser(user) {
		return sm, false, conversation.Errorf(conversation.ENotFound, "the contact's open conversation is not visible to you")
	}
	id := idempotentID(user, "scheduled/"+req.TeamID, key)
	if prior, err := s.Store.Scheduled(ctx, id); err == nil {
		// A retry with the same key: same request, same answer; a different request
		// under a used key is refused rather than silently answered with the old one.
		if prior.TeamID != team.ID || prior.ContactID != contact.ID || prior.Body != body || !prior.SendAt.Equal(req.SendAt) {
			return sm, false, conversation.Errorf(conversation.EConflict, "Idempotency-Key was already used for a different scheduled message")
		}
		return prior, true, nil
	}
	if _, err := s.Dispatch.ScheduleForContact(ctx, team, contact, conversation.Scheduled{
		ID: id, Body: body, SendAt: req.SendAt.UTC(), AuthorID: user.ID,
	}); err != nil {
		return sm, false, err
	}
	sm, err = s.Store.Scheduled(ctx, id)
	return sm, false, err
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
