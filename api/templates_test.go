package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// The API's side of templates (the syntax is templating's): which mistakes are 400 and
// which 422, and what fills the built-ins.
func TestRenderBody(t *testing.T) {
	contact := store.Contact{Name: "", Ref: "A-7"}
	tc := templateContext{team: store.Team{Name: "Billing"}, agent: store.User{Name: "Bo"}, contact: &contact}
	got, err := renderBody(`Hi {{contact.name | "there"}} ({{contact.ref}}), {{agent.name}} of {{team.name}}: {{n}}`, tc, map[string]string{"n": "1"})
	if want := "Hi there (A-7), Bo of Billing: 1"; err != nil || got != want {
		t.Errorf("renderBody = %q, %v; want %q", got, err, want)
	}
	for _, c := range []struct {
		body    string
		vars    map[string]string
		code    string
		mention string
	}{
		{"Hi {{contact.email}}", nil, conversation.EUnprocessable, `unknown variable "contact.email" at character 4`},
		{"Hi {{first name}}", nil, conversation.EInvalid, "{{first name}}"},
		{"Hi {{n}}", nil, conversation.EInvalid, "variables missing for the template: n"},
		{"Hi", map[string]string{"n": "1"}, conversation.EInvalid, "variables not in the template: n"},
	} {
		_, err := renderBody(c.body, tc, c.vars)
		if conversation.ErrorCode(err) != c.code || !strings.Contains(conversation.ErrorMessage(err), c.mention) {
			t.Errorf("renderBody(%q) = %v; want %s mentioning %q", c.body, err, c.code, c.mention)
		}
	}
}

func TestValidateTemplate(t *testing.T) {
	long := strings.Repeat("x", conversation.MaxBodyLength+1)
	ok, blank, longName := "Greeting", " ", strings.Repeat("n", maxTemplateName+1)
	for _, c := range []struct {
		name, body *string
		code       string
	}{
		{&ok, &ok, ""},
		{&blank, nil, conversation.EInvalid},
		{&longName, nil, conversation.EUnprocessable},
		{nil, &blank, conversation.EInvalid},
		{nil, &long, conversation.EUnprocessable},
		{nil, ptrTo("{{bad name}}"), conversation.EInvalid},
		{nil, ptrTo("Hi {{contact.nickname}}"), conversation.EUnprocessable},
		{nil, ptrTo(`Hi {{contact.name | "there"}} {{order}}`), ""},
	} {
		err := validateTemplate(c.name, c.body)
		if c.code == "" && err != nil || c.code != "" && conversation.ErrorCode(err) != c.code {
			t.Errorf("validateTemplate(%v, %v) = %v; want code %q", c.name, c.body, err, c.code)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// A PATCH body tells absent, null and a value apart; a wrong type names the field.
func TestOptionalFields(t *testing.T) {
	var req patchTeamRequest
	if err := json.Unmarshal([]byte(`{"capacity": 3, "business_hours": null}`), &req); err != nil {
		t.Fatal(err)
	}
	if !req.Capacity.Set || req.Capacity.Value != 3 || !req.BusinessHours.Set || !req.BusinessHours.Null || req.ChatOn.Set {
		t.Errorf("decoded %+v", req)
	}
	p, err := req.patch()
	if err != nil || p.Capacity == nil || *p.Capacity != 3 || !p.SetBusinessHours || p.BusinessHours != nil || p.ChatOn != nil {
		t.Errorf("patch = %+v, %v", p, err)
	}
	var typed patchTeamRequest
	err = json.Unmarshal([]byte(`{"capacity": "three"}`), &typed)
	if err == nil || !strings.Contains(err.Error(), "capacity") {
		t.Errorf("wrong type: %v; want an error naming capacity", err)
	}
}

func TestPatchTeamValidation(t *testing.T) {
	for _, c := range []struct {
		body, code, mention string
	}{
		{`{"time_zone": "Mars/Olympus"}`, conversation.EInvalid, `time_zone "Mars/Olympus"`},
		{`{"time_zone": "Local"}`, conversation.EInvalid, "time_zone"},
		{`{"time_zone": ""}`, conversation.EInvalid, "time_zone"},
		{`{"time_zone": null}`, conversation.EInvalid, "time_zone must not be null"},
		{`{"default_region": "XX"}`, conversation.EInvalid, `default_region "XX"`},
		{`{"default_region": "USA"}`, conversation.EInvalid, "default_region"},
		{`{"capacity": 0}`, conversation.EInvalid, "capacity must be from 1 to 100"},
		{`{"offer_timeout_seconds": 3601}`, conversation.EInvalid, "offer_timeout_seconds"},
		{`{"wrap_up_timeout_seconds": 0}`, conversation.EInvalid, "wrap_up_timeout_seconds"},
		{`{"inactivity_days": 366}`, conversation.EInvalid, "inactivity_days"},
		{`{"auto_response_interval_hours": -1}`, conversation.EInvalid, "auto_response_interval_hours"},
		{`{"name": "  "}`, conversation.EInvalid, "name must not be empty"},
		{`{"default_wrap_up_reason": ""}`, conversation.EInvalid, "default_wrap_up_reason"},
		{`{"auto_response": "` + strings.Repeat("a", 1001) + `"}`, conversation.EUnprocessable, "auto_response is 1001 characters"},
		{`{"help_text": "` + strings.Repeat("a", 1001) + `"}`, conversation.EUnprocessable, "help_text"},
		{`{"business_hours": {"monday": [["09:00", "17:00"]]}}`, conversation.EInvalid, `"monday" is not a day`},
		{`{"business_hours": {"mon": [["17:00", "09:00"]]}}`, conversation.EInvalid, "closes before it opens"},
		{`{"business_hours": {"mon": [["9am", "5pm"]]}}`, conversation.EInvalid, "HH:MM"},
		{`{"business_hours": {"mon": [["09:00"]]}}`, conversation.EInvalid, "[opens, closes]"},
		{`{"business_hours": {"mon": [["09:00", "12:00", "17:00"]]}}`, conversation.EInvalid, "[opens, closes]"},
		{`{"business_hours": {"mon": []}}`, conversation.EInvalid, "no open interval"},
		{`{"chat_on": null}`, conversation.EInvalid, "chat_on must not be null"},
	} {
		var req patchTeamRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		_, err := req.patch()
		if conversation.ErrorCode(err) != c.code || !strings.Contains(conversation.ErrorMessage(err), c.mention) {
			t.Errorf("%.80s: %v; want %s mentioning %q", c.body, err, c.code, c.mention)
		}
	}
	var req patchTeamRequest
	body := `{"name": " Support ", "chat_on": false, "business_hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "sat": []},
		"time_zone": "Europe/Paris", "default_region": "fr", "capacity": 100, "auto_response_interval_hours": 0}`
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	p, err := req.patch()
	if err != nil {
		t.Fatal(err)
	}
	if *p.Name != "Support" || *p.ChatOn || *p.TimeZone != "Europe/Paris" || *p.DefaultRegion != "FR" || *p.Capacity != 100 ||
		*p.AutoResponseIntervalHours != 0 || len(p.BusinessHours["mon"]) != 2 || len(p.BusinessHours["sat"]) != 0 || p.Empty() {
		t.Errorf("patch = %+v", p)
	}
	if !(store.TeamPatch{}).Empty() {
		t.Error("an empty patch is not Empty")
	}
}

func TestContactQuery(t *testing.T) {
	for _, c := range []struct {
		q, region string
		exact     string
		prefixes  []string
	}{
		{q: "Ana", region: "US"},
		{q: "+1 415 555 0123", region: "US", exact: "+14155550123", prefixes: []string{"+14155550123"}},
		{q: "(415) 555-0123", region: "US", exact: "+14155550123", prefixes: []string{"+14155550123", "+4155550123"}},
		{q: "+4420", region: "US", prefixes: []string{"+4420"}},
		{q: "415555", region: "US", prefixes: []string{"+1415555", "+415555"}},
		{q: "07700 900", region: "GB", prefixes: []string{"+447700900"}},
		{q: "A-123", region: "US"},
	} {
		got := contactQuery(c.q, c.region)
		if got.Text != c.q || got.PhoneExact != c.exact || !slices.Equal(got.PhonePrefixes, c.prefixes) {
			t.Errorf("contactQuery(%q, %s) = %+v; want exact %q, prefixes %q", c.q, c.region, got, c.exact, c.prefixes)
		}
	}
}
