package api

import (
	"encoding/json"
	"testing"

	"github.com/textdesk/textdesk/conversation"
)

func TestServiceSIDFormat(t *testing.T) {
	for sid, ok := range map[string]bool{
		"MG0123456789abcdef0123456789abcdef":  true,
		"MG0123456789ABCDEF0123456789ABCDEF":  true,
		"MG0123456789abcdef0123456789abcde":   false, // 31 digits
		"MG0123456789abcdef0123456789abcdef0": false, // 33
		"PN0123456789abcdef0123456789abcdef":  false, // a phone number's SID
		"MG0123456789abcdef0123456789abcdeg":  false,
		"":                                    false,
		" MG0123456789abcdef0123456789abcdef": false,
	} {
		err := validServiceSID("sid", sid)
		if (err == nil) != ok || (err != nil && conversation.ErrorCode(err) != conversation.EUnprocessable) {
			t.Errorf("%q: %v; want ok=%v, else unprocessable", sid, err, ok)
		}
	}
}

func TestPatchNumberRequest(t *testing.T) {
	for _, c := range []struct {
		body string
		code string // "" accepted
	}{
		{`{"send_rate": 1}`, ""},
		{`{"send_rate": 0.5}`, ""},
		{`{"send_rate": 1000}`, ""},
		{`{"send_rate": null}`, ""},
		{`{"messaging_service_sid": null}`, ""},
		{`{"send_rate": 0}`, conversation.EUnprocessable},
		{`{"send_rate": -3}`, conversation.EUnprocessable},
		{`{"send_rate": 1000.5}`, conversation.EUnprocessable},
		{`{"send_rate": 1e308}`, conversation.EUnprocessable},
		{`{"messaging_service_sid": "MG1"}`, conversation.EUnprocessable},
		{`{}`, conversation.EInvalid},
	} {
		var req patchNumberRequest
		if err := json.Unmarshal([]byte(c.body), &req); err != nil {
			t.Fatal(err)
		}
		p, err := req.patch()
		if conversation.ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%s: %v; want %q", c.body, err, c.code)
		}
		if c.body == `{"send_rate": null}` && (!p.ClearSendRate || p.SendRate != nil) {
			t.Errorf("null rate: %+v; want a reset to the default", p)
		}
	}
}
