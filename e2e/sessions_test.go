package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/store"
	"github.com/textdesk/textdesk/twilioemu"
)

// streamClose is how soon a stream must end after its credential stops holding (the
// API re-checks every 2 s).
const streamClose = 8 * time.Second

type invitationBody struct {
	store.User
	SetPasswordURL       string    `json:"set_password_url"`
	SetPasswordExpiresAt time.Time `json:"set_password_expires_at"`
}

// An invited user sets a password with their link (once), signs in, gets events on a
// stream opened with the cookie alone, is refused a cross-site change, and signs out:
// the stream ends and the cookie no longer works.
func TestSessionInviteSignInStreamSignOut(t *testing.T) {
	s := startStack(t, true, "")
	admin := s.newAdmin("sessions-admin", s.team.ID)
	email := fmt.Sprintf("invited-%d@e2e.invalid", time.Now().UnixNano())

	var inv invitationBody
	ans := s.mustSend(apiRequest{method: "POST", path: "/v1/users", token: admin.token,
		body: map[string]any{"name": "Ivy Invited", "email": email, "role": "agent", "team_ids": []string{s.team.ID}}}, http.StatusCreated)
	if err := ans.decode(&inv); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(inv.SetPasswordURL)
	if err != nil || !strings.HasPrefix(inv.SetPasswordURL, s.apiURL+"/set-password?token=") || link.Query().Get("token") == "" {
		t.Fatalf("set_password_url %q; want PUBLIC_URL/set-password?token=…", inv.SetPasswordURL)
	}
	if d := time.Until(inv.SetPasswordExpiresAt); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("set_password_expires_at %s; want in 72 h", inv.SetPasswordExpiresAt)
	}
	reset := "/v1/password-resets/" + link.Query().Get("token")

	// Before a password is set, signing in fails like a wrong password.
	if _, a := s.trySignIn(email, testPassword, nil); a.status != http.StatusUnauthorized || a.me.Error.Message != "wrong email or password" {
		t.Errorf("sign in before setting a password: %d %s", a.status, a.body)
	}
	var who struct {
		Email, Name string
		ExpiresAt   time.Time `json:"expires_at"`
	}
	if err := s.mustSend(apiRequest{method: "GET", path: reset}, http.StatusOK).decode(&who); err != nil || who.Email != email || who.Name != "Ivy Invited" {
		t.Errorf("GET the link: %+v %v", who, err)
	}
	// Weak passwords are refused saying why; the link stays usable.
	for pw, says := range map[string]string{"short": "at least 12", "password1234!": "common"} {
		a := s.mustSend(apiRequest{method: "POST", path: reset, body: map[string]string{"password": pw}}, http.StatusUnprocessableEntity)
		if !strings.Contains(string(a.body), says) {
			t.Errorf("weak password %q: %s; want it to say %q", pw, a.body, says)
		}
	}
	s.mustSend(apiRequest{method: "POST", path: reset, body: map[string]string{"password": testPassword}}, http.StatusNoContent)
	// Used: the link is gone.
	s.mustSend(apiRequest{method: "POST", path: reset, body: map[string]string{"password": "another fine passphrase"}}, http.StatusNotFound)
	s.mustSend(apiRequest{method: "GET", path: reset}, http.StatusNotFound)
	s.mustSend(apiRequest{method: "GET", path: "/v1/password-resets/tdr_unknown"}, http.StatusNotFound)

	// A wrong password and an unknown email get the same answer.
	_, wrong := s.trySignIn(email, "not the password at all", nil)
	_, unknown := s.trySignIn("nobody-"+email, testPassword, nil)
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized || wrong.body != unknown.body {
		t.Errorf("wrong password: %d %s; unknown email: %d %s; want the same 401", wrong.status, wrong.body, unknown.status, unknown.body)
	}

	b, a := s.trySignIn(strings.ToUpper(email), testPassword, nil)
	if b == nil {
		t.Fatalf("sign in (email in another case): %d %s", a.status, a.body)
	}
	if c := a.cookie; !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure over http", c)
	}
	if a.me.ID != inv.ID || a.me.CSRFToken == "" || len(a.me.TeamIDs) != 1 {
		t.Errorf("sign-in answer %s", a.body)
	}
	var me meBody
	if err := b.send("GET", "/v1/me", nil).decode(&me); err != nil || me.ID != inv.ID || me.CSRFToken != b.csrf {
		t.Errorf("GET /v1/me with the cookie: %+v %v", me, err)
	}
	// Tokens never see a CSRF token.
	var tokMe map[string]any
	_ = s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: admin.token}, http.StatusOK).decode(&tokMe)
	if _, ok := tokMe["csrf_token"]; ok {
		t.Error("GET /v1/me with a token carries csrf_token")
	}

	// The stream with the cookie alone gets the user's events.
	st := s.openEventsWith(map[string]string{"Cookie": "textdesk_session=" + b.cookie}, "", "")
	st.skip = teamWideKinds // the new conversation's team-wide events come first
	st.start()
	conv := s.newConversation(admin)
	s.mustSend(apiRequest{method: "POST", path: "/v1/conversations/" + conv + "/assign", token: admin.token,
		body: map[string][]string{"user_ids": {inv.ID}}}, http.StatusOK)
	if _, ev := st.next(); ev.Kind != "assigned" || ev.ConversationID == nil || *ev.ConversationID != conv {
		t.Errorf("event %+v; want assigned %s", ev, conv)
	}

	// Changes with the cookie need the CSRF token and the API's origin.
	presence := func() string {
		p, err := s.store.GetPresence(context.Background(), inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p.State
	}
	before := presence()
	evil := &browser{s: s, cookie: b.cookie, csrf: b.csrf, origin: "https://evil.example"}
	if a := evil.send("PUT", "/v1/me/presence", map[string]string{"state": "away"}); a.status != http.StatusForbidden ||
		!strings.Contains(string(a.body), "https://evil.example") || presence() != before {
		t.Errorf("cross-site PUT with the cookie: %d %s (presence %s); want 403 naming the origin, nothing changed", a.status, a.body, presence())
	}
	if a := (&browser{s: s, cookie: b.cookie, csrf: "", origin: s.apiURL}).send("PUT", "/v1/me/presence", map[string]string{"state": "away"}); a.status != http.StatusForbidden ||
		!strings.Contains(string(a.body), "X-CSRF-Token") || presence() != before {
		t.Errorf("PUT with the cookie, no CSRF token: %d %s; want 403 naming X-CSRF-Token", a.status, a.body)
	}
	if a, err := s.send(apiRequest{method: "PUT", path: "/v1/me/presence", body: map[string]string{"state": "away"},
		header: map[string]string{"Cookie": "textdesk_session=" + b.cookie, "Sec-Fetch-Site": "cross-site", "X-CSRF-Token": b.csrf}}); err != nil || a.status != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site cross-site: %d %v; want 403", a.status, err)
	}
	if a := b.send("PUT", "/v1/me/presence", map[string]string{"state": "away"}); a.status != http.StatusOK || presence() != "away" {
		t.Errorf("same-origin PUT with the CSRF token: %d %s", a.status, a.body)
	}
	// Login CSRF: another site cannot sign a browser in.
	if _, a := s.trySignIn(email, testPassword, map[string]string{"Origin": "https://evil.example"}); a.status != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d %s; want 403", a.status, a.body)
	}

	// Signing out ends the session: the cookie is cleared, refused, and the stream ends.
	out := b.send("DELETE", "/v1/sessions/current", nil)
	if out.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", out.status, out.body)
	}
	streamEnds(t, st, streamClose, "after signing out")
	if a := b.send("GET", "/v1/me", nil); a.status != http.StatusUnauthorized {
		t.Errorf("GET /v1/me after signing out: %d", a.status)
	}
}

// mustSend sends req and fails the test unless it answers want.
func (s *stack) mustSend(req apiRequest, want int) apiAnswer {
	s.t.Helper()
	a, err := s.send(req)
	if err != nil || a.status != want {
		s.t.Fatalf("%s %s: %d %.300s %v; want %d", req.method, req.path, a.status, a.body, err, want)
	}
	return a
}

// newConversation has a new customer text the team and returns the conversation.
func (s *stack) newConversation(admin agent) string {
	s.t.Helper()
	phone := newPhone()
	if _, code, err := s.emu.SimulateInbound(context.Background(), twilioemu.Inbound{From: phone, To: s.teamPhone, Body: "Hi"}); err != nil || code != http.StatusOK {
		s.t.Fatalf("inbound: %d %v", code, err)
	}
	var id string
	eventually(s.t, "the conversation listed", func() bool {
		var page store.ConversationPage
		a, err := s.send(apiRequest{method: "GET", path: "/v1/conversations?limit=50&team=" + s.team.ID, token: admin.token})
		if err != nil || a.decode(&page) != nil {
			return false
		}
		for _, c := range page.Conversations {
			if c.ContactPhone == phone {
				id = c.ID
			}
		}
		return id != ""
	})
	return id
}

// Sessions are listed and revoked one by one (the revoked one's stream ends); a
// disabled user is refused everywhere and their streams end; an admin's revocation ends
// every session and token; changing one's password ends the other sessions.
func TestSessionRevocationAndDisabling(t *testing.T) {
	s := startStack(t, true, "")
	admin := s.newAdmin("revoke-admin", s.team.ID)
	u := s.newAgent("revokee", "")
	s.withPassword(u.user)

	a := s.signIn(u.user.Email, testPassword, nil)
	b := s.signIn(u.user.Email, testPassword, map[string]string{"User-Agent": "second browser"})
	var list struct {
		Sessions []struct {
			ID        string `json:"id"`
			UserAgent string `json:"user_agent"`
			Current   bool   `json:"current"`
		} `json:"sessions"`
	}
	if err := a.send("GET", "/v1/me/sessions", nil).decode(&list); err != nil || len(list.Sessions) != 2 {
		t.Fatalf("GET /v1/me/sessions: %+v %v", list, err)
	}
	var bID string
	for _, ses := range list.Sessions {
		if !ses.Current {
			bID = ses.ID
			if ses.UserAgent != "second browser" {
				t.Errorf("the other session's user agent %q", ses.UserAgent)
			}
		}
	}
	if bID == "" {
		t.Fatalf("no session other than the current one: %+v", list)
	}
	// Another user cannot end it.
	other := s.newAgent("other", "")
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/me/sessions/" + bID, token: other.token}, http.StatusNotFound)

	stB := s.openEventsWith(map[string]string{"Cookie": "textdesk_session=" + b.cookie}, "", "")
	stB.start()
	if ans := a.send("DELETE", "/v1/me/sessions/"+bID, nil); ans.status != http.StatusNoContent {
		t.Fatalf("revoke session b: %d %s", ans.status, ans.body)
	}
	streamEnds(t, stB, streamClose, "after its session was revoked")
	if ans := b.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized {
		t.Errorf("the revoked session: %d; want 401", ans.status)
	}
	if ans := a.send("GET", "/v1/me", nil); ans.status != http.StatusOK {
		t.Errorf("the session that revoked the other: %d; want 200", ans.status)
	}

	// Changing the password: wrong current 403, weak new 422, then the other sessions end.
	c := s.signIn(u.user.Email, testPassword, nil)
	for _, tc := range []struct {
		body map[string]string
		want int
	}{
		{map[string]string{"current_password": "wrong wrong wrong", "new_password": "a new passphrase here"}, http.StatusForbidden},
		{map[string]string{"current_password": testPassword, "new_password": "qwerty123456"}, http.StatusUnprocessableEntity},
	} {
		if ans := a.send("PUT", "/v1/me/password", tc.body); ans.status != tc.want {
			t.Errorf("PUT /v1/me/password %v: %d %s; want %d", tc.body, ans.status, ans.body, tc.want)
		}
	}
	if ans := a.send("PUT", "/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "a new passphrase here"}); ans.status != http.StatusNoContent {
		t.Fatalf("change password: %d %s", ans.status, ans.body)
	}
	if ans := c.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized {
		t.Errorf("another session after the password changed: %d; want 401", ans.status)
	}
	if ans := a.send("GET", "/v1/me", nil); ans.status != http.StatusOK {
		t.Errorf("the session that changed the password: %d; want 200", ans.status)
	}
	if _, ans := s.trySignIn(u.user.Email, testPassword, nil); ans.status != http.StatusUnauthorized {
		t.Errorf("sign in with the old password: %d", ans.status)
	}
	a = s.signIn(u.user.Email, "a new passphrase here", nil)

	// Disabled: every credential is refused and the streams end.
	stA := s.openEventsWith(map[string]string{"Cookie": "textdesk_session=" + a.cookie}, "", "")
	stA.start()
	stTok := s.openEvents(u.token, "", "")
	stTok.start()
	if ans := s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + u.user.ID, token: admin.token, body: map[string]bool{"disabled": true}}, http.StatusOK); !strings.Contains(string(ans.body), `"disabled":true`) {
		t.Errorf("PATCH disabled: %s", ans.body)
	}
	streamEnds(t, stA, streamClose, "cookie stream of a disabled user")
	streamEnds(t, stTok, streamClose, "token stream of a disabled user")
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: u.token}, http.StatusUnauthorized)
	if ans := a.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized {
		t.Errorf("a disabled user's session: %d; want 401", ans.status)
	}
	if _, ans := s.trySignIn(u.user.Email, "a new passphrase here", nil); ans.status != http.StatusUnauthorized || !strings.Contains(ans.body, "disabled") {
		t.Errorf("a disabled user signs in: %d %s; want 401 saying disabled", ans.status, ans.body)
	}
	s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + admin.user.ID, token: admin.token, body: map[string]bool{"disabled": true}}, http.StatusConflict)
	var users struct {
		Users []store.Account `json:"users"`
	}
	if err := s.mustSend(apiRequest{method: "GET", path: "/v1/users", token: admin.token}, http.StatusOK).decode(&users); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, acc := range users.Users {
		if acc.ID == u.user.ID {
			found = acc.Disabled
		}
	}
	if !found {
		t.Errorf("GET /v1/users does not list %s as disabled", u.user.ID)
	}

	// Enabled again: the token works; the admin then ends every session and token.
	s.mustSend(apiRequest{method: "PATCH", path: "/v1/users/" + u.user.ID, token: admin.token, body: map[string]bool{"disabled": false}}, http.StatusOK)
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: u.token}, http.StatusOK)
	d := s.signIn(u.user.Email, "a new passphrase here", nil)
	stD := s.openEventsWith(map[string]string{"Cookie": "textdesk_session=" + d.cookie}, "", "")
	stD.start()
	s.mustSend(apiRequest{method: "DELETE", path: "/v1/users/" + u.user.ID + "/sessions", token: admin.token}, http.StatusNoContent)
	streamEnds(t, stD, streamClose, "after the admin ended every session")
	s.mustSend(apiRequest{method: "GET", path: "/v1/me", token: u.token}, http.StatusUnauthorized)
	if ans := d.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized {
		t.Errorf("a session after the admin ended them all: %d", ans.status)
	}

	// An admin's reset link sets a new password (and the old one stops working).
	var rl struct {
		URL       string    `json:"set_password_url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := s.mustSend(apiRequest{method: "POST", path: "/v1/users/" + u.user.ID + "/password-reset", token: admin.token}, http.StatusCreated).decode(&rl); err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(rl.URL)
	s.mustSend(apiRequest{method: "POST", path: "/v1/password-resets/" + link.Query().Get("token"), body: map[string]string{"password": "reset by the admin, 2026"}}, http.StatusNoContent)
	s.signIn(u.user.Email, "reset by the admin, 2026", nil)
}

// A session unused for the idle timeout, or past its lifetime, is refused (401).
func TestSessionExpiry(t *testing.T) {
	s := startStack(t, true, "")
	u := s.newAgent("expiring", "")
	ctx := context.Background()
	db, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	idle, idleSes := s.sessionFor(u.user, time.Hour)
	if ans := idle.send("GET", "/v1/me", nil); ans.status != http.StatusOK {
		t.Fatalf("a fresh session: %d", ans.status)
	}
	// Unused for just over the 12 h idle timeout.
	if _, err := db.Exec(ctx, `UPDATE sessions SET last_used_at = now() - interval '12 hours 1 minute', expires_at = now() + interval '1 day' WHERE id = $1`, idleSes.ID); err != nil {
		t.Fatal(err)
	}
	if ans := idle.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized || !strings.Contains(string(ans.body), "sign in again") {
		t.Errorf("an idle session: %d %s; want 401", ans.status, ans.body)
	}
	// Used recently, but past its lifetime.
	old, _ := s.sessionFor(u.user, -time.Second)
	if ans := old.send("GET", "/v1/me", nil); ans.status != http.StatusUnauthorized {
		t.Errorf("a session past its lifetime: %d; want 401", ans.status)
	}
	// A session used within the idle timeout is marked used (at most once a minute).
	fresh, freshSes := s.sessionFor(u.user, time.Hour)
	if _, err := db.Exec(ctx, `UPDATE sessions SET last_used_at = now() - interval '2 hours' WHERE id = $1`, freshSes.ID); err != nil {
		t.Fatal(err)
	}
	fresh.send("GET", "/v1/me", nil)
	var since time.Duration
	if err := db.QueryRow(ctx, `SELECT extract(epoch FROM now() - last_used_at)::int * interval '1 second' FROM sessions WHERE id = $1`, freshSes.ID).Scan(&since); err != nil || since > time.Minute {
		t.Errorf("last_used_at after a request: %s ago (%v); want now", since, err)
	}
}

// The tenth wrong password in a row is throttled (429 with Retry-After), the right one
// too while blocked; the block ends; an address guessing at many accounts is throttled.
func TestSignInThrottle(t *testing.T) {
	s := startStackWith(t, stackOptions{chatOn: true, configure: func(c *config.Config) { c.TrustedProxy = true }})
	u := s.newAgent("throttled", "")
	s.withPassword(u.user)
	from := func(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }
	addr := fmt.Sprintf("198.51.100.%d", time.Now().UnixNano()%200+1)

	var last signInAnswer
	for i := 1; i <= 10; i++ {
		_, last = s.trySignIn(u.user.Email, "wrong guess number "+strconv.Itoa(i), from(addr))
		if i <= 5 && last.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s; want 401 (5 are free)", i, last.status, last.body)
		}
	}
	retry, err := strconv.Atoi(last.header.Get("Retry-After"))
	if last.status != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 15*60 {
		t.Fatalf("the tenth wrong password: %d Retry-After %q %s; want 429 with Retry-After", last.status, last.header.Get("Retry-After"), last.body)
	}
	// Blocked means blocked, the right password too, from another address too.
	if _, a := s.trySignIn(u.user.Email, testPassword, from("203.0.113.77")); a.status != http.StatusTooManyRequests {
		t.Errorf("the right password while the account is blocked: %d; want 429", a.status)
	}
	// The block ends: after Retry-After the right password is accepted.
	eventuallyWithin(t, "the block ends", time.Minute, func() bool {
		_, a := s.trySignIn(u.user.Email, testPassword, from(addr))
		return a.status == http.StatusOK
	})

	// One address guessing at many accounts: 20 failures are free, then it is blocked,
	// even for an account it has not tried.
	guesser := fmt.Sprintf("203.0.113.%d", time.Now().UnixNano()%200+1)
	for i := 1; i <= 21; i++ {
		_, a := s.trySignIn(fmt.Sprintf("nobody-%d-%d@e2e.invalid", i, time.Now().UnixNano()), "some password guess", from(guesser))
		if i <= 20 && a.status != http.StatusUnauthorized {
			t.Fatalf("address failure %d: %d; want 401", i, a.status)
		}
	}
	if _, a := s.trySignIn(u.user.Email, testPassword, from(guesser)); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Errorf("a blocked address signs in: %d; want 429", a.status)
	}
	// A wrong current password counts too (PUT /v1/me/password).
	b := s.signIn(u.user.Email, testPassword, from(addr))
	var got int
	for i := 0; i < 10 && got != http.StatusTooManyRequests; i++ {
		got = b.send("PUT", "/v1/me/password", map[string]string{"current_password": "wrong current " + strconv.Itoa(i), "new_password": "whatever new passphrase"}).status
	}
	if got != http.StatusTooManyRequests {
		t.Errorf("ten wrong current passwords: last %d; want 429", got)
	}
}

// Odd sign-in input is a 4xx, never a 5xx: a NUL in the email, no password, a
// User-Agent that is not UTF-8.
func TestSignInOddInput(t *testing.T) {
	s := startStack(t, true, "")
	u := s.newAgent("odd", "")
	s.withPassword(u.user)
	for body, want := range map[string]int{
		`{"email":"a\u0000b@e2e.invalid","password":"whatever password"}`: http.StatusUnauthorized,
		`{"email":"` + u.user.Email + `"}`:                                http.StatusBadRequest,
		`{"email":"` + u.user.Email + `","password":""}`:                  http.StatusBadRequest,
		`{"email":1}`: http.StatusBadRequest,
	} {
		if a, err := s.send(apiRequest{method: "POST", path: "/v1/sessions", body: rawJSON(body)}); err != nil || a.status != want {
			t.Errorf("POST /v1/sessions %s: %d %s %v; want %d", body, a.status, a.body, err, want)
		}
	}
	b := s.signIn(u.user.Email, testPassword, map[string]string{"User-Agent": "odd \xff\xfe agent " + strings.Repeat("x", 500)})
	var list struct {
		Sessions []struct {
			UserAgent string `json:"user_agent"`
		} `json:"sessions"`
	}
	if err := b.send("GET", "/v1/me/sessions", nil).decode(&list); err != nil || len(list.Sessions) != 1 || !strings.HasPrefix(list.Sessions[0].UserAgent, "odd") {
		t.Errorf("sessions %+v %v", list, err)
	}
}
