package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a parent process that starts a
// server, reports it on stdout and then waits to be killed (see
// startOrphanParent).
const helperEnv = "DEVSTACK_TEST_HELPER"

type helperReport struct {
	Pid  int    `json:"pid"`
	Port int    `json:"port"`
	Err  string `json:"err,omitempty"`
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		runHelper(mode)
		return
	}
	os.Exit(m.Run())
}

func runHelper(mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var rep helperReport
	switch kind, arg, _ := strings.Cut(mode, ":"); kind {
	case "postgres":
		pg, err := StartPostgres(ctx, PostgresOptions{DataDir: arg, Fast: true})
		if err != nil {
			rep.Err = err.Error()
		} else {
			rep.Pid, rep.Port = pg.proc.cmd.Process.Pid, pg.Port
		}
	case "temporal":
		tp, err := StartTemporal(ctx, TemporalOptions{LogFile: arg})
		if err != nil {
			rep.Err = err.Error()
		} else {
			rep.Pid, rep.Port = tp.proc.cmd.Process.Pid, portOf(tp.Address)
		}
	default:
		rep.Err = "unknown helper mode " + mode
	}
	json.NewEncoder(os.Stdout).Encode(rep)
	if rep.Err != "" {
		os.Exit(1)
	}
	select {} // wait to be killed
}

func portOf(addr string) int {
	var port int
	fmt.Sscanf(addr[strings.LastIndexByte(addr, ':')+1:], "%d", &port)
	return port
}

// startOrphanParent runs this test binary as a helper parent that starts a
// server, then SIGKILLs the helper and returns the server's pid and port, so
// the caller can check that the server goes away on its own.
func startOrphanParent(t *testing.T, mode string) helperReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %v", err)
	}
	var rep helperReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil || rep.Err != "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %v %s", err, rep.Err)
	}
	// Safety net: never leak the server, even if the test fails.
	t.Cleanup(func() {
		if processAlive(rep.Pid) {
			syscall.Kill(rep.Pid, syscall.SIGKILL)
		}
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return rep
}

// waitUntil polls cond until it holds or the timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var pl poller
	for !cond() {
		if !pl.sleep(context.Background(), deadline, nil) {
			if cond() {
				return
			}
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// zombieOrGone reports whether pid no longer runs (a zombie that nobody
// reaped counts as gone).
func zombieOrGone(pid int) bool {
	if !processAlive(pid) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

// reachableTempDir returns a temporary directory that the postgres OS user
// can traverse when the tests run as root (t.TempDir makes 0700 dirs).
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func skipWithoutTemporal(t *testing.T) {
	t.Helper()
	if _, err := FindTemporalBinary(""); errors.Is(err, ErrTemporalNotFound) {
		t.Skipf("%v", err)
	}
}
