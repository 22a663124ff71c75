// Package devstack starts and stops the local infrastructure processes that
// textdesk needs during development and in integration tests: a real
// PostgreSQL server and a real Temporal dev server (the `temporal` CLI's
// `server start-dev`).
//
// Two kinds of callers use it:
//
//   - `textdesk dev`: long-lived servers whose data lives under .data/
//     (a Postgres cluster directory and a Temporal SQLite file), started on
//     fixed ports and reused when they are already running.
//   - the integration-test harness (package testenv): throwaway servers in
//     temporary directories on free ports, stopped when the test binary is done.
//
// # Process handling
//
// Every child is started in its own process group (Setpgid), so a Ctrl-C typed
// in a terminal reaches only the parent, which then stops the children in
// order. Each child also gets a parent-death signal (Pdeathsig: SIGINT, a
// "fast shutdown", for postgres; SIGTERM for Temporal), so a test binary that
// is killed does not leak servers. Go applies the parent-death signal after
// switching credentials, so it survives the switch to the postgres user. The
// kernel sends it when the OS thread that started the child exits; the Go
// runtime does not end its threads in normal operation, so in practice this
// means "when the parent process exits", but do not start servers from a
// goroutine that called runtime.LockOSThread and then returns.
//
// Children write stdout and stderr to a log file; when a start fails, the
// error includes the tail of that log.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the current process is root,
// StartPostgres runs initdb and postgres as the `postgres` OS user (see
// PostgresOptions.RunAs): it chowns the cluster directory and the log file to
// that user and makes the directories it creates itself 0755. Every parent
// directory of the cluster directory must be traversable by that user; the
// directories returned by os.MkdirTemp and testing.T.TempDir are 0700 and
// owned by root, so callers that create them must chmod them 0755 first. A
// repository checked out below a 0700 directory (for example under /root)
// cannot host .data/postgres for a root-run `textdesk dev`: point
// DATABASE_URL at a server instead. StartPostgres reports the directory that
// blocks access in that case.
//
// When not root, everything runs as the current user.
package devstack
