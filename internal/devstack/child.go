package devstack

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"time"
)

// ChildSpec describes a long-running child process for a supervisor (internal/cluster):
// the same spawning as Postgres and the Temporal dev server get here, exported.
type ChildSpec struct {
	Name    string   // for messages
	Path    string   // the executable
	Args    []string // its arguments
	Env     []string // its whole environment; nil inherits this process's
	Dir     string   // working directory; "" is this process's
	LogPath string   // stdout and stderr are appended here
}

// Child is a running child process: its own process group, killed with SIGKILL if this
// process dies (Pdeathsig), output appended to its log file.
type Child struct {
	Name    string
	LogPath string
	proc    *process
}

// StartChild starts the process described by s.
func StartChild(s ChildSpec) (*Child, error) {
	p, err := spawn(spawnSpec{name: s.Name, path: s.Path, args: s.Args, env: s.Env, dir: s.Dir,
		logPath: s.LogPath, deathSig: syscall.SIGKILL, logHeader: s.Path + " " + strings.Join(s.Args, " ")})
	if err != nil {
		return nil, err
	}
	return &Child{Name: s.Name, LogPath: s.LogPath, proc: p}, nil
}

// Pid is the child's process id (also its process group id).
func (c *Child) Pid() int { return c.proc.cmd.Process.Pid }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.proc.done }

// Exited reports whether the child has ended.
func (c *Child) Exited() bool { return c.proc.exited() }

// ExitDescription says how the child ended; call only after Done.
func (c *Child) ExitDescription() string { return c.proc.exitDescription() }

// LogTail is the end of what this run of the child wrote to its log.
func (c *Child) LogTail() string { return c.proc.logTail() }

// Stop asks the child to exit (SIGTERM), waits up to grace, then SIGKILLs it.
// An already-exited child is not an error here: the supervisor logged that already.
func (c *Child) Stop(grace time.Duration) error {
	if c.proc.exited() {
		return nil
	}
	return c.proc.stop(grace, syscall.SIGTERM)
}

// Kill sends SIGKILL to the child's whole process group and waits for the exit: the
// crash that fault tests simulate (no graceful shutdown).
func (c *Child) Kill() {
	if c.proc.exited() {
		return
	}
	if err := syscall.Kill(-c.Pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = c.proc.cmd.Process.Signal(os.Kill)
	}
	<-c.proc.done
}
