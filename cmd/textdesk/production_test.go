package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The production build (-tags production, as deploy/Dockerfile builds it) has neither
// the emulator (an unauthenticated signing oracle for the auth token) nor dev: they
// are not listed, not runnable, and their packages are not linked in. The development
// build still has both.
func TestProductionBuildHasNoEmulatorOrDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary twice")
	}
	dir := t.TempDir()
	build := func(name string, tags ...string) string {
		bin := filepath.Join(dir, name)
		args := append([]string{"build", "-o", bin}, tags...)
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		return bin
	}
	help := func(bin string, args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	prod := build("textdesk-prod", "-tags", "production")
	out, _ := help(prod, "help")
	if !strings.Contains(out, "create-admin") || strings.Contains(out, "emulator") || strings.Contains(out, "  dev ") {
		t.Errorf("production help lists emulator or dev (or lacks create-admin):\n%s", out)
	}
	for _, cmd := range []string{"emulator", "dev", "cluster"} {
		out, err := help(prod, cmd)
		if err == nil || !strings.Contains(out, `unknown command "`+cmd+`"`) {
			t.Errorf("production `textdesk %s`: %v %q; want refused as an unknown command", cmd, err, out)
		}
	}
	deps, err := exec.Command("go", "list", "-tags", "production", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"/twilioemu", "/internal/devstack", "/internal/demo", "/internal/cluster"} {
		if strings.Contains(string(deps), pkg+"\n") {
			t.Errorf("the production build links %s", pkg)
		}
	}

	out, _ = help(build("textdesk-dev"), "help")
	if !strings.Contains(out, "emulator") || !strings.Contains(out, "  dev ") {
		t.Errorf("development help lacks emulator or dev:\n%s", out)
	}
}
