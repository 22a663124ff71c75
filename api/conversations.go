package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

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

type bodyRequest struct {
	Body string `json:"body"`
}

// postMessage: POST /v1/conversations/{id}/messages {"body": "..."}. The workflow stores
// the message and sends it; the response is the stored (queued) message. With an
// Idempotency-Key header, a retried request names the same message and sends nothing new.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	s.postText(w, r, workflows.UpdateReply)
}

// postNote: POST /v1/conversations/{id}/notes {"body": "..."} — internal, never sent.
func (s *Server) postNote(w http.ResponseWriter, r *http.Request) {
	s.postText(w, r, workflows.UpdateNote)
}

func (s *Server) postText(w http.ResponseWriter, r *http.Request, update string) {
	var req bodyRequest
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
	user := userFrom(r)
	messageID := requestID(r, user, c.ID+"/"+update)
	_, err = s.Dispatch.Act(r.Context(), c.ID, update, messageID, workflows.Action{
		Caller: caller(user), MessageID: messageID, Body: req.Body,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	msg, err := s.Store.Message(r.Context(), messageID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, msg)
}

// requestID names the thing a request creates. With an Idempotency-Key it is derived
// from the key (and who sent it, and where), so a retried request names the same thing;
// it doubles as the Temporal update id, which makes the retry one action.
func requestID(r *http.Request, user store.User, scope string) string {
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		return uuid.NewSHA1(idempotencyNamespace, []byte(user.ID+"\x00"+scope+"\x00"+key)).String()
	}
	return uuid.NewString()
}

func caller(u store.User) conversation.Caller {
	return conversation.Caller{UserID: u.ID, Admin: u.Role == store.RoleAdmin}
}

// idempotencyNamespace scopes ids derived from Idempotency-Key headers.
var idempotencyNamespace = uuid.MustParse("9d3b7c41-52f6-4a0e-b8de-7f3e2a61c5d8")
