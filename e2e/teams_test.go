package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

type templateJSON struct {
	store.Template
	Variables []string `json:"variables"`
}

type reasonsJSON struct {
	WrapUpReasons       []string `json:"wrap_up_reasons"`
	DefaultWrapUpReason string   `json:"default_wrap_up_reason"`
}

// Admins change every team's settings; members read theirs; the values are checked.
func TestTeamSettings(t *testing.T) {
	s := startStack(t, false, "")
	me := agent{s.agent, s.agentTok}
	admin := s.newAdmin("admin") // of no team: admins manage every team
	team := "/v1/teams/" + s.team.ID

	var got store.Team
	if code := s.call("GET", team, me.token, nil, &got); code != http.StatusOK || got.ID != s.team.ID || got.Capacity != 5 {
		t.Errorf("member reads the team: %d %+v", code, got)
	}
	if code := s.call("GET", team, admin.token, nil, &got); code != http.StatusOK || got.ID != s.team.ID {
		t.Errorf("admin reads the team: %d", code)
	}

	patch := map[string]any{
		"name": "Support desk", "chat_on": true, "auto_response": "Closed; back at 9.",
		"business_hours": map[string][][]string{"mon": {{"09:00", "12:00"}, {"13:00", "17:30"}}, "sat": {}},
		"time_zone":      "Europe/Paris", "offer_timeout_seconds": 45, "wrap_up_timeout_seconds": 120, "capacity": 3,
		"inactivity_days": 14, "help_text": "Text STOP to opt out.", "default_region": "fr",
		"auto_response_interval_hours": 0, "default_wrap_up_reason": "Handled",
	}
	if code := s.call("PATCH", team, admin.token, patch, &got); code != http.StatusOK {
		t.Fatalf("admin patch: %d", code)
	}
	wantHours := conversation.BusinessHours{"mon": {{"09:00", "12:00"}, {"13:00", "17:30"}}, "sat": {}}
	check := func(what string, tm store.Team) {
		t.Helper()
		if tm.Name != "Support desk" || !tm.ChatOn || tm.AutoResponse != "Closed; back at 9." || tm.TimeZone != "Europe/Paris" ||
			tm.OfferTimeoutSeconds != 45 || tm.WrapUpTimeoutSeconds != 120 || tm.Capacity != 3 || tm.InactivityDays != 14 ||
			tm.HelpText != "Text STOP to opt out." || tm.DefaultRegion != "FR" || tm.AutoResponseIntervalHours != 0 ||
			tm.DefaultWrapUpReason != "Handled" || len(tm.BusinessHours) != 2 || !slices.Equal(tm.BusinessHours["mon"], wantHours["mon"]) ||
			len(tm.BusinessHours["sat"]) != 0 || !slices.Equal(tm.Numbers, []string{s.teamPhone}) {
			t.Errorf("%s: %+v", what, tm)
		}
	}
	check("after the patch", got)
	s.call("GET", team, me.token, nil, &got)
	check("read back", got)
	// Only what is sent changes; null clears the business hours.
	if code := s.call("PATCH", team, admin.token, map[string]any{"business_hours": nil, "capacity": 4}, &got); code != http.StatusOK ||
		got.BusinessHours != nil || got.Capacity != 4 || got.TimeZone != "Europe/Paris" || got.Name != "Support desk" {
		t.Errorf("clear hours: %d %+v", code, got)
	}

	for _, c := range []struct {
		name, token string
		body        any
		status      int
		mention     string
	}{
		{"member", me.token, map[string]int{"capacity": 2}, 403, "admin"},
		{"outsider", s.outsider, map[string]int{"capacity": 2}, 404, "team"},
		{"no token", "", map[string]int{"capacity": 2}, 401, "Bearer"},
		{"unknown zone", admin.token, map[string]string{"time_zone": "Mars/Olympus"}, 400, `time_zone "Mars/Olympus"`},
		{"bad hours", admin.token, map[string]any{"business_hours": map[string][][]string{"mon": {{"17:00", "09:00"}}}}, 400, "closes before it opens"},
		{"unknown day", admin.token, map[string]any{"business_hours": map[string][][]string{"monday": {{"09:00", "17:00"}}}}, 400, `"monday"`},
		{"unknown region", admin.token, map[string]string{"default_region": "XX"}, 400, `default_region "XX"`},
		{"capacity 0", admin.token, map[string]int{"capacity": 0}, 400, "capacity must be from 1 to 100"},
		{"long auto-response", admin.token, map[string]string{"auto_response": strings.Repeat("a", 1001)}, 422, "1000"},
		{"unknown field", admin.token, map[string]bool{"chat": true}, 400, `"chat"`},
		{"nothing", admin.token, map[string]any{}, 400, "nothing to change"},
		{"null", admin.token, map[string]any{"capacity": nil}, 400, "capacity must not be null"},
	} {
		var e apiError
		if code := s.call("PATCH", team, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	for _, c := range []struct {
		name, path, token string
		status            int
	}{
		{"outsider reads", team, s.outsider, 404},
		{"unknown team", "/v1/teams/00000000-0000-4000-8000-000000000000", admin.token, 404},
		{"malformed id", "/v1/teams/nope", admin.token, 404},
		{"no token", team, "", 401},
	} {
		if code := s.call("GET", c.path, c.token, nil, nil); code != c.status {
			t.Errorf("GET %s: %d; want %d", c.name, code, c.status)
		}
	}

	// Wrap-up reasons.
	reasons := team + "/wrap-up-reasons"
	var rs reasonsJSON
	if code := s.call("GET", reasons, me.token, nil, &rs); code != http.StatusOK || len(rs.WrapUpReasons) != 0 || rs.DefaultWrapUpReason != "Handled" {
		t.Errorf("reasons: %d %+v", code, rs)
	}
	s.mustAct(me, "POST", reasons, map[string]string{"reason": "Resolved"}, http.StatusForbidden)
	for _, r := range []string{"Resolved", " Spam / abuse "} {
		s.mustAct(admin, "POST", reasons, map[string]string{"reason": r}, http.StatusCreated)
	}
	s.call("GET", reasons, me.token, nil, &rs)
	if !slices.Equal(rs.WrapUpReasons, []string{"Resolved", "Spam / abuse"}) {
		t.Errorf("reasons = %q", rs.WrapUpReasons)
	}
	s.mustAct(admin, "POST", reasons, map[string]string{"reason": "Resolved"}, http.StatusConflict)
	s.mustAct(admin, "POST", reasons, map[string]string{"reason": "  "}, http.StatusBadRequest)
	s.mustAct(admin, "POST", reasons, map[string]string{"reason": strings.Repeat("r", 101)}, http.StatusUnprocessableEntity)
	s.mustAct(admin, "POST", reasons, map[string]string{"why": "x"}, http.StatusBadRequest)
	spam := reasons + "/" + url.PathEscape("Spam / abuse")
	s.mustAct(me, "DELETE", spam, nil, http.StatusForbidden)
	s.mustAct(agent{token: s.outsider}, "DELETE", spam, nil, http.StatusNotFound)
	s.mustAct(admin, "DELETE", spam, nil, http.StatusNoContent)
	s.mustAct(admin, "DELETE", spam, nil, http.StatusNotFound)
	s.call("GET", reasons, me.token, nil, &rs)
	if !slices.Equal(rs.WrapUpReasons, []string{"Resolved"}) {
		t.Errorf("reasons after the delete = %q", rs.WrapUpReasons)
	}
}

// Admins keep a team's templates; agents reply with them, filling in the variables.
func TestTemplates(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := s.newAgent("me", "")
	admin := s.newAdmin("admin", s.team.ID)
	templates := "/v1/teams/" + s.team.ID + "/templates"

	var list struct{ Templates []templateJSON }
	if code := s.call("GET", templates, me.token, nil, &list); code != http.StatusOK || len(list.Templates) != 0 {
		t.Errorf("templates: %d %+v", code, list)
	}
	s.mustAct(me, "POST", templates, map[string]string{"name": "Ready", "body": "Ready!"}, http.StatusForbidden)
	var ready, bye templateJSON
	if code := s.call("POST", templates, admin.token, map[string]string{
		"name": "Order ready", "body": "Hi {{name}}, order {{ order }} is ready. See you, {{name}}!",
	}, &ready); code != http.StatusCreated || ready.TeamID != s.team.ID || !slices.Equal(ready.Variables, []string{"name", "order"}) {
		t.Fatalf("create: %d %+v", code, ready)
	}
	if code := s.call("POST", templates, admin.token, map[string]string{"name": "Bye", "body": "Bye for now."}, &bye); code != http.StatusCreated ||
		len(bye.Variables) != 0 {
		t.Fatalf("create bye: %d %+v", code, bye)
	}
	s.call("GET", templates, me.token, nil, &list)
	if len(list.Templates) != 2 || list.Templates[0].Name != "Bye" || list.Templates[1].Name != "Order ready" {
		t.Errorf("templates by name = %+v", list.Templates)
	}
	var renamed templateJSON
	if code := s.call("PATCH", templates+"/"+bye.ID, admin.token, map[string]string{"name": "Goodbye"}, &renamed); code != http.StatusOK ||
		renamed.Name != "Goodbye" || renamed.Body != "Bye for now." || !renamed.UpdatedAt.After(renamed.CreatedAt) {
		t.Errorf("rename: %d %+v", code, renamed)
	}
	other, err := s.store.CreateTeam(ctx, "Other templates "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	var foreign templateJSON
	if code := s.call("POST", "/v1/teams/"+other.ID+"/templates", admin.token, map[string]string{"name": "Theirs", "body": "x"}, &foreign); code != http.StatusCreated {
		t.Fatalf("create in another team: %d", code)
	}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		mention                   string
	}{
		{"bad placeholder", "POST", templates, admin.token, map[string]string{"name": "x", "body": "Hi {{first name}}"}, 400, "{{first name}}"},
		{"too long", "POST", templates, admin.token, map[string]string{"name": "x", "body": strings.Repeat("b", 1001)}, 422, "1000"},
		{"no body", "POST", templates, admin.token, map[string]string{"name": "x"}, 400, `"body"`},
		{"taken name", "POST", templates, admin.token, map[string]string{"name": "Goodbye", "body": "x"}, 409, "Goodbye"},
		{"rename to a taken name", "PATCH", templates + "/" + bye.ID, admin.token, map[string]string{"name": "Order ready"}, 409, "Order ready"},
		{"nothing to change", "PATCH", templates + "/" + bye.ID, admin.token, map[string]string{}, 400, "nothing to change"},
		{"agent patches", "PATCH", templates + "/" + bye.ID, me.token, map[string]string{"name": "y"}, 403, "admin"},
		{"another team's template", "PATCH", templates + "/" + foreign.ID, admin.token, map[string]string{"name": "y"}, 404, "template"},
		{"outsider lists", "GET", templates, s.outsider, nil, 404, "team"},
		{"no token", "GET", templates, "", nil, 401, "Bearer"},
		{"agent deletes", "DELETE", templates + "/" + bye.ID, me.token, nil, 403, "admin"},
	} {
		var e apiError
		if code := s.call(c.method, c.path, c.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}

	// A conversation (nobody available: it waits in New); replies with templates take it.
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Is it ready?"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var convID string
	eventually(t, "the conversation in New", func() bool {
		var p store.ConversationPage
		s.call("GET", "/v1/conversations?inbox=new", me.token, nil, &p)
		if len(p.Conversations) == 1 {
			convID = p.Conversations[0].ID
		}
		return convID != ""
	})
	msgs := "/v1/conversations/" + convID + "/messages"
	var free templateJSON
	if code := s.call("POST", templates, admin.token, map[string]string{"name": "Free text", "body": "{{text}}"}, &free); code != http.StatusCreated {
		t.Fatalf("create free text: %d", code)
	}
	var sent store.Message
	if code := s.call("POST", msgs, me.token, map[string]any{
		"template_id": ready.ID, "variables": map[string]string{"name": "Ana", "order": "#42"},
	}, &sent); code != http.StatusCreated || sent.Body != "Hi Ana, order #42 is ready. See you, Ana!" || sent.Direction != "outbound" {
		t.Fatalf("reply with a template: %d %+v", code, sent)
	}
	if code := s.call("POST", msgs, me.token, map[string]any{"template_id": bye.ID}, &sent); code != http.StatusCreated || sent.Body != "Bye for now." {
		t.Fatalf("reply with a template without variables: %d %+v", code, sent)
	}
	for _, c := range []struct {
		name    string
		body    any
		status  int
		mention string
	}{
		{"missing variable", map[string]any{"template_id": ready.ID, "variables": map[string]string{"name": "Ana"}}, 400, "variables missing for the template: order"},
		{"no variables", map[string]any{"template_id": ready.ID}, 400, "name, order"},
		{"unknown variable", map[string]any{"template_id": bye.ID, "variables": map[string]string{"name": "Ana"}}, 400, "not in the template: name"},
		{"both", map[string]any{"template_id": bye.ID, "body": "hi"}, 400, `exactly one of "body" or "template_id"`},
		{"neither", map[string]any{}, 400, `exactly one of "body" or "template_id"`},
		{"variables with a body", map[string]any{"body": "hi", "variables": map[string]string{}}, 400, `"variables"`},
		{"another team's template", map[string]any{"template_id": foreign.ID}, 400, "no template"},
		{"not a template id", map[string]any{"template_id": "nope"}, 400, "no template"},
		{"too long once filled in", map[string]any{"template_id": ready.ID, "variables": map[string]string{"name": strings.Repeat("n", 500), "order": "1"}}, 422, "1000"},
		{"blank once filled in", map[string]any{"template_id": free.ID, "variables": map[string]string{"text": " "}}, 400, "must not be empty"},
	} {
		var e apiError
		if code := s.call("POST", msgs, me.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("%s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}
	s.mustAct(agent{token: s.outsider}, "POST", msgs, map[string]any{"template_id": bye.ID}, http.StatusNotFound)

	// Deleted templates are gone.
	s.mustAct(admin, "DELETE", templates+"/"+bye.ID, nil, http.StatusNoContent)
	s.mustAct(admin, "DELETE", templates+"/"+bye.ID, nil, http.StatusNotFound)
	s.mustAct(me, "POST", msgs, map[string]any{"template_id": bye.ID}, http.StatusBadRequest)

	eventually(t, "both template replies at the emulator", func() bool { return len(s.sentTo(customer)) == 2 })
	if got := s.sentTo(customer); got[0].Body != "Hi Ana, order #42 is ready. See you, Ana!" || got[1].Body != "Bye for now." {
		t.Errorf("emulator received %q, %q", got[0].Body, got[1].Body)
	}
}
