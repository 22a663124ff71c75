package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/phone"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/workflows"
)

type outboundRequest struct {
	TeamID string  `json:"team_id"`
	To     string  `json:"to"`
	Body   *string `json:"body"`
	messageTemplate
}

// postOutbound: POST /v1/messages {"team_id", "to", "body" | "template_id" (+
// "variables")} — an agent texts a customer first (a call-back, a chat handed off to
// text). A template is rendered for the contact, the agent and the team before anything
// is stored. The message joins the contact's open
// conversation in the team, or starts one the agent owns. With an Idempotency-Key, a
// retried request answers the same message and sends nothing new.
func (s *Server) postOutbound(w http.ResponseWriter, r *http.Request) {
	var req outboundRequest
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
	team, err := s.Store.Team(r.Context(), req.TeamID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	to, err := textableNumber("to", req.To, team.DefaultRegion)
	if err == nil {
		err = checkDestination(team, to) // before the contact is stored: nothing half-written
	}
	if err != nil {
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
	id := requestID(r, user, "messages/"+team.ID)
	if prior, err := s.Store.Message(r.Context(), id); err == nil {
		// A retry under the same Idempotency-Key: the same message, or a refusal if the
		// key was used for a different one.
		if prior.To != to || prior.Body != body || prior.AuthorID == nil || *prior.AuthorID != user.ID {
			writeError(w, r, conversation.Errorf(conversation.EConflict, "Idempotency-Key was already used for a different message"))
			return
		}
		writeJSON(w, http.StatusCreated, prior)
		return
	}
	if err := s.checkQuota(r.Context(), team); err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.Dispatch.MessageContact(r.Context(), team, contact, workflows.Action{
		Caller: caller(user), MessageID: id, Body: body,
	}); err != nil {
		writeError(w, r, err)
		return
	}
	msg, err := s.Store.Message(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, msg)
}

// textableNumber normalises a number a person typed (read in region) and refuses, with
// the reason, one that is not valid or cannot be a mobile: texts need a handset.
func textableNumber(field, raw, region string) (string, error) {
	e164, typ, err := phone.Normalize(raw, region)
	if err != nil {
		return "", conversation.Errorf(conversation.EInvalid, "%s: %s", field, err)
	}
	if !typ.MayBeMobile() {
		return "", conversation.Errorf(conversation.EInvalid, "%s: %s is a %s number, not a mobile; texts need a mobile number",
			field, e164, strings.ReplaceAll(string(typ), "_", " "))
	}
	return e164, nil
}

// requireReachable refuses (409) to text a contact who opted out of the team's texts
// or whom the team blocked, saying which; other teams' decisions are not the caller's
// to know, nor do they stop this team (Twilio's opt-out is per sender).
func (s *Server) requireReachable(r *http.Request, c store.Contact, teamID string) error {
	t, err := s.Store.TeamSettingsOf(r.Context(), c.ID, teamID)
	if err != nil {
		return err
	}
	return t.Reachability(c.Phone)
}

// requireReachableIn is requireReachable for a reply in conversation conv: consent is
// to the team owning the number it texts from, a block the conversation's team's (they
// differ after a transfer to another team).
func (s *Server) requireReachableIn(r *http.Request, c store.Contact, conv store.Conversation) error {
	numberTeam := conv.TeamID
	if t, err := s.Store.TeamByNumber(r.Context(), conv.TeamNumber); err == nil {
		numberTeam = t.ID
	} else if conversation.ErrorCode(err) != conversation.ENotFound {
		return err
	}
	consent, err := s.Store.TeamSettingsOf(r.Context(), c.ID, numberTeam)
	if err != nil {
		return err
	}
	block, err := s.Store.TeamSettingsOf(r.Context(), c.ID, conv.TeamID)
	if err != nil {
		return err
	}
	return store.TeamSettings{OptedOut: consent.OptedOut, Blocked: block.Blocked}.Reachability(c.Phone)
}
