package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

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

// listConversations: GET /v1/conversations?inbox=&team=&cursor=&limit=. Without inbox,
// every conversation of the caller's teams, newest first; with one, that inbox (see
// store.ListInbox for each one's contents and order).
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	user := userFrom(r)
	q := r.URL.Query()
	inbox := q.Get("inbox")
	if q.Has("inbox") && !slices.Contains(store.Inboxes, inbox) {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "inbox must be one of %s", strings.Join(store.Inboxes, ", ")))
		return
	}
	teams, err := s.viewTeams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	viewer := store.Viewer{UserID: user.ID, TeamIDs: teams, Admin: user.Role == store.RoleAdmin}
	var page store.ConversationPage
	if inbox == "" {
		page, err = s.Store.ListConversations(r.Context(), viewer, q.Get("cursor"), limit)
	} else {
		page, err = s.Store.ListInbox(r.Context(), store.InboxQuery{Inbox: inbox, Viewer: viewer, Cursor: q.Get("cursor"), Limit: limit})
	}
	if err == nil {
		err = s.withUnread(r, page.Conversations)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// pageLimit reads ?limit= (default defaultPageSize, at most maxPageSize).
func pageLimit(r *http.Request) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, conversation.Errorf(conversation.EInvalid, "limit must be a whole number from 1 to %d", maxPageSize)
	}
	return n, nil
}

// visibleConversation loads {id} if the caller may see it; otherwise 404, so the
// existence of other teams' conversations is not revealed.
func (s *Server) visibleConversation(r *http.Request) (store.Conversation, error) {
	return s.conversationFor(r, chi.URLParam(r, "id"))
}

// conversationFor loads conversation id if the caller may see it: a member of its
// (current) team on its visibility list, or an admin; otherwise 404.
func (s *Server) conversationFor(r *http.Request, id string) (store.Conversation, error) {
	c, err := s.Store.Conversation(r.Context(), id)
	if err != nil {
		return c, err
	}
	user := userFrom(r)
	member := user.Role == store.RoleAdmin || slices.Contains(user.TeamIDs, c.TeamID)
	if !member || !c.VisibleToUser(user) {
		return store.Conversation{}, conversation.Errorf(conversation.ENotFound, "conversation not found")
	}
	return c, nil
}

type conversationWithMessages struct {
	store.Conversation
	// Messages are the latest ones, oldest first; MessagesCursor (when there are older
	// ones) continues with GET .../messages?order=newest&cursor=.
	Messages       []store.Message `json:"messages"`
	MessagesCursor *string         `json:"messages_cursor"`
}

// getConversation: GET /v1/conversations/{id}?messages_limit= — the conversation and
// its latest messages (default 50, at most 200): a long conversation is read in pages,
// never all at once.
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	limit, err := intParam(r, "messages_limit", defaultPageSize, maxPageSize)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// ?messages=none: the conversation alone (a console pages the messages itself with
	// GET .../messages and re-reads the conversation on every event).
	var page store.MessagePage
	switch r.URL.Query().Get("messages") {
	case "", "latest":
		page, err = s.Store.MessagesPage(r.Context(), c.ID, store.MessagesNewestFirst, "", limit)
	case "none":
		page.Messages = []store.Message{}
	default:
		err = conversation.Errorf(conversation.EInvalid, "messages must be latest (the default) or none")
	}
	if err == nil {
		one := []store.Conversation{c}
		err = s.withUnread(r, one)
		c = one[0]
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	slices.Reverse(page.Messages)
	out := conversationWithMessages{Conversation: c, Messages: page.Messages}
	if page.NextCursor != "" {
		out.MessagesCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
}

// intParam reads a whole-number query parameter from 1 to max (def when absent).
func intParam(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, conversation.Errorf(conversation.EInvalid, "%s must be a whole number from 1 to %d", name, max)
	}
	return n, nil
}

// listMessages: GET /v1/conversations/{id}/messages?order=oldest|newest&cursor=&limit=
// — the conversation's messages a page at a time (oldest first by default; a console
// opening a long conversation asks for the newest first and scrolls back).
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("order")
	switch order {
	case "":
		order = store.MessagesOldestFirst
	case store.MessagesOldestFirst, store.MessagesNewestFirst:
	default:
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "order must be %s or %s", store.MessagesOldestFirst, store.MessagesNewestFirst))
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.Store.MessagesPage(r.Context(), c.ID, order, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

type bodyRequest struct {
	Body string `json:"body"`
}

// replyRequest is a reply: its text, or a template of the conversation's team and the
// values of the template's request variables.
type replyRequest struct {
	Body *string `json:"body"`
	messageTemplate
}

// postMessage: POST /v1/conversations/{id}/messages {"body": "..."} or {"template_id":
// "...", "variables": {...}}. A template is rendered here (the contact, the sending
// agent and the conversation's team fill its built-ins), so the stored and sent text is
// the rendered one. The workflow stores the message and sends it; the response is the
// stored (queued) message. With an Idempotency-Key header, a retried request names the
// same message and sends nothing new.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
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
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Said up front, rather than by a send that fails later in the background.
	contact, err := s.Store.ContactByID(r.Context(), c.ContactID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.requireReachableIn(r, contact, c); err != nil {
		writeError(w, r, err)
		return
	}
	body, err := s.conversationText(r, c, contact, req.messageTemplate, req.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.send(w, r, c, workflows.UpdateReply, body)
}

// conversationText is a reply's text: body, or the template rendered for conversation c.
func (s *Server) conversationText(r *http.Request, c store.Conversation, contact store.Contact, m messageTemplate, body *string) (string, error) {
	if m.TemplateID == nil {
		return *body, nil
	}
	team, err := s.Store.Team(r.Context(), c.TeamID)
	if err != nil {
		return "", err
	}
	return s.text(r.Context(), m, body, templateContext{team: team, agent: userFrom(r), contact: &contact})
}

// postNote: POST /v1/conversations/{id}/notes {"body": "..."} — internal, never sent.
func (s *Server) postNote(w http.ResponseWriter, r *http.Request) {
	var req bodyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := conversation.ValidateText(req.Body); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.visibleConversation(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.send(w, r, c, workflows.UpdateNote, req.Body)
}

// send runs a reply or note update on the conversation and answers the stored message.
func (s *Server) send(w http.ResponseWriter, r *http.Request, c store.Conversation, update, body string) {
	user := userFrom(r)
	messageID := requestID(r, user, c.ID+"/"+update)
	if update == workflows.UpdateReply {
		if err := s.checkSendOn(r.Context(), c); err != nil {
			writeError(w, r, err)
			return
		}
	}
	_, err := s.Dispatch.Act(r.Context(), c.ID, update, messageID, workflows.Action{
		Caller: caller(user), MessageID: messageID, Body: body,
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
	return idempotentID(user, scope, r.Header.Get("Idempotency-Key"))
}

// idempotentID is the id of what user creates in scope under an idempotency key: the
// same for every retry, a fresh random one without a key.
func idempotentID(user store.User, scope, key string) string {
	if key != "" {
		return uuid.NewSHA1(idempotencyNamespace, []byte(user.ID+"\x00"+scope+"\x00"+key)).String()
	}
	return uuid.NewString()
}

func caller(u store.User) conversation.Caller {
	return conversation.Caller{UserID: u.ID, Admin: u.Role == store.RoleAdmin}
}

// idempotencyNamespace scopes ids derived from Idempotency-Key headers.
var idempotencyNamespace = uuid.MustParse("9d3b7c41-52f6-4a0e-b8de-7f3e2a61c5d8")
