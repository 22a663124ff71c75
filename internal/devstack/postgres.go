package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresOptions configures StartPostgres.
type PostgresOptions struct {
	// DataDir is the cluster directory, e.g. .data/postgres. It is created
	// with initdb when it has no PG_VERSION file. Relative paths are taken
	// from the working directory.
	DataDir string
	// Port to listen on, on 127.0.0.1 only. 0 picks a free port.
	Port int
	// BinDir holds initdb and postgres. Default: $PG_BIN, else the highest
	// /usr/lib/postgresql/*/bin, else the directory of `postgres` on PATH.
	BinDir string
	// Database is created if missing (default "textdesk").
	Database string
	// User is the superuser that initdb creates (default "textdesk"). Trust
	// authentication on loopback: for development only.
	User string
	// LogFile receives the server's output (default: postgres.log next to
	// DataDir, i.e. in DataDir's parent directory).
	LogFile string
	// Fast trades durability for speed, for throwaway test clusters:
	// fsync, synchronous_commit and full_page_writes off, initdb --no-sync.
	Fast bool
	// Settings are extra server settings passed as `-c name=value`.
	Settings map[string]string
	// RunAs is the OS user that runs initdb and postgres when the current
	// process is root (default "postgres"). Ignored when not root.
	RunAs string
	// StartTimeout bounds initdb plus server start (default 90s; a context
	// deadline that comes sooner wins).
	StartTimeout time.Duration
}

// Postgres is a running PostgreSQL server.
type Postgres struct {
	// URL connects to Database as User:
	// postgres://user@127.0.0.1:port/db?sslmode=disable
	URL      string
	Port     int
	User     string
	Database string
	DataDir  string
	LogFile  string

	owned bool
	proc  *process
}

const pgHost = "127.0.0.1"

// StartPostgres starts a PostgreSQL server for o.DataDir, running initdb
// first when the directory holds no cluster yet, and makes sure o.Database
// exists. If a postmaster for DataDir is already running and answering, it is
// reused: the returned server is not owned and Stop leaves it running.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.DataDir == "" {
		return nil, errors.New("devstack: PostgresOptions.DataDir is required")
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	if o.Database == "" {
		o.Database = "textdesk"
	}
	if o.User == "" {
		o.User = "textdesk"
	}
	if o.RunAs == "" {
		o.RunAs = "postgres"
	}
	if o.LogFile == "" {
		o.LogFile = filepath.Join(filepath.Dir(dataDir), "postgres.log")
	}
	if o.LogFile, err = filepath.Abs(o.LogFile); err != nil {
		return nil, err
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 90 * time.Second
	}
	deadline := startDeadline(ctx, o.StartTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	p := &Postgres{User: o.User, Database: o.Database, DataDir: dataDir, LogFile: o.LogFile}

	// A postmaster already running on this cluster: reuse it.
	if ok, err := p.tryReuse(ctx, o, deadline); err != nil || ok {
		if err != nil {
			return nil, err
		}
		if err := p.ensureDatabase(ctx, o.Database); err != nil {
			return nil, err
		}
		return p, nil
	}

	binDir, err := postgresBinDir(o.BinDir)
	if err != nil {
		return nil, err
	}
	cred, err := credentialFor(o.RunAs)
	if err != nil {
		return nil, err
	}
	if o.Port != 0 && !portFree(o.Port) {
		return nil, fmt.Errorf("devstack: cannot start postgres for %s: port %d on %s is already in use by another process", dataDir, o.Port, pgHost)
	}
	if err := prepareDataDir(dataDir, cred, o.RunAs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}

	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := initdb(ctx, binDir, dataDir, o, cred); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}

	autoPort := o.Port == 0
	for attempt := 1; ; attempt++ {
		port := o.Port
		if autoPort {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		} else if !portFree(port) {
			return nil, fmt.Errorf("devstack: cannot start postgres for %s: port %d on %s is already in use by another process", dataDir, port, pgHost)
		}
		p.Port = port
		p.URL = p.DatabaseURL(o.Database)
		err = p.launch(ctx, binDir, o, cred, deadline)
		if err == nil {
			break
		}
		if autoPort && attempt < 3 && errors.Is(err, errAddrInUse) {
			continue // lost a race for the port; pick another one
		}
		return nil, err
	}
	p.owned = true
	if err := p.ensureDatabase(ctx, o.Database); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

var errAddrInUse = errors.New("address already in use")

// launch starts the postmaster and waits until it accepts connections.
func (p *Postgres) launch(ctx context.Context, binDir string, o PostgresOptions, cred *syscall.Credential, deadline time.Time) error {
	args := []string{"-D", p.DataDir, "-p", strconv.Itoa(p.Port), "-c", "listen_addresses=" + pgHost}
	// A Unix socket path must fit in sun_path (108 bytes); deep temporary
	// directories may not, and we only use TCP anyway.
	if len(p.DataDir)+len("/.s.PGSQL.65535") < 100 {
		args = append(args, "-k", p.DataDir)
	} else {
		args = append(args, "-c", "unix_socket_directories=")
	}
	settings := map[string]string{"fsync": "on"}
	if o.Fast {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}

	proc, err := spawn(spawnSpec{
		name:      "postgres",
		path:      filepath.Join(binDir, "postgres"),
		args:      args,
		dir:       p.DataDir,
		logPath:   o.LogFile,
		cred:      cred,
		deathSig:  syscall.SIGINT, // fast shutdown
		logHeader: fmt.Sprintf("devstack: starting postgres on %s:%d", pgHost, p.Port),
	})
	if err != nil {
		return err
	}
	if err := waitPostgresReady(ctx, p.adminURL(), deadline, proc.done); err != nil {
		exited := proc.exited()
		tail := proc.logTail() // before kill() adds shutdown noise
		proc.kill()
		if exited {
			tail = proc.logTail()
		}
		if exited {
			err = fmt.Errorf("devstack: postgres for %s exited during startup (%s)", p.DataDir, proc.exitDescription())
			if strings.Contains(tail, "Address already in use") {
				err = fmt.Errorf("%w: port %d: %w", err, p.Port, errAddrInUse)
			}
		} else {
			err = fmt.Errorf("devstack: postgres for %s on port %d not ready: %w", p.DataDir, p.Port, err)
		}
		return withLog(err, o.LogFile, tail)
	}
	p.proc = proc
	return nil
}

// tryReuse detects a postmaster that is already running for the data
// directory and, if it answers, adopts it (not owned).
func (p *Postgres) tryReuse(ctx context.Context, o PostgresOptions, deadline time.Time) (bool, error) {
	pid, port, ok := runningPostmaster(p.DataDir)
	if !ok {
		return false, nil
	}
	if o.Port != 0 && port != o.Port {
		return false, fmt.Errorf("devstack: postgres (pid %d) is already running for %s, but on port %d, not %d; stop it or use that port", pid, p.DataDir, port, o.Port)
	}
	p.Port = port
	p.URL = p.DatabaseURL(o.Database)
	gone := make(chan struct{})
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() { // notice when the other postmaster goes away (e.g. it was shutting down)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-t.C:
				if !processAlive(pid) {
					close(gone)
					return
				}
			}
		}
	}()
	err := waitPostgresReady(ctx, p.adminURL(), deadline, gone)
	if err == nil {
		return true, nil
	}
	select {
	case <-gone:
		return false, nil // it went away: start our own
	default:
	}
	return false, fmt.Errorf("devstack: postgres (pid %d) is already running for %s but does not accept connections on %s:%d: %w", pid, p.DataDir, pgHost, port, err)
}

// runningPostmaster reads DataDir/postmaster.pid and reports the pid and
// port of a live postmaster.
func runningPostmaster(dataDir string) (pid, port int, ok bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || pid <= 0 {
		return 0, 0, false
	}
	if !processAlive(pid) {
		return 0, 0, false
	}
	// Guard against a recycled pid (e.g. after a reboot).
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		c := strings.TrimSpace(string(comm))
		if c != "postgres" && c != "postmaster" {
			return 0, 0, false
		}
	}
	return pid, port, true
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// waitPostgresReady polls a connection to adminURL until it succeeds, the
// deadline passes, ctx ends or exited is closed.
func waitPostgresReady(ctx context.Context, adminURL string, deadline time.Time, exited <-chan struct{}) error {
	var pl poller
	var lastErr error
	for {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := pgx.Connect(actx, adminURL)
		if err == nil {
			err = conn.Ping(actx)
			conn.Close(context.Background())
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		// While the server starts, connections are refused or get
		// cannot_connect_now (57P03); other server errors (no such role,
		// no such database, ...) will not go away by waiting.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code != "57P03" && pgErr.Code != "53300" {
			return err
		}
		if !pl.sleep(ctx, deadline, exited) {
			if ctx.Err() != nil && time.Now().Before(deadline) {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), lastErr)
			}
			return fmt.Errorf("no connection before the deadline: %w", lastErr)
		}
	}
}

// initdb creates a new cluster in dataDir.
func initdb(ctx context.Context, binDir, dataDir string, o PostgresOptions, cred *syscall.Credential) error {
	args := []string{"-D", dataDir, "-U", o.User, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"}
	if o.Fast {
		args = append(args, "--no-sync")
	}
	proc, err := spawn(spawnSpec{
		name:      "initdb",
		path:      filepath.Join(binDir, "initdb"),
		args:      args,
		dir:       filepath.Dir(dataDir),
		logPath:   o.LogFile,
		cred:      cred,
		deathSig:  syscall.SIGKILL,
		logHeader: "devstack: initdb " + dataDir,
	})
	if err != nil {
		return err
	}
	select {
	case <-proc.done:
	case <-ctx.Done():
		proc.kill()
		return withLog(fmt.Errorf("devstack: initdb %s: %w", dataDir, ctx.Err()), o.LogFile, proc.logTail())
	}
	if proc.waitErr != nil {
		return withLog(fmt.Errorf("devstack: initdb %s failed: %w", dataDir, proc.waitErr), o.LogFile, proc.logTail())
	}
	return nil
}

// prepareDataDir creates the data directory (and missing parents, 0755),
// checks that the postgres OS user can reach it, and hands it to that user.
func prepareDataDir(dataDir string, cred *syscall.Credential, runAs string) error {
	if err := mkdirParents(filepath.Dir(dataDir)); err != nil {
		return err
	}
	st, err := os.Stat(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dataDir, 0o700); err != nil {
			return fmt.Errorf("create postgres data directory: %w", err)
		}
		if st, err = os.Stat(dataDir); err != nil {
			return err
		}
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("devstack: postgres data directory %s is not a directory", dataDir)
	}
	if cred == nil {
		return nil
	}
	if err := checkTraversable(filepath.Dir(dataDir), cred, runAs); err != nil {
		return err
	}
	// Hand the cluster to the postgres user: the directory itself and
	// anything in it that another user (e.g. root) created or copied.
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if sys, ok := info.Sys().(*syscall.Stat_t); ok && (sys.Uid != cred.Uid || sys.Gid != cred.Gid) {
			return os.Lchown(path, int(cred.Uid), int(cred.Gid))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("devstack: chown %s to %s: %w", dataDir, runAs, err)
	}
	// postgres insists on 0700 or 0750.
	if st.Mode().Perm()&0o027 != 0 {
		if err := os.Chmod(dataDir, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// mkdirParents creates dir and its missing parents with mode 0755 (not
// subject to the umask, so the postgres user can traverse them).
func mkdirParents(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Chmod(missing[i], 0o755); err != nil {
			return err
		}
	}
	return nil
}

// checkTraversable makes sure the OS user of cred can search dir and all of
// its ancestors.
func checkTraversable(dir string, cred *syscall.Credential, runAs string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && !canSearch(st.Mode().Perm(), sys, cred) {
			return fmt.Errorf("devstack: directory %s (mode %04o, uid %d) is not traversable by the OS user %q that postgres must run as when textdesk runs as root; "+
				"chmod it 0755 (o+x), put the data directory elsewhere, or set DATABASE_URL to use an existing PostgreSQL server",
				d, st.Mode().Perm(), sys.Uid, runAs)
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

func canSearch(perm fs.FileMode, st *syscall.Stat_t, cred *syscall.Credential) bool {
	if st.Uid == cred.Uid {
		return perm&0o100 != 0
	}
	inGroup := st.Gid == cred.Gid
	for _, g := range cred.Groups {
		inGroup = inGroup || g == st.Gid
	}
	if inGroup {
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// credentialFor returns the credential to run postgres with: nil when not
// root, else that of the runAs OS user.
func credentialFor(runAs string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, fmt.Errorf("devstack: postgres cannot run as root and the OS user %q to run it as was not found: %w", runAs, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("devstack: unexpected uid/gid %q/%q for OS user %q", u.Uid, u.Gid, runAs)
	}
	if uid == 0 {
		return nil, fmt.Errorf("devstack: OS user %q is root; postgres needs an unprivileged user", runAs)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

// postgresBinDir finds the directory with the server binaries.
func postgresBinDir(dir string) (string, error) {
	check := func(d string) bool {
		return isExecutable(filepath.Join(d, "postgres")) && isExecutable(filepath.Join(d, "initdb"))
	}
	if dir != "" {
		if !check(dir) {
			return "", fmt.Errorf("devstack: %s does not contain the postgres and initdb binaries", dir)
		}
		return dir, nil
	}
	if d := os.Getenv("PG_BIN"); d != "" {
		if !check(d) {
			return "", fmt.Errorf("devstack: PG_BIN=%s does not contain the postgres and initdb binaries", d)
		}
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVer := "", -1.0
	for _, m := range matches {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(m)), 64)
		if err == nil && v > bestVer && check(m) {
			best, bestVer = m, v
		}
	}
	if best != "" {
		return best, nil
	}
	if path, err := exec.LookPath("postgres"); err == nil {
		if d := filepath.Dir(path); check(d) {
			return d, nil
		}
	}
	return "", errors.New("devstack: PostgreSQL server binaries (postgres, initdb) not found: install the postgresql package or set PG_BIN, or set DATABASE_URL to use an existing server")
}

// DatabaseURL returns the URL of database name on this server.
func (p *Postgres) DatabaseURL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(p.User),
		Host:     net.JoinHostPort(pgHost, strconv.Itoa(p.Port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func (p *Postgres) adminURL() string { return p.DatabaseURL("postgres") }

// Owned reports whether this value started the server (and Stop stops it).
func (p *Postgres) Owned() bool { return p.owned }

// Done is closed when a server we started exits. For a reused server it
// returns nil (a channel that never becomes ready).
func (p *Postgres) Done() <-chan struct{} {
	if p.proc == nil {
		return nil
	}
	return p.proc.done
}

// Stop shuts the server down with a fast shutdown (SIGINT: running
// transactions are rolled back, clients disconnected) and waits for it,
// escalating to SIGQUIT and SIGKILL if it hangs. It does nothing for a
// reused server that we did not start.
func (p *Postgres) Stop() error {
	if !p.owned || p.proc == nil {
		return nil
	}
	return p.proc.stop(30*time.Second, syscall.SIGINT, syscall.SIGQUIT)
}

// CreateDatabase creates database name (for test isolation) and returns its URL.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("devstack: empty database name")
	}
	conn, err := pgx.Connect(ctx, p.adminURL())
	if err != nil {
		return "", fmt.Errorf("devstack: connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("devstack: create database %q: %w", name, err)
	}
	return p.DatabaseURL(name), nil
}

// DropDatabase drops database name if it exists, disconnecting its clients.
func (p *Postgres) DropDatabase(ctx context.Context, name string) error {
	return DropDatabase(ctx, p.adminURL(), name)
}

// ensureDatabase creates the database unless it exists.
func (p *Postgres) ensureDatabase(ctx context.Context, name string) error {
	return EnsureDatabase(ctx, p.adminURL(), name)
}

// EnsureDatabase connects to serverURL (any database on the server) and
// creates database name unless it exists.
func EnsureDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("devstack: connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("devstack: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
		err = nil
	}
	if err != nil {
		return fmt.Errorf("devstack: create database %q: %w", name, err)
	}
	return nil
}

// DropDatabase connects to serverURL (a database other than name on the same
// server) and drops database name if it exists, disconnecting its clients.
func DropDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("devstack: connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("devstack: drop database %q: %w", name, err)
	}
	return nil
}
