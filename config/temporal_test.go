package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clearTemporalEnv unsets the Temporal client variables a developer's shell may hold.
func clearTemporalEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_") && k != "TEMPORAL_CLI" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "absent.toml"))
}

func TestTemporalDefaults(t *testing.T) {
	clearTemporalEnv(t)
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.TemporalAddress != "127.0.0.1:7233" || c.TemporalNamespace != "default" || c.TemporalConnection.TLS != nil || c.TemporalConnection.APIKey != "" {
		t.Errorf("defaults: %q %q %+v", c.TemporalAddress, c.TemporalNamespace, c.TemporalConnection)
	}
}

// A profile file supplies the connection; variables override it; the address and
// namespace land in one place (TemporalAddress/TemporalNamespace), not two.
func TestTemporalProfileAndVariables(t *testing.T) {
	clearTemporalEnv(t)
	file := filepath.Join(t.TempDir(), "temporal.toml")
	if err := os.WriteFile(file, []byte(`
[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "textdesk.a1b2c"
[profile.prod.tls]
client_cert_path = "/secrets/tls.crt"
client_key_path = "/secrets/tls.key"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", file)
	t.Setenv("TEMPORAL_PROFILE", "prod")
	t.Setenv("TEMPORAL_NAMESPACE", "textdesk.override")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.TemporalAddress != "prod.tmprl.cloud:7233" || c.TemporalNamespace != "textdesk.override" {
		t.Errorf("address %q namespace %q", c.TemporalAddress, c.TemporalNamespace)
	}
	p := c.TemporalConnection
	if p.Address != "" || p.Namespace != "" || p.TLS == nil || p.TLS.ClientCertPath != "/secrets/tls.crt" || p.TLS.ClientKeyPath != "/secrets/tls.key" {
		t.Errorf("connection %+v tls %+v", p, p.TLS)
	}

	t.Setenv("TEMPORAL_PROFILE", "staging")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "staging") {
		t.Errorf("missing profile: %v; want it named", err)
	}
}
