package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

type templatePreview struct {
	Text       string `json:"text"`
	Segments   int    `json:"segments"`
	Encoding   string `json:"encoding"`
	Characters int    `json:"characters"`
}

// Templates with built-in variables: rendered for the contact, the agent and the team
// before the message is stored, so the customer receives the rendered text; an empty
// contact name takes its fallback; an unknown variable is 422 naming it; the preview
// counts segments.
func TestTemplateVariablesRendered(t *testing.T) {
	s := startStack(t, true, "")
	ctx := context.Background()
	me := s.newAgent("Bo", "")
	admin := s.newAdmin("admin", s.team.ID)
	templates := "/v1/teams/" + s.team.ID + "/templates"

	var e apiError
	if code := s.call("POST", templates, admin.token, map[string]string{"name": "Typo", "body": "Hi {{contact.nmae}}"}, &e); code != http.StatusUnprocessableEntity ||
		!strings.Contains(e.Error.Message, `unknown variable "contact.nmae" at character 4`) {
		t.Errorf("unknown variable on save: %d %q; want 422 naming contact.nmae", code, e.Error.Message)
	}
	var greet struct {
		templateJSON
		Builtins []string `json:"builtins"`
	}
	body := `Hi {{contact.name | "there"}}, {{agent.name}} of {{team.name}} here about {{topic}} (ref {{contact.ref | "none"}}).`
	if code := s.call("POST", templates, admin.token, map[string]string{"name": "Greeting", "body": body}, &greet); code != http.StatusCreated ||
		!slices.Equal(greet.Variables, []string{"topic"}) || !slices.Equal(greet.Builtins, []string{"contact.name", "agent.name", "team.name", "contact.ref"}) {
		t.Fatalf("create: %d %+v", code, greet)
	}
	if code := s.call("PATCH", templates+"/"+greet.ID, admin.token, map[string]string{"body": "{{agent.email}}"}, &e); code != http.StatusUnprocessableEntity ||
		!strings.Contains(e.Error.Message, `"agent.email"`) {
		t.Errorf("unknown variable on patch: %d %q", code, e.Error.Message)
	}

	// A customer without a name texts in; the reply with the template greets "there".
	customer := newPhone()
	if _, code, err := s.emu.SimulateInbound(ctx, twilioemu.Inbound{From: customer, To: s.teamPhone, Body: "Hello?"}); err != nil || code != http.StatusOK {
		t.Fatalf("inbound: %d %v", code, err)
	}
	var conv store.Conversation
	eventually(t, "the conversation in New", func() bool {
		var p store.ConversationPage
		s.call("GET", "/v1/conversations?inbox=new", me.token, nil, &p)
		if len(p.Conversations) == 1 {
			conv = p.Conversations[0]
		}
		return conv.ID != ""
	})
	want := "Hi there, Bo of " + s.team.Name + " here about your bill (ref none)."
	var sent store.Message
	if code := s.call("POST", "/v1/conversations/"+conv.ID+"/messages", me.token, map[string]any{
		"template_id": greet.ID, "variables": map[string]string{"topic": "your bill"},
	}, &sent); code != http.StatusCreated || sent.Body != want {
		t.Fatalf("reply with the template: %d %q; want %q", code, sent.Body, want)
	}
	eventually(t, "the rendered reply at the emulator", func() bool {
		got := s.sentTo(customer)
		return len(got) == 1 && got[0].Body == want
	})

	// Once the contact has a name and ref, a preview of the conversation uses them.
	s.mustAct(admin, "PATCH", "/v1/contacts/"+conv.ContactID, map[string]string{"name": "Ana", "ref": "A-7"}, http.StatusOK)
	var p templatePreview
	wantText := "Hi Ana, Bo of " + s.team.Name + " here about it (ref A-7)."
	if code := s.call("POST", "/v1/templates/preview", me.token, map[string]any{
		"conversation_id": conv.ID, "template_id": greet.ID, "variables": map[string]string{"topic": "it"},
	}, &p); code != http.StatusOK || p.Text != wantText || p.Segments != 1 || p.Encoding != "GSM-7" || p.Characters != len(wantText) {
		t.Errorf("preview in the conversation: %d %+v; want %q, 1 GSM-7 segment", code, p, wantText)
	}
	// A scheduler's preview (team and number): the contact the caller sees, or nothing.
	if code := s.call("POST", "/v1/templates/preview", me.token, map[string]any{
		"team_id": s.team.ID, "to": customer, "body": `{{contact.name | "there"}} 😀 ` + strings.Repeat("x", 70),
	}, &p); code != http.StatusOK || p.Text != "Ana 😀 "+strings.Repeat("x", 70) || p.Encoding != "UCS-2" || p.Segments != 2 || p.Characters != 76 {
		t.Errorf("preview for a number: %d %+v; want Ana, 2 UCS-2 segments, 76 characters", code, p)
	}
	if code := s.call("POST", "/v1/templates/preview", me.token, map[string]any{
		"team_id": s.team.ID, "to": newPhone(), "body": `Hi {{contact.name | "there"}}`,
	}, &p); code != http.StatusOK || p.Text != "Hi there" {
		t.Errorf("preview for a new number: %d %+v", code, p)
	}
	for _, c := range []struct {
		name    string
		body    map[string]any
		status  int
		mention string
	}{
		{"unknown variable", map[string]any{"team_id": s.team.ID, "body": "Hi {{team.nmae}}"}, 422, `unknown variable "team.nmae"`},
		{"bad syntax", map[string]any{"team_id": s.team.ID, "body": "Hi {{team.name"}, 400, "character 4"},
		{"missing variable", map[string]any{"team_id": s.team.ID, "template_id": greet.ID}, 400, "missing for the template: topic"},
		{"no context", map[string]any{"body": "x"}, 400, `"conversation_id" or "team_id"`},
		{"to with a conversation", map[string]any{"conversation_id": conv.ID, "to": customer, "body": "x"}, 400, `"to"`},
		{"another team", map[string]any{"team_id": "00000000-0000-0000-0000-000000000000", "body": "x"}, 404, "team"},
	} {
		if code := s.call("POST", "/v1/templates/preview", me.token, c.body, &e); code != c.status || !strings.Contains(e.Error.Message, c.mention) {
			t.Errorf("preview, %s: %d %q; want %d mentioning %q", c.name, code, e.Error.Message, c.status, c.mention)
		}
	}

	// An ad-hoc text and a scheduled message render for their contact too.
	other := newPhone()
	if code := s.call("POST", "/v1/messages", me.token, map[string]any{
		"team_id": s.team.ID, "to": other, "template_id": greet.ID, "variables": map[string]string{"topic": "x"},
	}, &sent); code != http.StatusCreated || sent.Body != "Hi there, Bo of "+s.team.Name+" here about x (ref none)." {
		t.Errorf("ad-hoc text with a template: %d %q", code, sent.Body)
	}
	var sm store.ScheduledMessage
	if code := s.call("POST", "/v1/scheduled-messages", me.token, map[string]any{
		"team_id": s.team.ID, "to": customer, "template_id": greet.ID, "variables": map[string]string{"topic": "y"},
		"send_at": time.Now().Add(24 * time.Hour),
	}, &sm); code != http.StatusCreated || sm.Body != "Hi Ana, Bo of "+s.team.Name+" here about y (ref A-7)." {
		t.Errorf("scheduled message with a template: %d %q", code, sm.Body)
	}
	if code := s.call("POST", "/v1/messages", me.token, map[string]any{
		"team_id": s.team.ID, "to": other, "template_id": greet.ID,
	}, &e); code != http.StatusBadRequest || !strings.Contains(e.Error.Message, "topic") {
		t.Errorf("ad-hoc text missing a variable: %d %q", code, e.Error.Message)
	}
	// A body is sent as written, braces and all.
	if code := s.call("POST", "/v1/messages", me.token, map[string]any{
		"team_id": s.team.ID, "to": other, "body": "Literal {{contact.name}}",
	}, &sent); code != http.StatusCreated || sent.Body != "Literal {{contact.name}}" {
		t.Errorf("body with braces: %d %q", code, sent.Body)
	}
}
