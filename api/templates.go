package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Templates are team texts an agent sends with a few words filled in: {{name}}
// placeholders (a letter, then letters, digits or _; spaces inside the braces allowed)
// take the request's "variables". Nothing else in a body is special.

// placeholder matches one placeholder at the start of its input.
var placeholder = regexp.MustCompile(`^\{\{\s*([A-Za-z][A-Za-z0-9_]{0,63})\s*\}\}`)

const maxTemplateName = 100

// templateVariables lists the placeholders of body in order of first appearance, or
// explains the first "{{" that does not open a placeholder.
func templateVariables(body string) ([]string, error) {
	vars := []string{}
	for i := 0; ; {
		j := strings.Index(body[i:], "{{")
		if j < 0 {
			return vars, nil
		}
		i += j
		m := placeholder.FindStringSubmatch(body[i:])
		if m == nil {
			bad := body[i:]
			if end := strings.Index(bad, "}}"); end >= 0 && end < 70 {
				bad = bad[:end+2]
			} else if len(bad) > 20 {
				bad = bad[:20] + "…"
			}
			return nil, conversation.Errorf(conversation.EInvalid,
				"body: %q is not a placeholder; write {{name}} with a name of letters, digits and _ starting with a letter", bad)
		}
		if !slices.Contains(vars, m[1]) {
			vars = append(vars, m[1])
		}
		i += len(m[0])
	}
}

// renderTemplate fills body's placeholders from vars. Every placeholder needs a value
// and every value a placeholder; either mistake is a 400 naming the variables.
func renderTemplate(body string, vars map[string]string) (string, error) {
	names, err := templateVariables(body)
	if err != nil {
		return "", err
	}
	var missing, unknown []string
	for _, n := range names {
		if _, ok := vars[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range vars {
		if !slices.Contains(names, n) {
			unknown = append(unknown, n)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(missing) > 0:
		return "", conversation.Errorf(conversation.EInvalid, "variables missing for the template: %s", strings.Join(missing, ", "))
	case len(unknown) > 0:
		return "", conversation.Errorf(conversation.EInvalid, "variables not in the template: %s", strings.Join(unknown, ", "))
	}
	var out strings.Builder
	for i := 0; ; {
		j := strings.Index(body[i:], "{{")
		if j < 0 {
			out.WriteString(body[i:])
			return out.String(), nil
		}
		out.WriteString(body[i : i+j])
		i += j
		m := placeholder.FindStringSubmatch(body[i:])
		out.WriteString(vars[m[1]])
		i += len(m[0])
	}
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
		if _, err := templateVariables(*body); err != nil {
			return err
		}
	}
	return nil
}

// templateJSON is a template with the variables it takes.
type templateJSON struct {
	store.Template
	Variables []string `json:"variables"`
}

func withVariables(t store.Template) templateJSON {
	vars, err := templateVariables(t.Body)
	if err != nil {
		vars = []string{} // stored bodies were validated; a malformed one takes nothing
	}
	return templateJSON{Template: t, Variables: vars}
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
