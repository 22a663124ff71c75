package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// apiRequest is one request to the API, made with send.
type apiRequest struct {
	method, path, token string
	header              map[string]string
	// body is sent as a form if it is url.Values, as JSON otherwise (nil: no body).
	body any
}

// rawJSON is a body sent as it is, as application/json (e.g. one that is not JSON).
type rawJSON string

// apiAnswer is the API's answer to an apiRequest.
type apiAnswer struct {
	status      int
	contentType string
	body        []byte // empty for an event stream (not read)
	header      http.Header
}

// decode reads the answer's JSON body into out.
func (a apiAnswer) decode(out any) error {
	if err := json.Unmarshal(a.body, out); err != nil {
		return fmt.Errorf("decode %.300q: %w", a.body, err)
	}
	return nil
}

// errorCode is the code of an error answer ("" if it is not one).
func (a apiAnswer) errorCode() string {
	var e apiError
	_ = json.Unmarshal(a.body, &e)
	return e.Error.Code
}

// send makes req through the validating client (s.apiClient) and returns the answer.
// Unlike s.call it never stops the test, so any goroutine may use it. An event stream
// is closed as soon as its status and headers are in.
func (s *stack) send(req apiRequest) (apiAnswer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rd io.Reader
	contentType := ""
	switch b := req.body.(type) {
	case nil:
	case url.Values:
		rd, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case rawJSON:
		rd, contentType = strings.NewReader(string(b)), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return apiAnswer{}, err
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	r, err := http.NewRequestWithContext(ctx, req.method, s.apiURL+req.path, rd)
	if err != nil {
		return apiAnswer{}, err
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	resp, err := s.apiClient.Do(r)
	if err != nil {
		return apiAnswer{}, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	defer resp.Body.Close()
	a := apiAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header}
	if strings.HasPrefix(a.contentType, "text/event-stream") {
		return a, nil // the stream does not end; the deferred cancel closes it
	}
	if a.body, err = io.ReadAll(resp.Body); err != nil {
		return a, fmt.Errorf("%s %s: read the answer: %w", req.method, req.path, err)
	}
	return a, nil
}

// Who may call an operation (a row's rule), and what each caller gets.
type authzRule int

const (
	public      authzRule = iota // anyone, no token needed
	webhook                      // Twilio: refused (403) unless signed, whatever token is sent
	signedIn                     // any caller with a valid token
	teamMembers                  // a team's resource: its members and admins; another team's agent 404
	teamAdmins                   // changes a team's resource: admins; its members 403, another team's agent 404
	adminOnly                    // the admin API: admins; any agent 403
	// teamSupervisors changes what a team's supervisors own (its templates): supervisors
	// and admins; its agents 403; another team's users (its supervisors too) 404.
	teamSupervisors
	// convViewers: a conversation, or what hangs on one (its contact, its scheduled
	// messages): those who may see it, i.e. admins and the team's members, but of a
	// restricted conversation only those it lists; anyone else 404.
	convViewers
	convAdmins // deletes a conversation: admins; those who see it 403, anyone else 404
	// contactReaders: a contact: as convViewers, and the agent who attached it to their
	// own team by a chat handoff sees it too.
	contactReaders
	// contactRenamers changes a contact's organisation-wide fields (name, ref): admins,
	// and members of every team it has talked to; the shared contact talked to the team
	// and (by the attacher's handoff) another team, so its viewers get 403.
	contactRenamers
)

// callerKind is who calls.
type callerKind int

const (
	anonymous       callerKind = iota // no Authorization header
	invalidToken                      // a bearer token the API never issued
	member                            // an agent of the resource's team
	unlisted                          // an agent of the team, calling on a restricted conversation that does not list them
	outsider                          // an agent of another team
	admin                             // an admin (a member of the team too)
	supervisor                        // a supervisor of the team
	otherSupervisor                   // a supervisor of another team
	cookieSession                     // the team agent, signed in with a session cookie (and the CSRF token)
	disabledUser                      // a disabled agent of the team, with their (unrevoked) token
	expiredSession                    // the team agent's session cookie, past its lifetime
	revokedSession                    // the team agent's session cookie, signed out
	attacher                          // an agent of another team who attached the shared contact to it by a chat handoff
	revokedToken                      // a bearer token of the team agent, revoked by an admin
	numCallers
)

var callerNames = [numCallers]string{"anonymous", "invalid_token", "team_agent", "unlisted_team_agent", "other_team_agent", "admin",
	"team_supervisor", "other_team_supervisor", "cookie_session", "disabled_user", "expired_session", "revoked_session", "handoff_attacher", "revoked_token"}

// ruleStatuses is the status each caller gets under each rule; 0 is the row's status of
// an allowed call. What a caller may not see is 404, never 403: its existence is not
// revealed.
// The cookie session is the team agent: it gets what they get.
var ruleStatuses = map[authzRule][numCallers]int{
	//               anonymous invalid member unlisted outsider admin supervisor other_supervisor cookie disabled expired revoked attacher revoked_token
	public:          {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	webhook:         {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403},
	signedIn:        {401, 401, 0, 0, 0, 0, 0, 0, 0, 401, 401, 401, 0, 401},
	teamMembers:     {401, 401, 0, 0, 404, 0, 0, 404, 0, 401, 401, 401, 404, 401},
	teamAdmins:      {401, 401, 403, 403, 404, 0, 403, 404, 403, 401, 401, 401, 404, 401},
	adminOnly:       {401, 401, 403, 403, 403, 0, 403, 403, 403, 401, 401, 401, 403, 401},
	teamSupervisors: {401, 401, 403, 403, 404, 0, 0, 404, 403, 401, 401, 401, 404, 401},
	convViewers:     {401, 401, 0, 404, 404, 0, 0, 404, 0, 401, 401, 401, 404, 401},
	convAdmins:      {401, 401, 403, 404, 404, 0, 403, 404, 403, 401, 401, 401, 404, 401},
	contactReaders:  {401, 401, 0, 404, 404, 0, 0, 404, 0, 401, 401, 401, 0, 401},
	contactRenamers: {401, 401, 403, 404, 404, 0, 403, 404, 403, 401, 401, 401, 403, 401},
}

// authzRow is a row of the authorization matrix.
type authzRow struct {
	op   string    // operationId in api/openapi.yaml
	rule authzRule // who may call it
	ok   int       // the status of an allowed call
	// req builds the call for a caller, setting up what it needs.
	req func(x *authzEnv, c authzCaller) authzReq
}

// authzReq is a call of the row's operation.
type authzReq struct {
	params map[string]string // path parameters
	query  string
	body   any // JSON, or url.Values for a form
	// unchanged, if set, says whether what the call named is as it was; it is asked
	// after a refused call.
	unchanged func() error
}

// with returns r with this body.
func (r authzReq) with(body any) authzReq {
	r.body = body
	return r
}

// param returns r with one more path parameter.
func (r authzReq) param(name, value string) authzReq {
	params := map[string]string{name: value}
	for k, v := range r.params {
		params[k] = v
	}
	r.params = params
	return r
}

// authzCaller is one caller of one row.
type authzCaller struct {
	kind  callerKind
	token string
	user  store.User // zero for anonymous, invalid_token and the disabled user
	// session, if set, is what the call is sent with instead of the token (which the
	// caller's setup calls still use).
	session *browser
	// allowed: the row's rule lets this caller through, so the call should succeed and
	// gets fresh resources where it changes them.
	allowed bool
}

func (c authzCaller) name() string { return callerNames[c.kind] }
func (c authzCaller) agent() agent { return agent{c.user, c.token} }

// authzEnv holds the resources the matrix calls name.
type authzEnv struct {
	s    *stack
	t    *testing.T // the running sub-test: a failed setup stops it
	team store.Team
	// member, unlisted (a member the restricted conversation does not list), outsider
	// (another team's agent) and admin call; helper is another member of the team (an
	// owner to be conferenced by, a user to transfer to).
	member, unlisted, outsider, admin, helper agent
	// supervisor supervises the team; otherSupervisor the outsider's team.
	supervisor, otherSupervisor agent
	// attacher is an agent of another team who handed the shared conversation's
	// contact off to it (issue 13).
	attacher agent
	// disabled is a disabled agent of the team; expired and revoked are ended sessions
	// of the member.
	disabled agent
	// revokedToken is a token of the member that an admin revoked.
	revokedToken     string
	expired, revoked *browser
	// Shared resources, for reads and for refused calls (which must leave them as they
	// are): an unassigned conversation in New and its contact, a template, a pending
	// scheduled message.
	conv        store.Conversation
	template    store.Template
	scheduledID string
	// restricted is the helper's conversation, visible to them only (and admins), with
	// a pending scheduled message: what the unlisted caller names.
	restricted            store.Conversation
	restrictedScheduledID string
	pool                  []string // fresh unassigned conversations, made ahead
	n                     int
}

// authzPool is how many fresh conversations are made ahead, in parallel: about what the
// matrix's allowed state-changing calls take; more are made one by one.
const authzPool = 24

func newAuthzEnv(t *testing.T, s *stack) *authzEnv {
	t.Helper()
	ctx := context.Background()
	x := &authzEnv{s: s, t: t, member: agent{s.agent, s.agentTok}}
	x.admin = s.newAdmin("authz-admin", s.team.ID)
	x.helper = s.newAgent("helper", "")
	x.unlisted = s.newAgent("unlisted", "")
	x.outsider.token = s.outsider
	if code := s.call("GET", "/v1/me", s.outsider, nil, &x.outsider.user); code != http.StatusOK {
		t.Fatalf("GET /v1/me as the other team's agent: %d", code)
	}
	for _, a := range []agent{x.member, x.unlisted, x.outsider, x.admin, x.helper} {
		s.withPassword(a.user)
	}
	x.disabled = s.newAgent("disabled", "")
	if _, err := s.store.SetDisabled(ctx, x.disabled.user.ID, true); err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.store.IssueToken(ctx, x.member.user.ID, "revoked", nil)
	if err == nil {
		err = s.store.RevokeToken(ctx, x.member.user.ID, tok.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	x.revokedToken = secret
	x.expired, _ = s.sessionFor(x.member.user, -time.Second)
	var revoked store.Session
	x.revoked, revoked = s.sessionFor(x.member.user, time.Hour)
	if err := s.store.DeleteSession(ctx, x.member.user.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	x.supervisor = s.newAgent("supervisor", "")
	if err := s.store.PutTeamMember(ctx, s.team.ID, x.supervisor.user.ID, store.TeamRoleSupervisor); err != nil {
		t.Fatal(err)
	}
	other, err := s.store.CreateUser(ctx, "Other supervisor", fmt.Sprintf("other-sup-%d@e2e.invalid", time.Now().UnixNano()),
		store.RoleAgent, nil)
	if err == nil {
		err = s.store.PutTeamMember(ctx, x.outsider.user.TeamIDs[0], other.ID, store.TeamRoleSupervisor)
	}
	x.otherSupervisor = agent{other, store.NewToken()}
	if err == nil {
		err = s.store.AddToken(ctx, other.ID, x.otherSupervisor.token, "e2e")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.withPassword(x.supervisor.user)
	s.withPassword(x.otherSupervisor.user)
	if x.team, err = s.store.Team(ctx, s.team.ID); err != nil {
		t.Fatal(err)
	}
	ids := x.newConversations(authzPool + 1)
	x.conv, x.pool = x.conversation(ids[0]), ids[1:]
	restricted := x.ownedBy(x.helper)
	x.act(x.helper, "PUT", "/v1/conversations/"+restricted+"/visibility", map[string][]string{"user_ids": {x.helper.user.ID}}, http.StatusOK)
	x.restricted = x.conversation(restricted)
	var sm store.ScheduledMessage
	if err := x.act(x.helper, "POST", "/v1/scheduled-messages", x.scheduleBody(x.restricted.ContactPhone), http.StatusCreated).decode(&sm); err != nil {
		t.Fatal(err)
	}
	if sm.ConversationID == nil || *sm.ConversationID != restricted {
		t.Fatalf("a message scheduled for the restricted conversation's contact: %+v; want it in %s", sm, restricted)
	}
	x.restrictedScheduledID = sm.ID
	if err := x.restrictedUnchanged(); err != nil {
		t.Fatal(err)
	}
	if x.template, err = s.store.CreateTemplate(ctx, s.team.ID, "Authz greeting", "Hello {{name}}"); err != nil {
		t.Fatal(err)
	}
	x.scheduledID = x.schedule(x.member, newPhone())
	x.attachShared()
	return x
}

// attachShared makes the attacher: an agent of a team of their own who hands the
// shared conversation's contact off to it, which makes the contact visible to them.
func (x *authzEnv) attachShared() {
	x.t.Helper()
	ctx := context.Background()
	team, err := x.s.store.CreateTeam(ctx, x.unique("Attacher team"), true, "", []string{newPhone()})
	if err != nil {
		x.t.Fatal(err)
	}
	u, tok := x.s.addUser(ctx, team.ID, "attacher")
	u.TeamIDs = []string{team.ID}
	x.attacher = agent{u, tok}
	x.s.withPassword(u)
	x.act(x.attacher, "POST", "/v1/chat-handoffs", map[string]any{"team_id": team.ID, "phone": x.conv.ContactPhone,
		"consent": true, "name": "Attached", "chat_ref": x.unique("chat")}, http.StatusCreated)
}

// caller is the caller of kind for a row with rule.
func (x *authzEnv) caller(kind callerKind, rule authzRule) authzCaller {
	c := authzCaller{kind: kind, allowed: ruleStatuses[rule][kind] == 0}
	switch kind {
	case invalidToken:
		c.token = "tdk_" + strings.Repeat("0", 43)
	case member:
		c.token, c.user = x.member.token, x.member.user
	case unlisted:
		c.token, c.user = x.unlisted.token, x.unlisted.user
	case outsider:
		c.token, c.user = x.outsider.token, x.outsider.user
	case admin:
		c.token, c.user = x.admin.token, x.admin.user
	case cookieSession:
		// A fresh session per call: some calls end the caller's sessions.
		c.token, c.user = x.member.token, x.member.user
		c.session, _ = x.s.sessionFor(x.member.user, time.Hour)
	case disabledUser:
		c.token = x.disabled.token
	case expiredSession:
		c.session = x.expired
	case revokedSession:
		c.session = x.revoked
	case revokedToken:
		c.token = x.revokedToken
	case supervisor:
		c.token, c.user = x.supervisor.token, x.supervisor.user
	case otherSupervisor:
		c.token, c.user = x.otherSupervisor.token, x.otherSupervisor.user
	case attacher:
		c.token, c.user = x.attacher.token, x.attacher.user
	}
	return c
}

// self is the caller's user id (the team agent's for callers without one), for bodies
// that name the caller.
func (x *authzEnv) self(c authzCaller) string {
	if c.user.ID == "" {
		return x.member.user.ID
	}
	return c.user.ID
}

// unique returns prefix with a number no other call of the run uses.
func (x *authzEnv) unique(prefix string) string {
	x.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1_000_000, x.n)
}

// act makes a setup call as a, which must answer want.
func (x *authzEnv) act(a agent, method, path string, body any, want int) apiAnswer {
	x.t.Helper()
	ans, err := x.s.send(apiRequest{method: method, path: path, token: a.token, body: body})
	if err != nil || ans.status != want {
		x.t.Fatalf("setup: %s %s as %s: %d %.300s %v; want %d", method, path, a.user.Name, ans.status, ans.body, err, want)
	}
	return ans
}

// newConversations has n new customers text the team at once and returns their
// conversations' ids (unassigned, in New: nobody is available).
func (x *authzEnv) newConversations(n int) []string {
	x.t.Helper()
	phones := make([]string, n)
	for i := range phones {
		phones[i] = newPhone()
	}
	errs := make(chan error, n)
	for _, p := range phones {
		go func() {
			_, code, err := x.s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: p, To: x.s.teamPhone, Body: "I need help"})
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("inbound from %s: %d", p, code)
			}
			errs <- err
		}()
	}
	for range phones {
		if err := <-errs; err != nil {
			x.t.Fatal(err)
		}
	}
	byPhone := map[string]string{}
	eventuallyWithin(x.t, fmt.Sprintf("%d new conversations", n), time.Minute, func() bool {
		cursor := ""
		for {
			var page store.ConversationPage
			ans, err := x.s.send(apiRequest{method: "GET", path: "/v1/conversations?limit=200&cursor=" + url.QueryEscape(cursor), token: x.admin.token})
			if err != nil || ans.status != http.StatusOK || ans.decode(&page) != nil {
				return false
			}
			for _, c := range page.Conversations {
				if slices.Contains(phones, c.ContactPhone) && c.Status == "new" {
					byPhone[c.ContactPhone] = c.ID
				}
			}
			if page.NextCursor == "" {
				return len(byPhone) == n
			}
			cursor = page.NextCursor
		}
	})
	ids := make([]string, n)
	for i, p := range phones {
		ids[i] = byPhone[p]
	}
	return ids
}

func (x *authzEnv) conversation(id string) store.Conversation {
	x.t.Helper()
	c, err := x.s.store.Conversation(context.Background(), id)
	if err != nil {
		x.t.Fatal(err)
	}
	return c
}

// onConv is a call on a conversation: for an allowed caller one that setup makes for
// them (setup nil: the shared one); for the unlisted caller the restricted one, for the
// others the shared one, which the call must leave unchanged.
func (x *authzEnv) onConv(c authzCaller, setup func(agent) string) authzReq {
	switch {
	case c.kind == unlisted:
		r := on("id", x.restricted.ID)
		r.unchanged = x.restrictedUnchanged
		return r
	case !c.allowed:
		r := on("id", x.conv.ID)
		r.unchanged = x.sharedConvUnchanged
		return r
	case setup == nil:
		return on("id", x.conv.ID)
	}
	return on("id", setup(c.agent()))
}

// sharedConvUnchanged says whether the shared conversation is still unassigned in New.
func (x *authzEnv) sharedConvUnchanged() error {
	c, err := x.s.store.Conversation(context.Background(), x.conv.ID)
	if err != nil {
		return fmt.Errorf("the shared conversation: %w", err)
	}
	if c.Status != "new" || len(c.Assignees) != 0 || c.OfferedTo != nil || c.ClosedAt != nil || c.TeamID != x.team.ID {
		return fmt.Errorf("the shared conversation is now %s in team %s, assignees %v, offered to %v, closed at %v; want new, unassigned",
			c.Status, c.TeamID, c.Assignees, c.OfferedTo, c.ClosedAt)
	}
	return nil
}

// restrictedUnchanged says whether the restricted conversation is still the helper's,
// visible to them only.
func (x *authzEnv) restrictedUnchanged() error {
	c, err := x.s.store.Conversation(context.Background(), x.restricted.ID)
	if err != nil {
		return fmt.Errorf("the restricted conversation: %w", err)
	}
	if c.Status != "active" || !slices.Equal(c.Assignees, []string{x.helper.user.ID}) || c.OfferedTo != nil ||
		!slices.Equal(c.VisibleTo, []string{x.helper.user.ID}) {
		return fmt.Errorf("the restricted conversation is now %s, assignees %v, offered to %v, visible to %v; want active, the helper's, visible to them",
			c.Status, c.Assignees, c.OfferedTo, c.VisibleTo)
	}
	sm, err := x.s.store.Scheduled(context.Background(), x.restrictedScheduledID)
	if err == nil && sm.Status != "pending" {
		err = fmt.Errorf("the restricted conversation's scheduled message is %s", sm.Status)
	}
	return err
}

// contact is the contact a call names: the restricted conversation's for the unlisted
// caller, the shared conversation's for the others.
func (x *authzEnv) contact(c authzCaller) authzReq {
	if c.kind == unlisted {
		return on("id", x.restricted.ContactID)
	}
	return on("id", x.conv.ContactID)
}

// unassigned is a fresh conversation in New, nobody's.
func (x *authzEnv) unassigned(agent) string {
	x.t.Helper()
	if len(x.pool) == 0 {
		x.pool = x.newConversations(1)
	}
	id := x.pool[0]
	x.pool = x.pool[1:]
	return id
}

// ownedBy is a fresh conversation assigned to a (active, a the owner).
func (x *authzEnv) ownedBy(a agent) string {
	x.t.Helper()
	id := x.unassigned(a)
	x.act(x.admin, "POST", "/v1/conversations/"+id+"/assign", map[string][]string{"user_ids": {a.user.ID}}, http.StatusOK)
	return id
}

// offeredTo is a fresh conversation the helper owns and invites a to join.
func (x *authzEnv) offeredTo(a agent) string {
	x.t.Helper()
	id := x.ownedBy(x.helper)
	x.act(x.helper, "POST", "/v1/conversations/"+id+"/conference", map[string]string{"user_id": a.user.ID}, http.StatusOK)
	return id
}

// conferenced is a fresh conversation the helper owns and a joined.
func (x *authzEnv) conferenced(a agent) string {
	x.t.Helper()
	id := x.offeredTo(a)
	x.act(a, "POST", "/v1/conversations/"+id+"/accept", nil, http.StatusOK)
	return id
}

// ended is a fresh conversation a owns, in wrap-up.
func (x *authzEnv) ended(a agent) string {
	x.t.Helper()
	id := x.ownedBy(a)
	x.act(a, "POST", "/v1/conversations/"+id+"/end", nil, http.StatusOK)
	return id
}

// archived is a fresh conversation a owned, archived (closed).
func (x *authzEnv) archived(a agent) string {
	x.t.Helper()
	id := x.ownedBy(a)
	x.act(a, "POST", "/v1/conversations/"+id+"/archive", nil, http.StatusOK)
	return id
}

// schedule has a schedule a message to phone, due in an hour, and returns its id.
func (x *authzEnv) schedule(a agent, phone string) string {
	x.t.Helper()
	var sm store.ScheduledMessage
	ans := x.act(a, "POST", "/v1/scheduled-messages", x.scheduleBody(phone), http.StatusCreated)
	if err := ans.decode(&sm); err != nil {
		x.t.Fatal(err)
	}
	return sm.ID
}

func (x *authzEnv) scheduleBody(phone string) map[string]any {
	return map[string]any{"team_id": x.team.ID, "to": phone, "body": "See you tomorrow", "send_at": time.Now().Add(time.Hour).UTC().Truncate(time.Second)}
}

// toNewPhone is a call with body(a new number), which a refused call must not make a
// contact of.
func (x *authzEnv) toNewPhone(body func(phone string) any) authzReq {
	phone := newPhone()
	return authzReq{body: body(phone), unchanged: func() error {
		if _, err := x.s.store.ContactByPhone(context.Background(), phone); err == nil {
			return fmt.Errorf("contact %s was created", phone)
		}
		return nil
	}}
}

// cancelReq cancels a fresh scheduled message (allowed) or the shared one (refused:
// it stays pending).
func (x *authzEnv) cancelReq(c authzCaller) authzReq {
	switch {
	case c.kind == unlisted:
		r := on("id", x.restrictedScheduledID)
		r.unchanged = x.restrictedUnchanged
		return r
	case c.allowed:
		return on("id", x.schedule(x.member, newPhone()))
	}
	r := on("id", x.scheduledID)
	r.unchanged = func() error {
		sm, err := x.s.store.Scheduled(context.Background(), x.scheduledID)
		if err == nil && sm.Status != "pending" {
			err = fmt.Errorf("the shared scheduled message is %s", sm.Status)
		}
		return err
	}
	return r
}

// patchContactReq renames the contact.
func (x *authzEnv) patchContactReq(c authzCaller) authzReq {
	name := "Named by " + c.name()
	r := x.contact(c).with(map[string]string{"name": name})
	id := r.params["id"]
	r.unchanged = func() error {
		ct, err := x.s.store.ContactByID(context.Background(), id)
		if err == nil && ct.Name == name {
			err = fmt.Errorf("the contact was renamed %q", name)
		}
		return err
	}
	return r
}

// teamUnchanged is an unchanged func for the team: changed says whether the call's
// change shows.
func (x *authzEnv) teamUnchanged(changed func(store.Team) bool, what string) func() error {
	return func() error {
		team, err := x.s.store.Team(context.Background(), x.team.ID)
		if err == nil && changed(team) {
			err = fmt.Errorf("the team's %s changed", what)
		}
		return err
	}
}

func (x *authzEnv) patchTeamReq(c authzCaller) authzReq {
	help := "Text HELP (" + c.name() + ")"
	r := on("id", x.team.ID).with(map[string]string{"help_text": help})
	r.unchanged = x.teamUnchanged(func(t store.Team) bool { return t.HelpText == help }, "help text")
	return r
}

func (x *authzEnv) addReasonReq(c authzCaller) authzReq {
	reason := x.unique("Reason")
	r := on("id", x.team.ID).with(map[string]string{"reason": reason})
	r.unchanged = x.teamUnchanged(func(t store.Team) bool { return slices.Contains(t.WrapUpReasons, reason) }, "wrap-up reasons")
	return r
}

// deleteReasonReq removes a reason added for the call.
func (x *authzEnv) deleteReasonReq(c authzCaller) authzReq {
	reason := x.unique("Old reason")
	if err := x.s.store.AddWrapUpReason(context.Background(), x.team.ID, reason); err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.team.ID).param("reason", reason)
	r.unchanged = x.teamUnchanged(func(t store.Team) bool { return !slices.Contains(t.WrapUpReasons, reason) }, "wrap-up reasons")
	return r
}

func (x *authzEnv) createTemplateReq(c authzCaller) authzReq {
	name := x.unique("Template")
	r := on("id", x.team.ID).with(map[string]string{"name": name, "body": "Hi {{name}}"})
	r.unchanged = func() error {
		ts, err := x.s.store.Templates(context.Background(), x.team.ID)
		if err == nil && slices.ContainsFunc(ts, func(t store.Template) bool { return t.Name == name }) {
			err = fmt.Errorf("template %q was created", name)
		}
		return err
	}
	return r
}

// patchTemplateReq changes the shared template's body.
func (x *authzEnv) patchTemplateReq(c authzCaller) authzReq {
	body := "Hello {{name}}, from " + c.name()
	r := on("id", x.team.ID).param("template_id", x.template.ID).with(map[string]string{"body": body})
	r.unchanged = func() error {
		t, err := x.s.store.Template(context.Background(), x.team.ID, x.template.ID)
		if err == nil && t.Body == body {
			err = fmt.Errorf("the template's body was changed")
		}
		return err
	}
	return r
}

// deleteTemplateReq removes a template made for the call.
func (x *authzEnv) deleteTemplateReq(c authzCaller) authzReq {
	t, err := x.s.store.CreateTemplate(context.Background(), x.team.ID, x.unique("Doomed"), "Bye")
	if err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.team.ID).param("template_id", t.ID)
	r.unchanged = func() error {
		_, err := x.s.store.Template(context.Background(), x.team.ID, t.ID)
		return err
	}
	return r
}

func (x *authzEnv) addNumberReq(c authzCaller) authzReq {
	number := newPhone()
	r := on("id", x.team.ID).with(map[string]string{"number": number})
	r.unchanged = func() error {
		if _, err := x.s.store.TeamByNumber(context.Background(), number); err == nil {
			return fmt.Errorf("%s was given to a team", number)
		}
		return nil
	}
	return r
}

// deleteNumberReq takes from the team a number given to it for the call.
func (x *authzEnv) deleteNumberReq(c authzCaller) authzReq {
	number := newPhone()
	if err := x.s.store.AddTeamNumber(context.Background(), x.team.ID, number); err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.team.ID).param("number", number)
	r.unchanged = func() error {
		_, err := x.s.store.TeamByNumber(context.Background(), number)
		return err
	}
	return r
}

// patchNumberReq sets the send rate of a number given to the team for the call.
func (x *authzEnv) patchNumberReq(c authzCaller) authzReq {
	number := newPhone()
	if err := x.s.store.AddTeamNumber(context.Background(), x.team.ID, number); err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.team.ID).param("number", number).with(map[string]any{"send_rate": 10})
	r.unchanged = func() error {
		if rate, err := x.s.store.SendRateOf(context.Background(), number, 0.5); err != nil || rate != 0.5 {
			return fmt.Errorf("%s has send rate %v (%v); want none of its own", number, rate, err)
		}
		return nil
	}
	return r
}

// newServiceSID is a fresh Messaging Service SID.
func newServiceSID() string { return "MG" + strings.ReplaceAll(uuid.NewString(), "-", "") }

// linkServiceReq links a fresh Messaging Service to the team.
func (x *authzEnv) linkServiceReq(c authzCaller) authzReq {
	sid := newServiceSID()
	r := on("id", x.team.ID).with(map[string]string{"sid": sid})
	r.unchanged = func() error {
		if _, err := x.s.store.TeamByMessagingService(context.Background(), sid); err == nil {
			return fmt.Errorf("%s was linked to a team", sid)
		}
		return nil
	}
	return r
}

// unlinkServiceReq unlinks a Messaging Service linked to the team for the call.
func (x *authzEnv) unlinkServiceReq(c authzCaller) authzReq {
	sid := newServiceSID()
	if _, err := x.s.store.LinkMessagingService(context.Background(), x.team.ID, sid); err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.team.ID).param("sid", sid)
	r.unchanged = func() error {
		_, err := x.s.store.TeamByMessagingService(context.Background(), sid)
		return err
	}
	return r
}

// readReq marks the shared conversation read up to its first message (the restricted
// one's for the unlisted caller, who must get 404 before the message is looked at).
func (x *authzEnv) readReq(c authzCaller) authzReq {
	msgs, err := x.s.store.Messages(context.Background(), x.conv.ID)
	if err != nil || len(msgs) == 0 {
		x.t.Fatalf("the shared conversation's messages: %v %v", msgs, err)
	}
	return x.onConv(c, nil).with(map[string]string{"message_id": msgs[0].ID})
}

// newUser creates an agent (no token) in teamIDs.
func (x *authzEnv) newUser(teamIDs ...string) store.User {
	x.t.Helper()
	u, err := x.s.store.CreateUser(context.Background(), "Authz user", x.unique("authz-user")+"@e2e.invalid", store.RoleAgent, teamIDs)
	if err != nil {
		x.t.Fatal(err)
	}
	return u
}

// memberUnchanged: whether u's membership of the team is still wantMember.
func (x *authzEnv) memberUnchanged(u store.User, wantMember bool) func() error {
	return func() error {
		got, err := x.s.store.UserByID(context.Background(), u.ID)
		if err == nil && slices.Contains(got.TeamIDs, x.team.ID) != wantMember {
			err = fmt.Errorf("user %s's teams are now %v", u.ID, got.TeamIDs)
		}
		return err
	}
}

func (x *authzEnv) putMemberReq(c authzCaller) authzReq {
	u := x.newUser()
	r := on("id", x.team.ID).param("user_id", u.ID)
	r.unchanged = x.memberUnchanged(u, false)
	return r
}

func (x *authzEnv) deleteMemberReq(c authzCaller) authzReq {
	u := x.newUser(x.team.ID)
	r := on("id", x.team.ID).param("user_id", u.ID)
	r.unchanged = x.memberUnchanged(u, true)
	return r
}

// createTokenReq issues the helper a token; a refused call issues none.
func (x *authzEnv) createTokenReq(c authzCaller) authzReq {
	before, err := x.s.store.Tokens(context.Background(), x.helper.user.ID)
	if err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.helper.user.ID).with(map[string]string{"label": "authz " + c.name()})
	r.unchanged = func() error {
		after, err := x.s.store.Tokens(context.Background(), x.helper.user.ID)
		if err == nil && len(after) != len(before) {
			err = fmt.Errorf("the helper has %d tokens, had %d", len(after), len(before))
		}
		return err
	}
	return r
}

// revokeTokenReq revokes a token issued to the helper for the call; refused, the token
// still works.
func (x *authzEnv) revokeTokenReq(c authzCaller) authzReq {
	tok, secret, err := x.s.store.IssueToken(context.Background(), x.helper.user.ID, "to revoke", nil)
	if err != nil {
		x.t.Fatal(err)
	}
	r := on("id", x.helper.user.ID).param("token_id", tok.ID)
	r.unchanged = func() error {
		_, err := x.s.store.UserByToken(context.Background(), secret)
		return err
	}
	return r
}

// deleteMyTokenReq revokes a fresh token of the caller; a refused call names one of
// the member's, which must keep working (nobody revokes another's token through
// /v1/me/tokens).
func (x *authzEnv) deleteMyTokenReq(c authzCaller) authzReq {
	owner := x.member.user.ID
	if c.allowed {
		owner = c.user.ID
	}
	tok, secret, err := x.s.store.IssueToken(context.Background(), owner, "to revoke", nil)
	if err != nil {
		x.t.Fatal(err)
	}
	r := on("id", tok.ID)
	if !c.allowed {
		r.unchanged = func() error {
			_, err := x.s.store.UserByToken(context.Background(), secret)
			return err
		}
	}
	return r
}

// deleteSessionReq ends a fresh session of the caller; a refused call names one of the
// member's, which must stay.
func (x *authzEnv) deleteSessionReq(c authzCaller) authzReq {
	if c.allowed {
		_, ses := x.s.sessionFor(c.user, time.Hour)
		return on("id", ses.ID)
	}
	b, ses := x.s.sessionFor(x.member.user, time.Hour)
	r := on("id", ses.ID)
	r.unchanged = func() error {
		_, _, err := x.s.store.UserBySession(context.Background(), b.cookie, time.Hour)
		return err
	}
	return r
}

// resetToken is the secret of a fresh set-password link for a fresh user.
func (x *authzEnv) resetToken() string {
	x.t.Helper()
	secret, _, err := x.s.store.CreatePasswordReset(context.Background(), x.newUser().ID, time.Hour)
	if err != nil {
		x.t.Fatal(err)
	}
	return secret
}

// patchUserReq disables a fresh user; refused, they stay enabled.
func (x *authzEnv) patchUserReq(c authzCaller) authzReq {
	u := x.newUser(x.team.ID)
	r := on("id", u.ID).with(map[string]bool{"disabled": true})
	r.unchanged = func() error {
		a, err := x.s.store.AccountByID(context.Background(), u.ID)
		if err == nil && a.Disabled {
			err = fmt.Errorf("user %s was disabled", u.ID)
		}
		return err
	}
	return r
}

// revokeCredentialsReq ends every credential of a fresh user with a token; refused,
// the token still works.
func (x *authzEnv) revokeCredentialsReq(c authzCaller) authzReq {
	u := x.newUser(x.team.ID)
	_, secret, err := x.s.store.IssueToken(context.Background(), u.ID, "to revoke", nil)
	if err != nil {
		x.t.Fatal(err)
	}
	r := on("id", u.ID)
	r.unchanged = func() error {
		_, err := x.s.store.UserByToken(context.Background(), secret)
		return err
	}
	return r
}
