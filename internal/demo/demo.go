// Package demo seeds the demo team `make dev` runs with and writes .data/demo.env so the
// README's curl examples can `source` it.
package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/internal/password"
	"github.com/textdesk/textdesk/store"
)

// Number is the demo team's number: Twilio's documented test number, so the demo can
// never text a real phone even if pointed at Twilio.
const Number = "+15005550006"

// Env is what demo.env holds.
type Env struct {
	URL, TeamID                         string
	AdminToken, AgentToken, Agent2Token string
	EmulatorURL                         string
	AccountSID, AuthToken               string
	// Sign-in credentials of the demo users (POST /v1/sessions, the console).
	AdminEmail, AgentEmail, Agent2Email          string
	AdminPassword, AgentPassword, Agent2Password string
}

// The demo users' passwords: dev only, and obviously so. They pass the weak-password
// rules, though the seeder sets them in the store directly.
const (
	AdminPassword  = "dev-only-admin-password"
	AgentPassword  = "dev-only-agent-password"
	Agent2Password = "dev-only-agent2-password"
)

// Seed makes sure the demo team, its admin and two agents exist and that their tokens
// work. Tokens already in envFile are kept, so a second `make dev` does not invalidate
// a shell that sourced the first one's file.
func Seed(ctx context.Context, st *store.Store, envFile string, base Env) (Env, error) {
	old, _ := readEnvFile(envFile)
	env := base
	team, err := st.TeamByNumber(ctx, Number)
	if conversation.ErrorCode(err) == conversation.ENotFound {
		team, err = st.CreateTeam(ctx, "Demo Support", true,
			"Thanks for your message! Our team is away right now and will reply as soon as we are back.", []string{Number})
		if err == nil {
			err = st.SetTeamRules(ctx, team.ID, store.TeamRules{WrapUpReasons: []string{"Resolved", "Follow-up needed", "Spam"}})
		}
	}
	if err != nil {
		return env, fmt.Errorf("seed demo team: %w", err)
	}
	env.TeamID = team.ID

	users := []struct {
		name, email, role, envKey, password string
		token                               *string
	}{
		{"Ada Admin", "admin@demo.textdesk.invalid", store.RoleAdmin, "TEXTDESK_ADMIN_TOKEN", AdminPassword, &env.AdminToken},
		{"Alex Agent", "agent1@demo.textdesk.invalid", store.RoleAgent, "TEXTDESK_AGENT_TOKEN", AgentPassword, &env.AgentToken},
		{"Sam Agent", "agent2@demo.textdesk.invalid", store.RoleAgent, "TEXTDESK_AGENT2_TOKEN", Agent2Password, &env.Agent2Token},
	}
	env.AdminEmail, env.AgentEmail, env.Agent2Email = users[0].email, users[1].email, users[2].email
	env.AdminPassword, env.AgentPassword, env.Agent2Password = AdminPassword, AgentPassword, Agent2Password
	for _, u := range users {
		user, err := st.UpsertUser(ctx, u.name, u.email, u.role)
		if err != nil {
			return env, fmt.Errorf("seed %s: %w", u.email, err)
		}
		// Set only when it differs: setting a password ends the user's sessions, and a
		// second `make dev` should not sign the demo console out.
		hash, err := st.PasswordHash(ctx, user.ID)
		if err != nil {
			return env, err
		}
		if !password.VerifyOrDummy(u.password, hash) {
			if err := st.SetPassword(ctx, user.ID, password.Hash(u.password), ""); err != nil {
				return env, fmt.Errorf("seed %s's password: %w", u.email, err)
			}
		}
		if err := st.AddTeamMember(ctx, team.ID, user.ID); err != nil {
			return env, err
		}
		*u.token = old[u.envKey]
		if *u.token == "" {
			*u.token = store.NewToken()
		}
		if err := st.AddToken(ctx, user.ID, *u.token, "demo"); err != nil {
			return env, err
		}
	}
	return env, writeEnvFile(envFile, env)
}

func writeEnvFile(path string, e Env) error {
	var b strings.Builder
	b.WriteString("# Written by `make dev` (textdesk dev). DEV ONLY: demo credentials for a local stack.\n")
	for _, kv := range [][2]string{
		{"TEXTDESK_URL", e.URL},
		{"TEXTDESK_TEAM_ID", e.TeamID},
		{"TEXTDESK_ADMIN_TOKEN", e.AdminToken},
		{"TEXTDESK_AGENT_TOKEN", e.AgentToken},
		{"TEXTDESK_AGENT2_TOKEN", e.Agent2Token},
		{"TEXTDESK_ADMIN_EMAIL", e.AdminEmail},
		{"TEXTDESK_ADMIN_PASSWORD", e.AdminPassword},
		{"TEXTDESK_AGENT_EMAIL", e.AgentEmail},
		{"TEXTDESK_AGENT_PASSWORD", e.AgentPassword},
		{"TEXTDESK_AGENT2_EMAIL", e.Agent2Email},
		{"TEXTDESK_AGENT2_PASSWORD", e.Agent2Password},
		{"TEXTDESK_EMULATOR_URL", e.EmulatorURL},
		{"TEXTDESK_DEMO_NUMBER", Number},
		{"TWILIO_ACCOUNT_SID", e.AccountSID},
		{"TWILIO_AUTH_TOKEN", e.AuthToken},
	} {
		fmt.Fprintf(&b, "export %s='%s'\n", kv[0], kv[1])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// readEnvFile reads the KEY='value' lines writeEnvFile writes.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return map[string]string{}, nil
		}
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok {
			out[k] = strings.Trim(v, "'")
		}
	}
	return out, sc.Err()
}
