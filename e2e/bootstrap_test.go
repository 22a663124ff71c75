package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/internal/demo"
	"github.com/textdesk/textdesk/store"
)

// `textdesk create-admin` prints a set-password link that works once, is valid for an
// hour, and no API token (its output lands in logs); it does not promote an existing
// agent without --promote.
func TestCreateAdminPrintsSetPasswordLink(t *testing.T) {
	s := startStack(t, true, "")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(textdeskBinary(t), append([]string{"create-admin"}, args...)...)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+s.cfg.DatabaseURL, "PUBLIC_URL="+s.apiURL, "LOG_LEVEL=warn")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	email := fmt.Sprintf("first-admin-%d@e2e.invalid", time.Now().UnixNano())
	out, err := run("--email", email)
	if err != nil {
		t.Fatalf("create-admin: %v\n%s", err, out)
	}
	link := regexp.MustCompile(`(http\S+/set-password\?token=\S+)`).FindString(out)
	if link == "" || !strings.HasPrefix(link, s.apiURL) {
		t.Fatalf("create-admin printed %q; want a set-password link under PUBLIC_URL", out)
	}
	if strings.Contains(out, "tdk_") {
		t.Errorf("create-admin printed an API token (a long-lived secret in logs):\n%s", out)
	}
	u, _ := url.Parse(link)
	reset := "/v1/password-resets/" + u.Query().Get("token")
	var link1 struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := s.mustSend(apiRequest{method: "GET", path: reset}, http.StatusOK).decode(&link1); err != nil ||
		time.Until(link1.ExpiresAt) > time.Hour+time.Minute || time.Until(link1.ExpiresAt) < 50*time.Minute {
		t.Errorf("the link expires at %v (%v); want in an hour", link1.ExpiresAt, err)
	}
	s.mustSend(apiRequest{method: "POST", path: reset, body: map[string]string{"password": "the first admin's passphrase"}}, http.StatusNoContent)
	s.mustSend(apiRequest{method: "POST", path: reset, body: map[string]string{"password": "the first admin's passphrase"}}, http.StatusNotFound)
	b := s.signIn(email, "the first admin's passphrase", nil)
	var me store.User
	if err := b.send("GET", "/v1/me", nil).decode(&me); err != nil || me.Role != "admin" || me.Email != email {
		t.Errorf("GET /v1/me signed in as the new admin: %+v %v", me, err)
	}
	if out, err := run("--email", "x-"+email, "--link-valid-for", "720h"); err == nil || !strings.Contains(out, "--link-valid-for") {
		t.Errorf("create-admin --link-valid-for 720h: %v %q; want refused", err, out)
	}

	// An existing agent: refused without --promote, promoted with it.
	agentEmail := s.agent.Email
	if out, err := run("--email", agentEmail); err == nil || !strings.Contains(out, "--promote") {
		t.Errorf("create-admin for an agent: %v %q; want a refusal naming --promote", err, out)
	}
	if got, _ := s.store.UserByID(context.Background(), s.agent.ID); got.Role != "agent" {
		t.Errorf("the agent became %s without --promote", got.Role)
	}
	if out, err := run("--email", agentEmail, "--promote"); err != nil || !strings.Contains(out, "promoted") {
		t.Errorf("create-admin --promote: %v %q", err, out)
	}
	if got, _ := s.store.UserByID(context.Background(), s.agent.ID); got.Role != "admin" {
		t.Errorf("after --promote the agent is %s", got.Role)
	}
}

// `make dev`'s seeder gives the demo users passwords that sign in, and seeding again
// keeps their sessions.
func TestDemoUsersSignIn(t *testing.T) {
	s := startStack(t, true, "")
	envFile := filepath.Join(t.TempDir(), "demo.env")
	seed := func() demo.Env {
		e, err := demo.Seed(context.Background(), s.store, envFile, demo.Env{URL: s.apiURL})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := seed()
	if e.AdminPassword != "dev-only-admin-password" || e.AgentEmail == "" {
		t.Fatalf("demo env %+v", e)
	}
	raw, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"TEXTDESK_ADMIN_TOKEN", "TEXTDESK_ADMIN_EMAIL", "TEXTDESK_ADMIN_PASSWORD", "TEXTDESK_AGENT_EMAIL",
		"TEXTDESK_AGENT_PASSWORD", "TEXTDESK_AGENT2_EMAIL", "TEXTDESK_AGENT2_PASSWORD"} {
		if !strings.Contains(string(raw), "export "+v+"='") {
			t.Errorf("demo.env lacks %s", v)
		}
	}
	admin := s.signIn(e.AdminEmail, e.AdminPassword, nil)
	s.signIn(e.AgentEmail, e.AgentPassword, nil)
	s.signIn(e.Agent2Email, e.Agent2Password, nil)
	seed()
	if a := admin.send("GET", "/v1/me", nil); a.status != http.StatusOK {
		t.Errorf("the admin's session after seeding again: %d; want it kept", a.status)
	}
}
