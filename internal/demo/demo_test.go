package demo

import (
	"path/filepath"
	"testing"

	"github.com/textdesk/textdesk/internal/password"
)

// The demo passwords would be accepted through the API too.
func TestDemoPasswordsPassTheRules(t *testing.T) {
	for _, pw := range []string{AdminPassword, AgentPassword, Agent2Password} {
		if why := password.Weak(pw, ""); why != "" {
			t.Errorf("%q: %s", pw, why)
		}
	}
}

// demo.env keeps every variable it had and gains the sign-in ones.
func TestEnvFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	e := Env{URL: "http://127.0.0.1:8080", TeamID: "team", AdminToken: "tdk_a", AgentToken: "tdk_b", Agent2Token: "tdk_c",
		EmulatorURL: "http://127.0.0.1:8081", AccountSID: "ACx", AuthToken: "tok",
		AdminEmail: "admin@demo.textdesk.invalid", AgentEmail: "agent1@demo.textdesk.invalid", Agent2Email: "agent2@demo.textdesk.invalid",
		AdminPassword: AdminPassword, AgentPassword: AgentPassword, Agent2Password: Agent2Password}
	if err := writeEnvFile(path, e); err != nil {
		t.Fatal(err)
	}
	got, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TEXTDESK_URL": e.URL, "TEXTDESK_TEAM_ID": "team", "TEXTDESK_ADMIN_TOKEN": "tdk_a", "TEXTDESK_AGENT_TOKEN": "tdk_b",
		"TEXTDESK_AGENT2_TOKEN": "tdk_c", "TEXTDESK_EMULATOR_URL": e.EmulatorURL, "TEXTDESK_DEMO_NUMBER": Number,
		"TWILIO_ACCOUNT_SID": "ACx", "TWILIO_AUTH_TOKEN": "tok",
		"TEXTDESK_ADMIN_EMAIL": e.AdminEmail, "TEXTDESK_ADMIN_PASSWORD": AdminPassword,
		"TEXTDESK_AGENT_EMAIL": e.AgentEmail, "TEXTDESK_AGENT_PASSWORD": AgentPassword,
		"TEXTDESK_AGENT2_EMAIL": e.Agent2Email, "TEXTDESK_AGENT2_PASSWORD": Agent2Password,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("demo.env has %d variables; want %d: %v", len(got), len(want), got)
	}
}
