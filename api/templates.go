package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/sms"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/templating"
)

// Templates are team texts an agent sends with a few words filled in; package
// templating defines the placeholders: built-ins textdesk fills ({{contact.name}}, ...),
// request variables ({{order_id}}) the request's "variables" fill, and fallbacks.

const maxTemplateName = 100

// templateError turns a templating error into the API's: a dotted name that is not a
// built-in is 422 naming it; bad syntax and missing or unused values are 400.
func templateError(err error) error {
	var te *templating.Error
	if !errors.As(err, &te) {
		return err
	}
	switch te.Kind {
	case templating.Unknown:
		return conversation.Errorf(conversation.EUnprocessable, "body: %s", te.Error())
	case templating.Syntax:
		return conversation.Errorf(conversation.EInvalid, "body: %s", te.Error())
	}
	return conversation.Errorf(conversation.EInvalid, "%s", te.Error())
}

// parseTemplate parses a template body, with the API's errors.
func parseTemplate(body string) (*templating.Template, error) {
	t, err := templating.Parse(body)
	return t, templateError(err)
}

// templateContext is what the built-in variables are filled from: the team sending, the
// user sending and the contact texted (nil when not known, e.g. a preview without one).
type templateContext struct {
	team    store.Team
	agent   store.User
	contact *store.Contact
}

func (tc templateContext) builtins() map[string]string {
	b := map[string]string{"team.name": tc.team.Name, "agent.name": tc.agent.Name}
	if tc.contact != nil {
		b["contact.name"], b["contact.ref"] = tc.contact.Name, tc.contact.Ref
	}
	return b
}

// renderTemplate renders the team's template templateID in tc with the request's vars
// and checks the result against the compose rules: the text to store and send.
func (s *Server) renderTemplate(ctx context.Context, tc templateContext, templateID string, vars map[string]string) (string, error) {
	t, err := s.Store.Template(ctx, tc.team.ID, templateID)
	if conversation.ErrorCode(err) == conversation.ENotFound {
		return "", conversation.Errorf(conversation.EInvalid, "template_id: the team has no template %s", templateID)
	}
	if err != nil {
		return "", err
	}
	body, err := renderBody(t.Body, tc, vars)
	if err != nil {
		return "", err
	}
	if err := conversation.ValidateText(body); err != nil {
		return "", conversation.Errorf(conversation.ErrorCode(err), "template %q with these variables: %s", t.Name, conversation.ErrorMessage(err))
	}
	return body, nil
}

// renderBody renders a template body in tc with vars.
func renderBody(body string, tc templateContext, vars map[string]string) (string, error) {
	t, err := parseTemplate(body)
	if err != nil {
		return "", err
	}
	out, err := t.Render(tc.builtins(), vars)
	return out, templateError(err)
}

// messageTemplate is the part of a reply, ad-hoc text or scheduled message that names a
// template instead of giving the text.
type messageTemplate struct {
	TemplateID *string           `json:"template_id"`
	Variables  map[string]string `json:"variables"`
}

// check refuses a request with both or neither of body and template_id, or variables
// without a template.
func (m messageTemplate) check(body *string) error {
	switch {
	case (body == nil) == (m.TemplateID == nil):
		return conversation.Errorf(conversation.EInvalid, `give exactly one of "body" or "template_id" (with its "variables")`)
	case body != nil && m.Variables != nil:
		return conversation.Errorf(conversation.EInvalid, `"variables" go with "template_id", not with "body"`)
	}
	return nil
}

// text is the message to send: body as given, or the template rendered in tc.
func (s *Server) text(ctx context.Context, m messageTemplate, body *string, tc templateContext) (string, error) {
	if m.TemplateID == nil {
		return *body, nil
	}
	return s.renderTemplate(ctx, tc, *m.TemplateID, m.Variables)
}

// validateTemplate checks a template's name and body as they are to be stored.
func validateTemplate(name, body *string) error {
	if name != nil {
		if strings.TrimSpace(*name) == "" {
			return conversation.Errorf(conversation.EInvalid, "name must not be empty")
		}
		if n := utf8.RuneCountInString(*name); n > maxTemplateName {
			return conversation.Errorf(conversation.EUnprocessable, "name is %d characters; the limit is %d", n, maxTemplateName)
		}
	}
	if body != nil {
		if err := conversation.ValidateText(*body); err != nil {
			return err
		}
		if _, err := parseTemplate(*body); err != nil {
			return err
		}
	}
	return nil
}

// templateJSON is a template with the request variables it takes and the built-ins it uses.
type templateJSON struct {
	store.Template
	Variables []string `json:"variables"`
	Builtins  []string `json:"builtins"`
}

func withVariables(t store.Template) templateJSON {
	p, err := templating.Parse(t.Body)
	if err != nil {
		// Stored before the built-ins were checked (or edited in SQL): it takes nothing,
		// and rendering it says what is wrong.
		return templateJSON{Template: t, Variables: []string{}, Builtins: []string{}}
	}
	return templateJSON{Template: t, Variables: p.Variables(), Builtins: p.Builtins()}
}

// listTemplates: GET /v1/teams/{id}/templates — members and admins.
func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ts, err := s.Store.Templates(r.Context(), team.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]templateJSON, len(ts))
	for i, t := range ts {
		out[i] = withVariables(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": out})
}

// postTemplate: POST /v1/teams/{id}/templates {"name", "body"} — admins.
func (s *Server) postTemplate(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamSupervise)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Name *string `json:"name"`
		Body *string `json:"body"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Name == nil || req.Body == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `"name" and "body" are required`))
		return
	}
	if err := validateTemplate(req.Name, req.Body); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Store.CreateTemplate(r.Context(), team.ID, strings.TrimSpace(*req.Name), *req.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, withVariables(t))
}

// patchTemplate: PATCH /v1/teams/{id}/templates/{template_id} {"name"?, "body"?} — admins.
func (s *Server) patchTemplate(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamSupervise)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Name optional[string] `json:"name"`
		Body optional[string] `json:"body"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name, err := req.Name.ptr("name")
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := req.Body.ptr("body")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if name == nil && body == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `nothing to change; send "name" or "body"`))
		return
	}
	if err := validateTemplate(name, body); err != nil {
		writeError(w, r, err)
		return
	}
	if name != nil {
		*name = strings.TrimSpace(*name)
	}
	t, err := s.Store.UpdateTemplate(r.Context(), team.ID, chi.URLParam(r, "template_id"), name, body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withVariables(t))
}

// deleteTemplate: DELETE /v1/teams/{id}/templates/{template_id} — admins.
func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamSupervise)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Store.DeleteTemplate(r.Context(), team.ID, chi.URLParam(r, "template_id")); err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, auditTemplateDelete, "template", chi.URLParam(r, "template_id"), map[string]any{"team_id": team.ID})
	w.WriteHeader(http.StatusNoContent)
}

type previewRequest struct {
	Body           *string `json:"body"`
	ConversationID string  `json:"conversation_id"`
	TeamID         string  `json:"team_id"`
	To             string  `json:"to"`
	messageTemplate
}

// preview is a rendered text and what it costs to send.
type preview struct {
	Text       string `json:"text"`
	Segments   int    `json:"segments"`
	Encoding   string `json:"encoding"`
	Characters int    `json:"characters"`
}

// previewTemplate: POST /v1/templates/preview {"template_id" | "body", "variables"?,
// "conversation_id" | "team_id" (+ "to"?)} — the text a template (or a body as a
// template) would send, with its SMS segments and encoding. A conversation fills the
// contact's variables; a team and "to" (a scheduler's message) fill them from the
// contact with that number if the caller may see it, else they take their fallbacks.
// The agent is the caller. Nothing is stored or sent.
func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) {
	var req previewRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Body != nil && req.TemplateID != nil || req.Body == nil && req.TemplateID == nil {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `give exactly one of "body" or "template_id"`))
		return
	}
	if (req.ConversationID == "") == (req.TeamID == "") {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, `give exactly one of "conversation_id" or "team_id"`))
		return
	}
	tc, err := s.previewContext(r, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body := ""
	if req.Body != nil {
		body = *req.Body
	} else {
		t, err := s.Store.Template(r.Context(), tc.team.ID, *req.TemplateID)
		if conversation.ErrorCode(err) == conversation.ENotFound {
			err = conversation.Errorf(conversation.EInvalid, "template_id: the team has no template %s", *req.TemplateID)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		body = t.Body
	}
	text, err := renderBody(body, tc, req.Variables)
	if err != nil {
		writeError(w, r, err)
		return
	}
	encoding, segments := sms.Segments(text)
	writeJSON(w, http.StatusOK, preview{Text: text, Segments: segments, Encoding: encoding, Characters: utf8.RuneCountInString(text)})
}

// previewContext resolves what a preview's built-ins are filled from, with the same
// visibility rules as the conversation, team and contact endpoints.
func (s *Server) previewContext(r *http.Request, req previewRequest) (templateContext, error) {
	user := userFrom(r)
	tc := templateContext{agent: user}
	if req.ConversationID != "" {
		if req.To != "" {
			return tc, conversation.Errorf(conversation.EInvalid, `"to" goes with "team_id"; a conversation has its contact`)
		}
		c, err := s.conversationFor(r, req.ConversationID)
		if err != nil {
			return tc, err
		}
		contact, err := s.Store.ContactByID(r.Context(), c.ContactID)
		if err != nil {
			return tc, err
		}
		tc.contact = &contact
		tc.team, err = s.Store.Team(r.Context(), c.TeamID)
		return tc, err
	}
	if user.Role != store.RoleAdmin && !slices.Contains(user.TeamIDs, req.TeamID) {
		return tc, conversation.Errorf(conversation.ENotFound, "team not found among your teams")
	}
	var err error
	if tc.team, err = s.Store.Team(r.Context(), req.TeamID); err != nil {
		return tc, err
	}
	if req.To == "" {
		return tc, nil
	}
	to, err := normalizePhone(req.To, tc.team.DefaultRegion)
	if err != nil {
		return tc, conversation.Errorf(conversation.EInvalid, "to: %s", err)
	}
	contact, err := s.Store.ContactByPhone(r.Context(), to)
	if conversation.ErrorCode(err) == conversation.ENotFound {
		return tc, nil // a new contact: no name or ref yet
	}
	if err != nil {
		return tc, err
	}
	if user.Role != store.RoleAdmin {
		if ok, err := s.Store.ContactVisible(r.Context(), contact.ID, user.TeamIDs, user.ID); err != nil || !ok {
			return tc, err // not the caller's to know: as if new
		}
	}
	tc.contact = &contact
	return tc, nil
}
