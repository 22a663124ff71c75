package api

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Limits of a handoff's texts, in characters.
const (
	maxChatRef     = 200
	maxTranscript  = 50_000
	handoffIDScope = "handoff"
)

type handoffRequest struct {
	TeamID     string `json:"team_id"`
	Phone      string `json:"phone"`
	Consent    *bool  `json:"consent"`
	Name       string `json:"name"`
	ChatRef    string `json:"chat_ref"`
	Transcript string `json:"transcript"`
}

type handoffResponse struct {
	store.Handoff
	Contact store.Contact `json:"contact"`
}

// postHandoff: POST /v1/chat-handoffs {"team_id", "phone", "consent": true, "name",
// "chat_ref", "transcript"?} — a web chat moves to text. The customer's number must be
// a (possibly) mobile one and they must have agreed to texts; the contact is created if
// missing and the handoff joins its history. The text conversation starts with the
// agent's first message (POST /v1/messages). With an Idempotency-Key, a retry answers
// the same handoff (200).
func (s *Server) postHandoff(w http.ResponseWriter, r *http.Request) {
	var req handoffRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	user := userFrom(r)
	if err := req.validate(user); err != nil {
		writeError(w, r, err)
		return
	}
	team, err := s.Store.Team(r.Context(), req.TeamID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	e164, err := textableNumber("phone", req.Phone, team.DefaultRegion)
	if err != nil {
		writeError(w, r, err)
		return
	}
	n := store.NewHandoff{
		ID: requestID(r, user, handoffIDScope), TeamID: team.ID, Phone: e164, Name: req.Name, ChatRef: req.ChatRef,
		Transcript: req.Transcript, ConsentBy: user.ID, At: s.Now().UTC(),
	}
	n.Hash = handoffHash(n)
	h, c, created, err := s.Store.CreateHandoff(r.Context(), n)
	if err != nil {
		writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	if c, err = s.handoffContact(r, c.ID, user); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, handoffResponse{Handoff: h, Contact: c})
}

// handoffContact is the contact as a handoff answers it: anyone may hand off any
// number, so the answer holds only what the caller's teams may know (issue 13): their
// teams' settings, and the name and ref only if no other team shares them (the caller
// may change them then, see requireAllTeams).
func (s *Server) handoffContact(r *http.Request, contactID string, user store.User) (store.Contact, error) {
	c, err := s.contactFor(r, contactID)
	if err != nil || user.Role == store.RoleAdmin {
		return c, err
	}
	outside, err := s.Store.TeamsOutside(r.Context(), contactID, user.TeamIDs)
	if err != nil {
		return c, err
	}
	if len(outside) > 0 {
		c.Name, c.Ref = "", ""
	}
	return c, nil
}

// validate checks the request's fields (trimming name and chat_ref), explaining the
// first problem; the phone is checked once the team's region is known.
func (req *handoffRequest) validate(user store.User) error {
	req.Name, req.ChatRef = strings.TrimSpace(req.Name), strings.TrimSpace(req.ChatRef)
	switch {
	case req.TeamID == "" || strings.TrimSpace(req.Phone) == "" || req.Name == "" || req.ChatRef == "" || req.Consent == nil:
		return conversation.Errorf(conversation.EInvalid, `"team_id", "phone", "consent", "name" and "chat_ref" are required`)
	case !slices.Contains(user.TeamIDs, req.TeamID):
		return conversation.Errorf(conversation.ENotFound, "team not found among your teams")
	case !*req.Consent:
		return conversation.Errorf(conversation.EUnprocessable,
			"consent must be true: the customer must agree in the chat to receive texts before the handoff")
	}
	for _, f := range []struct {
		field string
		value string
		limit int
	}{{"name", req.Name, maxContactName}, {"chat_ref", req.ChatRef, maxChatRef}, {"transcript", req.Transcript, maxTranscript}} {
		if n := utf8.RuneCountInString(f.value); n > f.limit {
			return conversation.Errorf(conversation.EUnprocessable, "%s is %d characters; the limit is %d", f.field, n, f.limit)
		}
		if err := storableText(f.field, f.value); err != nil {
			return err
		}
	}
	return nil
}

// storableText refuses a NUL character, which Postgres text cannot hold (it would be
// a 500 at the insert).
func storableText(field, v string) error {
	if strings.ContainsRune(v, 0) {
		return conversation.Errorf(conversation.EInvalid, "%s must not contain NUL characters", field)
	}
	return nil
}

// handoffHash identifies a handoff request's content, so that a retry under the same
// Idempotency-Key is told from a different request.
func handoffHash(n store.NewHandoff) []byte {
	h := sha256.New()
	for _, f := range []string{n.TeamID, n.Phone, n.Name, n.ChatRef, n.Transcript} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}
