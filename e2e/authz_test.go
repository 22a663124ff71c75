package e2e

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
)

// The authorization matrix: every operation of api/openapi.yaml, called by each kind of
// caller (anonymous, an invalid token, an agent of the team, an agent of the team whom
// a restricted conversation does not list, an agent of another team, an admin, a
// supervisor of the team, a supervisor of another team, the team's agent signed in with
// a session cookie, a disabled user, an expired and a revoked session, and an agent of
// another team who attached the shared contact to their team by a chat handoff, a
// revoked API token),
// answers what its rule says (ruleStatuses), and never a 5xx. An operation without a
// row fails the test, so a new route cannot ship without deciding who may call it.
//
// Adding a row: name the operationId, its rule (who may call it), the status of an
// allowed call, and how to call it for a caller (path parameters, body, and the
// resources it needs: an allowed caller of a destructive or state-changing operation
// gets fresh ones, the others the shared ones, checked unchanged after the call).
var authzMatrix = []authzRow{
	// Ops and the document: anyone, whatever they send.
	{"healthz", public, 200, nothing},
	{"readyz", public, 200, nothing},
	{"getOpenAPI", public, 200, nothing},

	// The codec server (Temporal Web, the CLI): admins read payloads; the CORS preflight
	// carries no credential.
	{"codecDecode", adminOnly, 200, withBody(codecBody)},
	{"codecEncode", adminOnly, 200, withBody(codecBody)},
	{"codecDecodePreflight", public, 204, nothing},
	{"codecEncodePreflight", public, 204, nothing},

	// Twilio's webhooks: unsigned is 403 whoever calls; signed is accepted.
	{"twilioInboundMessage", webhook, 200, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: url.Values{"MessageSid": {newSID()}, "From": {newPhone()}, "To": {x.s.teamPhone}, "Body": {"hello"}}}
	}},
	{"twilioStatusCallback", webhook, 204, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: url.Values{"MessageSid": {newSID()}, "MessageStatus": {"delivered"}}}
	}},

	// The caller's own things.
	{"getMe", signedIn, 200, nothing},
	{"putPresence", signedIn, 200, withBody(map[string]string{"state": "away"})},
	{"getOffers", signedIn, 200, nothing},
	{"streamEvents", signedIn, 200, nothing},
	{"listConversations", signedIn, 200, nothing},
	{"listContacts", signedIn, 200, nothing},
	{"getInboxCounts", signedIn, 200, nothing},
	{"getPreferences", signedIn, 200, nothing},
	{"putPreferences", signedIn, 200, withBody(map[string]bool{"sound": true})},

	// Conversations: those who may see them (the team's members, or those a restricted
	// conversation lists, and admins); anyone else gets 404.
	{"getConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, nil) }},
	{"deleteConversation", convAdmins, 204, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, x.unassigned) }},
	{"replyToConversation", convViewers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.unassigned).with(map[string]string{"body": "Hi, how can I help?"})
	}},
	{"addNote", convViewers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, nil).with(map[string]string{"body": "note by " + c.name()})
	}},
	{"acceptOffer", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, x.offeredTo) }},
	{"assignConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.unassigned).with(map[string][]string{"user_ids": {x.self(c)}})
	}},
	{"transferConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.ownedBy).with(map[string]string{"user_id": x.helper.user.ID})
	}},
	{"conferenceAgent", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.ownedBy).with(map[string]string{"user_id": x.helper.user.ID})
	}},
	{"leaveConference", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.conferenced).param("user_id", x.self(c))
	}},
	{"endConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, x.ownedBy) }},
	{"wrapUpConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.ended).with(map[string]string{"reason": x.team.DefaultWrapUpReason})
	}},
	{"archiveConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, x.ownedBy) }},
	{"unarchiveConversation", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, x.archived) }},
	{"listScheduled", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, nil) }},
	{"listConversationEvents", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, nil) }},
	{"markConversationRead", convViewers, 204, func(x *authzEnv, c authzCaller) authzReq { return x.readReq(c) }},
	{"listConversationMessages", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.onConv(c, nil) }},
	{"setConversationVisibility", convViewers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.onConv(c, x.ownedBy).with(map[string][]string{"user_ids": {x.self(c)}})
	}},
	{"searchConversations", signedIn, 200, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{query: "phone=" + url.QueryEscape(x.conv.ContactPhone)}
	}},

	// Texting a number for a team of the caller's (a refused call makes no contact); a
	// scheduled message is cancelled by those who see its conversation.
	{"scheduleMessage", teamMembers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.toNewPhone(func(p string) any { return x.scheduleBody(p) })
	}},
	{"cancelScheduled", convViewers, 204, func(x *authzEnv, c authzCaller) authzReq { return x.cancelReq(c) }},
	// A batch always answers per item (200): an item for a team not the caller's is
	// refused in its result, as the single endpoint refuses it (TestScheduledBatch).
	{"scheduleMessagesBatch", signedIn, 200, func(x *authzEnv, c authzCaller) authzReq {
		return x.toNewPhone(func(p string) any {
			item := x.scheduleBody(p)
			item["idempotency_key"] = x.unique("batch")
			return map[string]any{"items": []any{item}}
		})
	}},
	{"listTeamScheduled", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"messageContact", teamMembers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.toNewPhone(func(p string) any {
			return map[string]string{"team_id": x.team.ID, "to": p, "body": "Hello from the team"}
		})
	}},
	{"handOffChat", teamMembers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.toNewPhone(func(p string) any {
			return map[string]any{"team_id": x.team.ID, "phone": p, "consent": true, "name": "Chat customer", "chat_ref": x.unique("chat")}
		})
	}},

	// Contacts: seen by those who see one of their conversations, or attached it to their
	// team by a handoff (admins: all); renamed by admins and members of all its teams.
	{"getContact", contactReaders, 200, func(x *authzEnv, c authzCaller) authzReq { return x.contact(c) }},
	{"patchContact", contactRenamers, 200, func(x *authzEnv, c authzCaller) authzReq { return x.patchContactReq(c) }},
	{"contactHistory", contactReaders, 200, func(x *authzEnv, c authzCaller) authzReq { return x.contact(c) }},
	{"exportContactConversations", contactReaders, 200, func(x *authzEnv, c authzCaller) authzReq { return x.contact(c) }},
	{"logOnContact", convViewers, 201, func(x *authzEnv, c authzCaller) authzReq {
		return x.contact(c).with(map[string]string{"body": "Called, left a voicemail", "team_id": x.team.ID})
	}},

	// Teams: members read and switch chat (agents while the team allows it), supervisors
	// own the templates, admins change the settings.
	{"getTeam", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"patchTeam", teamAdmins, 200, func(x *authzEnv, c authzCaller) authzReq { return x.patchTeamReq(c) }},
	{"putChat", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return on("id", x.team.ID).with(map[string]bool{"on": true})
	}},
	{"listTeamMembers", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"teamMetrics", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"exportTeamConversations", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq {
		r := on("id", x.team.ID)
		r.query = "from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&format=json"
		return r
	}},
	{"listWrapUpReasons", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"addWrapUpReason", teamAdmins, 201, func(x *authzEnv, c authzCaller) authzReq { return x.addReasonReq(c) }},
	{"deleteWrapUpReason", teamAdmins, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteReasonReq(c) }},
	{"listTemplates", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"createTemplate", teamSupervisors, 201, func(x *authzEnv, c authzCaller) authzReq { return x.createTemplateReq(c) }},
	{"patchTemplate", teamSupervisors, 200, func(x *authzEnv, c authzCaller) authzReq { return x.patchTemplateReq(c) }},
	{"deleteTemplate", teamSupervisors, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteTemplateReq(c) }},
	{"previewTemplate", teamMembers, 200, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: map[string]string{"team_id": x.team.ID, "body": `Hi {{contact.name | "there"}} from {{team.name}}`}}
	}},

	// The admin API: admins only; any agent, of the team or not, is 403.
	{"createTeam", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: map[string]any{"name": x.unique("Authz team")}}
	}},
	{"addTeamNumber", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq { return x.addNumberReq(c) }},
	{"deleteTeamNumber", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteNumberReq(c) }},
	{"listTeamNumbers", adminOnly, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"patchTeamNumber", adminOnly, 200, func(x *authzEnv, c authzCaller) authzReq { return x.patchNumberReq(c) }},
	{"listMessagingServices", adminOnly, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.team.ID) }},
	{"linkMessagingService", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq { return x.linkServiceReq(c) }},
	{"unlinkMessagingService", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.unlinkServiceReq(c) }},
	{"putTeamMember", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.putMemberReq(c) }},
	{"deleteTeamMember", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteMemberReq(c) }},
	{"createUser", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: map[string]any{"name": "Authz user", "email": x.unique("authz") + "@e2e.invalid", "role": "agent"}}
	}},
	{"createToken", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq { return x.createTokenReq(c) }},
	{"listTokens", adminOnly, 200, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.helper.user.ID) }},
	{"revokeToken", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.revokeTokenReq(c) }},
	{"listUsers", adminOnly, 200, nothing},
	{"patchUser", adminOnly, 200, func(x *authzEnv, c authzCaller) authzReq { return x.patchUserReq(c) }},
	{"revokeUserCredentials", adminOnly, 204, func(x *authzEnv, c authzCaller) authzReq { return x.revokeCredentialsReq(c) }},
	{"createPasswordReset", adminOnly, 201, func(x *authzEnv, c authzCaller) authzReq { return on("id", x.helper.user.ID) }},

	// Signing in and set-password links need no credential (whatever is sent).
	{"createSession", public, 200, func(x *authzEnv, c authzCaller) authzReq {
		return authzReq{body: map[string]string{"email": x.helper.user.Email, "password": testPassword}}
	}},
	{"getPasswordReset", public, 200, func(x *authzEnv, c authzCaller) authzReq { return on("token", x.resetToken()) }},
	{"usePasswordReset", public, 204, func(x *authzEnv, c authzCaller) authzReq {
		return on("token", x.resetToken()).with(map[string]string{"password": testPassword})
	}},
	// The caller's sessions and password.
	{"deleteCurrentSession", signedIn, 204, nothing},
	{"listMySessions", signedIn, 200, nothing},
	{"deleteMySession", signedIn, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteSessionReq(c) }},
	{"listMyTokens", signedIn, 200, nothing},
	{"createMyToken", signedIn, 201, withBody(map[string]string{"label": "script"})},
	{"deleteMyToken", signedIn, 204, func(x *authzEnv, c authzCaller) authzReq { return x.deleteMyTokenReq(c) }},
	{"listAuditEvents", adminOnly, 200, nothing},
	{"changeMyPassword", signedIn, 204, withBody(map[string]string{"current_password": testPassword, "new_password": testPassword})},
}

func TestAuthorizationMatrix(t *testing.T) {
	spec, err := loadOpenAPISpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	rows := map[string]authzRow{}
	for _, r := range authzMatrix {
		if _, dup := rows[r.op]; dup {
			t.Errorf("operation %s has two rows in the authorization matrix", r.op)
		}
		rows[r.op] = r
	}
	ops := specOperations(spec)
	inSpec := map[string]bool{}
	for _, op := range ops {
		inSpec[op.id] = true
		if _, ok := rows[op.id]; !ok {
			t.Errorf("operation %s (%s %s) has no row in the authorization matrix (e2e/authz_test.go): say who may call it", op.id, op.method, op.path)
		}
	}
	for _, r := range authzMatrix {
		if !inSpec[r.op] {
			t.Errorf("the authorization matrix has a row for %s, which is no operation of api/openapi.yaml", r.op)
		}
	}

	s := startStack(t, true, "")
	x := newAuthzEnv(t, s)
	for _, op := range ops {
		row, ok := rows[op.id]
		if !ok {
			continue // reported above
		}
		t.Run(op.id, func(t *testing.T) {
			for kind := range numCallers {
				c := x.caller(kind, row.rule)
				want := ruleStatuses[row.rule][kind]
				if want == 0 {
					want = row.ok
				}
				t.Run(c.name(), func(t *testing.T) {
					x.t = t
					req := row.req(x, c)
					x.check(t, op, req, c.token, c.session, nil, want)
				})
			}
			// Invalid input from a caller who may call it: a JSON body with a field the
			// operation does not take is 400 naming it, as is one that is not JSON, and
			// nothing changes.
			if row.rule != webhook && row.rule != public {
				t.Run("admin_invalid_input", func(t *testing.T) {
					x.t = t
					req := row.req(x, x.caller(admin, row.rule))
					if !isJSONBody(req.body) {
						return // nothing to get wrong in a body
					}
					body := req.body
					req.body = withUnknownField(t, body)
					x.checkRefused(t, op, req, "not_a_field")
					req.body = rawJSON(`{"body":`)
					x.checkRefused(t, op, req, "JSON")
				})
			}
			if row.rule == webhook {
				t.Run("signed_by_twilio", func(t *testing.T) {
					x.t = t
					req := row.req(x, x.caller(admin, webhook))
					x.check(t, op, req, "", nil, x.sign, row.ok)
				})
			}
		})
	}
	x.t = t
	// The refused calls left the shared resources as they were (each was checked after
	// its call too; this catches a change that shows late).
	for _, unchanged := range []func() error{x.sharedConvUnchanged, x.restrictedUnchanged} {
		if err := unchanged(); err != nil {
			t.Error(err)
		}
	}
}

// check makes the call and compares the status with want; a refused call must leave
// what it named unchanged, and no call may fail with a 5xx.
func (x *authzEnv) check(t *testing.T, op specOperation, req authzReq, token string, session *browser, sign func(string, url.Values) string, want int) {
	t.Helper()
	path := op.path
	for name, value := range req.params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(value))
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: the row gives no value for a parameter of %s", op.id, path)
	}
	if req.query != "" {
		path += "?" + req.query
	}
	header := map[string]string{}
	if session != nil {
		header, token = session.header(op.method), ""
	}
	if sign != nil {
		header["X-Twilio-Signature"] = sign(path, req.body.(url.Values))
	}
	a, err := x.s.send(apiRequest{method: op.method, path: path, token: token, header: header, body: req.body})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case a.status >= 500:
		t.Errorf("%s %s: %d %.300s; no caller may get a 5xx (want %d)", op.method, path, a.status, a.body, want)
	case a.status != want:
		t.Errorf("%s %s: %d %.300s; want %d", op.method, path, a.status, a.body, want)
	}
	if want >= 400 && req.unchanged != nil {
		if err := req.unchanged(); err != nil {
			t.Errorf("%s %s must be refused (%d), yet it changed something: %v", op.method, path, want, err)
		}
	}
}

// checkRefused calls op as the admin and expects 400 with a message mentioning says.
func (x *authzEnv) checkRefused(t *testing.T, op specOperation, req authzReq, says string) {
	t.Helper()
	path := op.path
	for name, value := range req.params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(value))
	}
	a, err := x.s.send(apiRequest{method: op.method, path: path, token: x.admin.token, body: req.body})
	if err != nil {
		t.Fatal(err)
	}
	var e apiError
	_ = json.Unmarshal(a.body, &e)
	if a.status != 400 || !strings.Contains(e.Error.Message, says) {
		t.Errorf("%s %s: %d %.300s; want 400 mentioning %q", op.method, path, a.status, a.body, says)
	}
}

// isJSONBody says whether a row's body is sent as a JSON object.
func isJSONBody(body any) bool {
	if body == nil {
		return false
	}
	if _, form := body.(url.Values); form {
		return false
	}
	raw, err := json.Marshal(body)
	return err == nil && len(raw) > 0 && raw[0] == '{'
}

// withUnknownField returns the body as a JSON object with one more field.
func withUnknownField(t *testing.T, body any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["not_a_field"] = 1
	return m
}

// sign is X-Twilio-Signature for a form posted to path, as Twilio signs it.
func (x *authzEnv) sign(path string, form url.Values) string {
	return twilioemu.Sign(authToken, x.s.apiURL+path, form)
}

// specOperation is one operation of api/openapi.yaml.
type specOperation struct{ id, method, path string }

// specOperations lists the document's operations by path and method; one without an
// operationId is named "METHOD path".
func specOperations(spec *openAPISpec) []specOperation {
	var ops []specOperation
	for path, item := range spec.doc.Paths.Map() {
		for method, op := range item.Operations() {
			id := op.OperationID
			if id == "" {
				id = method + " " + path
			}
			ops = append(ops, specOperation{id, method, path})
		}
	}
	slices.SortFunc(ops, func(a, b specOperation) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return ops
}

// nothing: the call needs no parameters and no body.
func nothing(*authzEnv, authzCaller) authzReq { return authzReq{} }

// withBody: the call needs only this body.
func withBody(body any) func(*authzEnv, authzCaller) authzReq {
	return func(*authzEnv, authzCaller) authzReq { return authzReq{body: body} }
}

// on is a call with one path parameter.
func on(name, value string) authzReq { return authzReq{params: map[string]string{name: value}} }
