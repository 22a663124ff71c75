package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/textdesk/textdesk/internal/searchattrs"
)

// ErrTemporalNotFound is returned (wrapped) by StartTemporal when the
// temporal CLI binary cannot be found.
var ErrTemporalNotFound = errors.New("temporal CLI binary not found")

// TemporalOptions configures StartTemporal.
type TemporalOptions struct {
	// Binary is the temporal CLI. Default: $TEMPORAL_CLI, else bin/temporal
	// in the repository root (found by walking up from the working directory
	// to go.mod), else `temporal` on PATH.
	Binary string
	// DBFile is the SQLite file that keeps state across restarts; "" keeps
	// everything in memory.
	DBFile string
	// Port is the frontend gRPC port on 127.0.0.1; 0 picks a free port.
	Port int
	// UIPort serves the web UI; 0 runs headless.
	UIPort int
	// UICodecEndpoint is the codec server the web UI decodes payloads through (e.g.
	// the api's http://127.0.0.1:8080/codec); "" for none.
	UICodecEndpoint string
	// Namespace is created at start (default "default").
	Namespace string
	// SearchAttributes maps custom search attribute names to their types:
	// Keyword, KeywordList, Text, Int, Datetime, Bool or Double.
	SearchAttributes map[string]string
	// LogFile receives the server's output. Default: temporal.log next to
	// DBFile, or a temporary file (removed by a clean Stop) when in memory.
	LogFile string
	// StartTimeout bounds the start (default 60s; a context deadline that
	// comes sooner wins).
	StartTimeout time.Duration
	// SQLitePragmas are set on DBFile's connections in addition to (or instead
	// of) DefaultSQLitePragmas; ignored in memory.
	SQLitePragmas map[string]string
	// DynamicConfig values for the server (`--dynamic-config-value name=json`).
	DynamicConfig map[string]string
}

// DefaultSQLitePragmas are the file-backed server's pragmas: WAL lets readers run
// beside the single writer, and synchronous=normal syncs at checkpoints rather than at
// every commit (a power cut may lose the last commits, never corrupt the file; fine
// for a dev server).
var DefaultSQLitePragmas = map[string]string{"journal_mode": "wal", "synchronous": "normal"}

// Temporal is a running Temporal dev server.
type Temporal struct {
	Address   string // host:port of the frontend gRPC service
	UIURL     string // "" when headless
	Namespace string
	LogFile   string

	proc       *process
	tempLog    bool
	binaryPath string
}

const temporalHost = "127.0.0.1"

// StartTemporal starts `temporal server start-dev` and returns once the
// frontend answers health checks and the namespace exists with every
// requested search attribute registered.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	attrs, err := parseSearchAttributes(o.SearchAttributes)
	if err != nil {
		return nil, err
	}
	bin, err := FindTemporalBinary(o.Binary)
	if err != nil {
		return nil, err
	}
	deadline := startDeadline(ctx, o.StartTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	t := &Temporal{Namespace: o.Namespace, binaryPath: bin}
	if o.DBFile != "" {
		if o.DBFile, err = filepath.Abs(o.DBFile); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(o.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("devstack: create directory for %s: %w", o.DBFile, err)
		}
	}
	switch {
	case o.LogFile != "":
		if o.LogFile, err = filepath.Abs(o.LogFile); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("devstack: create log directory: %w", err)
		}
	case o.DBFile != "":
		o.LogFile = filepath.Join(filepath.Dir(o.DBFile), "temporal.log")
	default:
		f, err := os.CreateTemp("", "textdesk-temporal-*.log")
		if err != nil {
			return nil, err
		}
		f.Close()
		o.LogFile, t.tempLog = f.Name(), true
	}
	t.LogFile = o.LogFile
	if o.UIPort != 0 {
		if !portFree(o.UIPort) {
			return nil, fmt.Errorf("devstack: cannot start temporal: UI port %d on %s is already in use", o.UIPort, temporalHost)
		}
		t.UIURL = fmt.Sprintf("http://%s:%d", temporalHost, o.UIPort)
	}

	autoPort := o.Port == 0
	for attempt := 1; ; attempt++ {
		port := o.Port
		if autoPort {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		} else if !portFree(port) {
			return nil, fmt.Errorf("devstack: cannot start temporal: port %d on %s is already in use by another process", port, temporalHost)
		}
		t.Address = net.JoinHostPort(temporalHost, strconv.Itoa(port))
		err = t.launch(ctx, o, attrs, port, deadline)
		if err == nil {
			return t, nil
		}
		if autoPort && attempt < 3 && errors.Is(err, errAddrInUse) {
			continue
		}
		return nil, err
	}
}

func (t *Temporal) launch(ctx context.Context, o TemporalOptions, attrs map[string]enumspb.IndexedValueType, port int, deadline time.Time) error {
	args := temporalArgs(o, port)

	proc, err := spawn(spawnSpec{
		name:      "temporal",
		path:      t.binaryPath,
		args:      args,
		logPath:   o.LogFile,
		deathSig:  syscall.SIGTERM,
		logHeader: "devstack: " + t.binaryPath + " " + strings.Join(args, " "),
	})
	if err != nil {
		return err
	}
	err = waitTemporalReady(ctx, t.Address, o.Namespace, attrs, deadline, proc.done)
	if err == nil && o.UIPort != 0 {
		err = waitTCP(ctx, net.JoinHostPort(temporalHost, strconv.Itoa(o.UIPort)), deadline, proc.done)
	}
	if err != nil {
		exited := proc.exited()
		tail := proc.logTail() // before kill() adds shutdown noise
		proc.kill()
		if exited {
			tail = proc.logTail()
		}
		if exited {
			err = fmt.Errorf("devstack: temporal dev server exited during startup (%s)", proc.exitDescription())
			if strings.Contains(tail, "address already in use") || strings.Contains(tail, "can't set frontend port") {
				err = fmt.Errorf("%w: port %d: %w", err, port, errAddrInUse)
			}
		} else {
			err = fmt.Errorf("devstack: temporal dev server on %s not ready: %w", t.Address, err)
		}
		return withLog(err, o.LogFile, tail)
	}
	t.proc = proc
	return nil
}

// temporalArgs is the `temporal server start-dev` command line for o.
func temporalArgs(o TemporalOptions, port int) []string {
	args := []string{"server", "start-dev", "--ip", temporalHost, "--port", strconv.Itoa(port)}
	if o.UIPort != 0 {
		args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
		if o.UICodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", o.UICodecEndpoint)
		}
	} else {
		args = append(args, "--headless")
	}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile)
		pragmas := maps.Clone(DefaultSQLitePragmas)
		maps.Copy(pragmas, o.SQLitePragmas)
		for _, k := range slices.Sorted(maps.Keys(pragmas)) {
			args = append(args, "--sqlite-pragma", k+"="+pragmas[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.DynamicConfig)) {
		args = append(args, "--dynamic-config-value", k+"="+o.DynamicConfig[k])
	}
	if o.Namespace != "default" { // "default" always exists
		args = append(args, "--namespace", o.Namespace)
	}
	names := make([]string, 0, len(o.SearchAttributes))
	for name := range o.SearchAttributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "--search-attribute", name+"="+o.SearchAttributes[name])
	}
	args = append(args, "--log-level", "warn")
	return args
}

// waitTemporalReady polls until the frontend is healthy and the namespace
// lists every wanted search attribute with the wanted type.
func waitTemporalReady(ctx context.Context, address, namespace string, want map[string]enumspb.IndexedValueType, deadline time.Time, exited <-chan struct{}) error {
	var pl poller
	var lastErr error
	var c client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for {
		lastErr = func() error {
			actx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			if c == nil {
				cl, err := client.DialContext(actx, client.Options{
					HostPort:  address,
					Namespace: namespace,
					Logger:    quietLogger(),
				})
				if err != nil {
					return fmt.Errorf("dial: %w", err)
				}
				c = cl
			}
			if _, err := c.CheckHealth(actx, &client.CheckHealthRequest{}); err != nil {
				return fmt.Errorf("health check: %w", err)
			}
			resp, err := c.OperatorService().ListSearchAttributes(actx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
			if err != nil {
				return fmt.Errorf("list search attributes of namespace %q: %w", namespace, err)
			}
			if err := checkSearchAttributes(resp.GetCustomAttributes(), want); err != nil {
				var mismatch *searchattrs.TypeError
				if errors.As(err, &mismatch) {
					return err
				}
				// --search-attribute registers attributes only when the
				// namespace is created; with an existing database file, new
				// ones have to be added through the operator API.
				return ensureSearchAttributes(actx, c, namespace, want, deadline)
			}
			return nil
		}()
		if lastErr == nil {
			return nil
		}
		var mismatch *searchattrs.TypeError
		if errors.As(lastErr, &mismatch) {
			return lastErr // waiting will not fix that
		}
		if !pl.sleep(ctx, deadline, exited) {
			return fmt.Errorf("not ready before the deadline: %w", lastErr)
		}
	}
}

// parseSearchAttributes validates the type names (case-insensitively, as the CLI does).
func parseSearchAttributes(m map[string]string) (map[string]enumspb.IndexedValueType, error) {
	out, err := searchattrs.Parse(m)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	return out, nil
}

// checkSearchAttributes fails unless have has every attribute of want with its type.
func checkSearchAttributes(have, want map[string]enumspb.IndexedValueType) error {
	missing, err := searchattrs.Missing(have, want)
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("search attributes not registered yet: %s", strings.Join(missing, ", "))
	}
	return err
}

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

// FindTemporalBinary resolves the temporal CLI: explicit path, else
// $TEMPORAL_CLI, else <repo root>/bin/temporal, else PATH. The error wraps
// ErrTemporalNotFound.
func FindTemporalBinary(explicit string) (string, error) {
	if explicit != "" {
		if !isExecutable(explicit) {
			return "", fmt.Errorf("devstack: %w at %s", ErrTemporalNotFound, explicit)
		}
		return explicit, nil
	}
	if env := os.Getenv("TEMPORAL_CLI"); env != "" {
		if !isExecutable(env) {
			return "", fmt.Errorf("devstack: %w at TEMPORAL_CLI=%s", ErrTemporalNotFound, env)
		}
		return env, nil
	}
	var looked []string
	if root, ok := findRepoRoot(); ok {
		p := filepath.Join(root, "bin", "temporal")
		if isExecutable(p) {
			return p, nil
		}
		looked = append(looked, p)
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	looked = append(looked, "$PATH")
	return "", fmt.Errorf("devstack: %w (looked in %s; set TEMPORAL_CLI or run `make bin/temporal`)", ErrTemporalNotFound, strings.Join(looked, ", "))
}

// Done is closed when the server process exits.
func (t *Temporal) Done() <-chan struct{} { return t.proc.done }

// Stop sends SIGTERM, waits for a graceful exit, and sends SIGKILL if the
// server takes longer than 15s.
func (t *Temporal) Stop() error {
	err := t.proc.stop(15*time.Second, syscall.SIGTERM)
	if err == nil && t.tempLog {
		if rerr := os.Remove(t.LogFile); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return rerr
		}
	}
	return err
}

// EnsureSearchAttributes makes sure the custom search attributes exist on
// namespace of the Temporal server at address, registering missing ones
// (OperatorService AddSearchAttributes), and waits until they are listed.
// An attribute that exists with another type is an error.
func EnsureSearchAttributes(ctx context.Context, address, namespace string, attrs map[string]string) error {
	want, err := parseSearchAttributes(attrs)
	if err != nil {
		return err
	}
	deadline := startDeadline(ctx, 30*time.Second)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("devstack: connect to temporal at %s: %w", address, err)
	}
	defer c.Close()
	return ensureSearchAttributes(ctx, c, namespace, want, deadline)
}

func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	m := make(map[string]string, len(want))
	for name, typ := range want {
		m[name] = searchattrs.ShortType(typ)
	}
	if err := searchattrs.Ensure(ctx, c, namespace, m); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	return nil
}

// waitTCP polls until something accepts connections on addr.
func waitTCP(ctx context.Context, addr string, deadline time.Time, exited <-chan struct{}) error {
	var pl poller
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if !pl.sleep(ctx, deadline, exited) {
			return fmt.Errorf("web UI not listening on %s: %w", addr, err)
		}
	}
}

// EnsureSearchAttributesWith is EnsureSearchAttributes over an existing client (a
// cluster's, with TLS).
func EnsureSearchAttributesWith(ctx context.Context, c client.Client, namespace string, attrs map[string]string) error {
	want, err := parseSearchAttributes(attrs)
	if err != nil {
		return err
	}
	return ensureSearchAttributes(ctx, c, namespace, want, startDeadline(ctx, 30*time.Second))
}
