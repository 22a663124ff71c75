package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/conversation"
)

// An item that is not well-formed is refused on its own, with a reason naming what to
// fix; a well-formed one decodes whole.
func TestDecodeBatchItem(t *testing.T) {
	for _, c := range []struct {
		raw, code, says string
	}{
		{`"text"`, conversation.EInvalid, "must be a JSON object"},
		{`[1]`, conversation.EInvalid, "must be a JSON object"},
		{`{"team_id": "t", "to": "1", "body": "b", "send_at": "2030-01-02T09:00:00Z"}`, conversation.EInvalid, `"idempotency_key" is required`},
		{`{"idempotency_key": "` + strings.Repeat("k", 256) + `"}`, conversation.EInvalid, "longer than 255"},
		{`{"idempotency_key": "k", "template_id": "welcome"}`, conversation.EUnprocessable, `"template_id" is not taken`},
		{`{"idempotency_key": "k", "colour": "blue"}`, conversation.EInvalid, `unknown field "colour"`},
		{`{"idempotency_key": "k", "send_at": "soon"}`, conversation.EInvalid, `"soon" is not a time`},
		{`{"idempotency_key": "k", "body": 5}`, conversation.EInvalid, `field "body" must be string`},
	} {
		var it batchItem
		err := decodeBatchItem(json.RawMessage(c.raw), &it)
		if conversation.ErrorCode(err) != c.code || !strings.Contains(conversation.ErrorMessage(err), c.says) {
			t.Errorf("%.60s: %v; want %s saying %q", c.raw, err, c.code, c.says)
		}
	}
	var it batchItem
	raw := `{"idempotency_key": "k1", "team_id": "t", "to": "+14155550101", "body": "Hi", "send_at": "2030-01-02T09:00:00Z"}`
	if err := decodeBatchItem(json.RawMessage(raw), &it); err != nil || it.IdempotencyKey != "k1" || it.To != "+14155550101" ||
		it.Body == nil || *it.Body != "Hi" || it.SendAt.Year() != 2030 {
		t.Errorf("well-formed item: %+v, %v", it, err)
	}
}
