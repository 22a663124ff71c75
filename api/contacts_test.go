package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// default_assignees and default_visible_to follow one rule: a list (not null), repeats
// dropped, a size limit, and an agent keeps themselves on a list they set (admins may
// name anyone). Absent is no change. The store checks the ids are users'.
func TestContactUserListsFollowOneRule(t *testing.T) {
	agentU := store.User{ID: "u-agent", Role: store.RoleAgent}
	adminU := store.User{ID: "u-admin", Role: store.RoleAdmin}
	many := make([]string, maxAssignees+1)
	for i := range many {
		many[i] = fmt.Sprintf("u-%d", i)
	}
	many[0] = agentU.ID
	body := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	for _, f := range []struct {
		field string
		fn    func(optional[[]string], store.User) (*[]string, error)
	}{{"default_assignees", defaultAssignees}, {"default_visible_to", defaultVisibleTo}} {
		for _, c := range []struct {
			name    string
			raw     string // the field's JSON; "" = absent
			user    store.User
			want    []string // nil with code == "": no change
			code    string
			mention string
		}{
			{name: "absent", user: agentU},
			{name: "an agent with themselves and another, repeats dropped", raw: `["u-b","u-agent","u-b"]`, user: agentU, want: []string{"u-b", "u-agent"}},
			{name: "an agent clears it", raw: `[]`, user: agentU, want: []string{}},
			{name: "an agent leaves themselves out", raw: `["u-b"]`, user: agentU, code: conversation.EUnprocessable, mention: "must include you (u-agent)"},
			{name: "an admin names others alone", raw: `["u-b"]`, user: adminU, want: []string{"u-b"}},
			{name: "null", raw: `null`, user: adminU, code: conversation.EInvalid, mention: "must not be null"},
			{name: "too many", raw: body(many), user: agentU, code: conversation.EUnprocessable, mention: "the limit is 100"},
		} {
			t.Run(f.field+"/"+c.name, func(t *testing.T) {
				var req map[string]optional[[]string]
				raw := "{}"
				if c.raw != "" {
					raw = `{"x":` + c.raw + `}`
				}
				if err := json.Unmarshal([]byte(raw), &req); err != nil {
					t.Fatal(err)
				}
				got, err := f.fn(req["x"], c.user)
				if c.code != "" {
					if conversation.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.mention) || !strings.Contains(err.Error(), f.field) {
						t.Fatalf("err = %v; want %s naming %s and mentioning %q", err, c.code, f.field, c.mention)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if (got == nil) != (c.want == nil) || (got != nil && !slices.Equal(*got, c.want)) {
					t.Errorf("got %v; want %v", got, c.want)
				}
			})
		}
	}
}
