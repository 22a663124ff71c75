package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	temporalclient "go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// listConversations: GET /v1/conversations?team=&cursor=&limit=
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r)
	q := r.URL.Query()
	teams := user.TeamIDs
	if t := q.Get("team"); t != "" {
		if !slices.Contains(user.TeamIDs, t) {
			writeError(w, r, conversation.Errorf(conversation.ENotFound, "team %s not found among your teams", t))
			return
		}
		teams = []string{t}
	}
	limit := defaultPageSize
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, r, conversation.Errorf(conversation.EInvalid, "limit must be a whole number from 1 to %d", maxPageSize))
			return
		}
		limit = n
	}
	page, err := s.Store.ListConversations(r.Context(), teams, q.Get("cursor"), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// visibleConversation loads {id} if the caller may see it; otherwise 404, so the
// existence of other teams' conversations is not revealed.
func (s *Server) visibleConversation(r *http.Request) (store.Conversation, error) {
	c, err := s.Store.Conversation(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return c, err
	}
	if !slices.Contains(userFrom(r).TeamIDs, c.TeamID) {
		return store.Conversation{}, conversation.Errorf(conversation.ENotFound, "conversation not found")
	}
	return c, nil
}

type conversationWithMessages struct {
	store.Conversation
	Messages []store.Message `json:"messages"`
}

// getConversation: GET /v1/conversations/{id}
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	msgs, err := s.Store.Messages(r.Context(), c.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, conversationWithMessages{Conversation: c, Messages: msgs})
}

type postMessageRequest struct {
	Body string `json:"body"`
}

// postMessage: POST /v1/conversations/{id}/messages {"body": "..."}. The workflow stores
// the message and sends it; the response is the stored (queued) message. With an
// Idempotency-Key header, a retried request names the same message and sends nothing new.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var req postMessageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := conversation.ValidateBody(req.Body); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if c.Status == string(conversation.StatusClosed) {
		writeError(w, r, conversation.Errorf(conversation.EConflict, "conversation is closed; it is read-only"))
		return
	}
	user := userFrom(r)
	messageID := uuid.NewString()
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		messageID = uuid.NewSHA1(idempotencyNamespace, []byte(user.ID+"\x00"+c.ID+"\x00"+key)).String()
	}
	handle, err := s.Temporal.UpdateWorkflow(r.Context(), temporalclient.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(c.ID),
		UpdateID:     messageID,
		UpdateName:   workflows.UpdateReply,
		WaitForStage: temporalclient.WorkflowUpdateStageCompleted,
		Args: []any{workflows.ReplyRequest{
			ConversationID: c.ID, MessageID: messageID, AuthorID: user.ID, Body: req.Body,
		}},
	})
	var result workflows.ReplyResult
	if err == nil {
		err = handle.Get(r.Context(), &result)
	}
	if err != nil {
		writeError(w, r, fromWorkflow(err))
		return
	}
	msg, err := s.Store.Message(r.Context(), result.MessageID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, msg)
}

// idempotencyNamespace scopes message ids derived from Idempotency-Key headers.
var idempotencyNamespace = uuid.MustParse("9d3b7c41-52f6-4a0e-b8de-7f3e2a61c5d8")
