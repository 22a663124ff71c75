package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// logTailBytes is how much of a log file a start error quotes.
const logTailBytes = 4096

// process is a child server process that we started and wait for.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logOff  int64 // size of the log file before this run, so tails show only this run

	done    chan struct{} // closed once cmd.Wait returned
	waitErr error         // cmd.Wait's result; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// spawnSpec describes a child process to start.
type spawnSpec struct {
	name      string // for messages: "postgres", "temporal"
	path      string
	args      []string
	env       []string // nil: inherit this process's environment
	dir       string
	logPath   string
	cred      *syscall.Credential // nil: run as the current user
	deathSig  syscall.Signal
	logHeader string
}

// spawn starts the child with stdout/stderr appended to the log file, in its
// own process group, with a parent-death signal.
func spawn(s spawnSpec) (*process, error) {
	lf, off, err := openLog(s.logPath, s.cred)
	if err != nil {
		return nil, err
	}
	defer lf.Close() // the child has its own copy of the descriptor
	if s.logHeader != "" {
		fmt.Fprintf(lf, "\n=== %s %s ===\n", time.Now().Format(time.RFC3339), s.logHeader)
	}
	cmd := exec.Command(s.path, s.args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdin = nil
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  s.deathSig,
		Credential: s.cred,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", s.name, s.path, err)
	}
	p := &process{name: s.name, cmd: cmd, logPath: s.logPath, logOff: off, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// openLog opens (creating if needed) a log file for appending, owned by cred's
// user when cred is set, and returns it with its current size.
func openLog(path string, cred *syscall.Credential) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open log file: %w", err)
	}
	if cred != nil {
		if err := f.Chown(int(cred.Uid), int(cred.Gid)); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("chown log file %s: %w", path, err)
		}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitDescription describes how the process ended; call only after done.
func (p *process) exitDescription() string {
	if p.waitErr == nil {
		return "exited with status 0"
	}
	return p.waitErr.Error()
}

// logTail returns the end of what this run wrote to the log file.
func (p *process) logTail() string { return readLogTail(p.logPath, p.logOff) }

// readLogTail returns up to logTailBytes from the end of the file, not
// reading before offset from.
func readLogTail(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	start := max(st.Size()-logTailBytes, from, 0)
	if start > st.Size() {
		start = 0 // truncated or replaced meanwhile
	}
	b, err := io.ReadAll(io.NewSectionReader(f, start, st.Size()-start))
	if err != nil {
		return ""
	}
	if start > from {
		// Start at a line boundary.
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i+1 < len(b) {
			b = b[i+1:]
		}
	}
	return strings.TrimSpace(string(b))
}

// withLog appends the log tail to an error message.
func withLog(err error, path, tail string) error {
	if tail == "" {
		return fmt.Errorf("%w (log: %s)", err, path)
	}
	return fmt.Errorf("%w\n--- last lines of %s ---\n%s\n---", err, path, tail)
}

// stop sends sig, waits up to grace, then escalates through the remaining
// signals with the same wait, ending with SIGKILL. It is safe to call more
// than once; later calls return the first result.
func (p *process) stop(grace time.Duration, sigs ...syscall.Signal) error {
	p.stopOnce.Do(func() { p.stopErr = p.doStop(grace, sigs...) })
	return p.stopErr
}

func (p *process) doStop(grace time.Duration, sigs ...syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("%s (pid %d) had already exited: %s", p.name, p.cmd.Process.Pid, p.exitDescription())
	}
	sigs = append(sigs, syscall.SIGKILL)
	for i, sig := range sigs {
		if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal %s: %w", p.name, err)
		}
		wait := grace
		if sig == syscall.SIGKILL {
			wait = 10 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-p.done:
			t.Stop()
			if i > 0 {
				return fmt.Errorf("%s (pid %d) ignored %s for %s; stopped with %s", p.name, p.cmd.Process.Pid, sigs[0], grace, sig)
			}
			return nil
		case <-t.C:
		}
	}
	return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
}

// kill stops the process right away (used after a failed start).
func (p *process) kill() {
	p.stop(2*time.Second, syscall.SIGTERM)
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on.
//
// Besides asking the kernel for an unused port, it leaves a closed connection
// to that port in TIME_WAIT, which keeps the kernel from handing the same port
// out again to another bind(0) for about a minute, while servers (which set
// SO_REUSEADDR, as Go, postgres and Temporal do) can still bind it. This
// makes collisions between concurrent test binaries unlikely; callers that
// start servers on the port should still be ready to retry.
func FreePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		return port, nil // the port is still free; skip the TIME_WAIT trick
	}
	defer c.Close()
	if s, err := l.Accept(); err == nil {
		s.Close() // close the server side first: it holds TIME_WAIT
	}
	return port, nil
}

// portFree reports whether 127.0.0.1:port can be bound right now.
func portFree(port int) bool {
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// startDeadline returns the context's deadline, or now+def when it has none
// (or a later one).
func startDeadline(ctx context.Context, def time.Duration) time.Time {
	d := time.Now().Add(def)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// poller paces a readiness loop: short waits first, longer later.
type poller struct{ wait time.Duration }

// sleep waits for the next attempt; it returns false if ctx ended or the
// deadline passed or the process exited.
func (pl *poller) sleep(ctx context.Context, deadline time.Time, exited <-chan struct{}) bool {
	if pl.wait == 0 {
		pl.wait = 20 * time.Millisecond
	} else if pl.wait < 250*time.Millisecond {
		pl.wait = pl.wait * 3 / 2
	}
	w := pl.wait
	if rem := time.Until(deadline); rem <= 0 {
		return false
	} else if rem < w {
		w = rem
	}
	t := time.NewTimer(w)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-exited:
		return false
	case <-t.C:
		return time.Now().Before(deadline)
	}
}

// findRepoRoot walks up from the working directory to the directory holding
// go.mod.
func findRepoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && st.Mode().IsRegular() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// isExecutable reports whether path is a regular file with an execute bit.
func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
