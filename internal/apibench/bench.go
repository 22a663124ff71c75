// Package apibench is `make bench-api`: it seeds a throwaway Postgres with a contact
// center's worth of conversations (100,000 in the team under test), serves the real API
// handler in process, times the inbox, contact search and history endpoints over HTTP
// against a trivial authenticated endpoint measured alongside them, records each
// endpoint's query plans (EXPLAIN ANALYZE, BUFFERS, through auto_explain) and writes the
// results to the "API (make bench-api)" section of docs/benchmarks.md.
package apibench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/textdesk/textdesk/api"
	"github.com/textdesk/textdesk/internal/devstack"
	"github.com/textdesk/textdesk/migrations"
	"github.com/textdesk/textdesk/store"
)

// Config is what to seed and how long to measure.
type Config struct {
	// DatabaseURL: a server to use (a database is created on it and dropped after)
	// instead of starting a throwaway one. Plans are only recorded on a throwaway
	// server, whose log the benchmark reads.
	DatabaseURL string
	// Conversations in the team under test; OtherTeams more teams hold
	// OtherConversations each. Contacts are shared by all teams.
	Conversations      int
	OtherTeams         int
	OtherConversations int
	Contacts           int
	// Requests timed per endpoint, after Warmup untimed ones. An endpoint stops early
	// when its timed requests (with their baseline requests) have taken Budget, once it
	// has MinRequests: a slow endpoint would otherwise hold the run up for minutes.
	Requests, Warmup, MinRequests int
	Budget                        time.Duration
	// Keep leaves the seeded Postgres running after the report, until ctx is done, for
	// looking at plans by hand.
	Keep bool
	// Out is the markdown file whose section is replaced; empty writes nothing.
	Out string
	// Command is how the run was started, for the report.
	Command string
	Seed    uint64
	// Progress receives progress lines (default: discarded).
	Progress io.Writer
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Conversations == 0 {
		c.Conversations = 100_000
	}
	if c.OtherConversations == 0 {
		c.OtherConversations = 5_000
	}
	if c.Contacts == 0 {
		c.Contacts = 80_000
	}
	if c.Requests == 0 {
		c.Requests = 300
	}
	if c.Warmup == 0 {
		c.Warmup = 30
	}
	if c.MinRequests == 0 {
		c.MinRequests = min(40, c.Requests)
	}
	if c.Budget == 0 {
		c.Budget = 10 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 4
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// Result is a finished run.
type Result struct {
	Section string // the markdown section
	Table   string // the latency table for a terminal
}

// Run seeds, measures and reports.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	if cfg.Contacts < cfg.Conversations/5 {
		return nil, fmt.Errorf("apibench: %d contacts are too few for %d conversations", cfg.Contacts, cfg.Conversations)
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Progress, "apibench: "+format+"\n", args...)
	}
	started := time.Now()

	db, err := openDatabase(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	defer db.close()

	quiet := slog.New(slog.DiscardHandler)
	if err := migrations.Up(ctx, db.url, quiet); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, db.url)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	pool, err := pgxpool.New(ctx, db.url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var pgVersion string
	if err := pool.QueryRow(ctx, `SHOW server_version`).Scan(&pgVersion); err != nil {
		return nil, err
	}

	logf("seeding %d conversations in the team under test, %d other teams of %d, %d contacts",
		cfg.Conversations, cfg.OtherTeams, cfg.OtherConversations, cfg.Contacts)
	seedStart := time.Now()
	sd := &seeder{pool: pool, st: st, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), cfg: cfg,
		now: time.Now().UTC().Truncate(time.Microsecond), logf: logf}
	data, err := sd.seed(ctx)
	if err != nil {
		return nil, err
	}
	seedTook := time.Since(seedStart)
	logf("seeded in %s (ANALYZE included)", seedTook.Round(100*time.Millisecond))

	// The bench measures queries, not the rate limiter: no limit is reached.
	srv := &api.Server{Store: st, Log: quiet, TwilioAuthToken: "apibench", Stopping: ctx.Done(), Limits: unlimited}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c := &client{base: hs.URL, http: &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true},
	}}

	loadBefore := loadAverage()
	endpoints, err := buildEndpoints(ctx, c, data, cfg.Seed)
	if err != nil {
		return nil, err
	}
	baseline := &endpoint{group: "baseline", name: "caller (auth + 1 query)", display: "/v1/me", as: "agent",
		token: data.agentToken, paths: []string{"/v1/me"}}
	measureStart := time.Now()
	for _, e := range endpoints {
		if e.todo != "" {
			logf("%-44s not measured: %s", e.name, e.todo)
			continue
		}
		if err := c.measureAgainst(ctx, e, baseline, cfg); err != nil {
			return nil, err
		}
		logf("%-44s p50 %7s ms  p99 %7s ms  rows %-6s n %d", e.name, ms(e.sum.P50), ms(e.sum.P99), rowsRange(e.rows), e.sum.N)
	}
	measureTook := time.Since(measureStart)

	plansNote := ""
	if db.logFile != "" {
		logf("recording query plans (auto_explain)")
		if err := recordPlans(ctx, db, endpoints); err != nil {
			return nil, err
		}
	} else {
		plansNote = "Plans are recorded only on the benchmark's own Postgres (DATABASE_URL was set)."
	}

	rep := report{
		cfg: cfg, data: data, endpoints: endpoints, baseline: baseline,
		pgVersion: pgVersion, ownServer: db.logFile != "", seedTook: seedTook, measureTook: measureTook,
		total: time.Since(started), loadBefore: loadBefore, loadAfter: loadAverage(), plansNote: plansNote,
	}
	res := &Result{Section: rep.section(), Table: rep.latencyTable().Text()}
	if cfg.Out != "" {
		if err := writeSection(cfg.Out, res.Section); err != nil {
			return nil, fmt.Errorf("write %s: %w", cfg.Out, err)
		}
		logf("wrote the %q section of %s", SectionHeading, cfg.Out)
	}
	if cfg.Keep {
		fmt.Fprint(cfg.Progress, res.Table)
		logf("keeping the seeded database until interrupted: psql '%s'", db.url)
		logf("tokens: agent %s, light agent %s, admin %s; api at %s", data.agentToken, data.lightToken, data.adminToken, hs.URL)
		<-ctx.Done()
	}
	return res, nil
}

// database is where the benchmark's data lives.
type database struct {
	url     string
	logFile string // the throwaway server's log; empty for DATABASE_URL
	close   func()
}

func openDatabase(ctx context.Context, cfg Config, logf func(string, ...any)) (*database, error) {
	if cfg.DatabaseURL != "" {
		name := "textdesk_apibench_" + randomHex(4)
		if err := devstack.EnsureDatabase(ctx, cfg.DatabaseURL, name); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		u.Path = "/" + name
		logf("using database %s on DATABASE_URL's server", name)
		return &database{url: u.String(), close: func() {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := devstack.DropDatabase(cctx, cfg.DatabaseURL, name); err != nil {
				logf("drop %s: %v", name, err)
			}
		}}, nil
	}
	dir, err := os.MkdirTemp("", "textdesk-apibench-")
	if err != nil {
		return nil, err
	}
	// When root, postgres runs as the postgres user, who must traverse the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logFile := filepath.Join(dir, "postgres.log")
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir:  filepath.Join(dir, "postgres"),
		LogFile:  logFile,
		Fast:     true,
		Settings: map[string]string{"log_line_prefix": logLinePrefix},
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres (or set DATABASE_URL): %w", err)
	}
	logf("throwaway postgres on port %d in %s", pg.Port, dir)
	return &database{url: pg.URL, logFile: logFile, close: func() {
		if err := pg.Stop(); err != nil {
			logf("stop postgres: %v", err)
		}
		os.RemoveAll(dir)
	}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// measureAgainst times e as measure does, with a request to baseline after each of
// e's, so that each endpoint has a baseline taken under the same conditions (the
// machine is shared; its load changes over a run).
func (c *client) measureAgainst(ctx context.Context, e, baseline *endpoint, cfg Config) error {
	get := func(x *endpoint, i int) (time.Duration, int, error) {
		path := x.paths[i%len(x.paths)]
		r, took, err := c.get(ctx, x.token, path)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: GET %s: %w", x.name, path, err)
		}
		if r.status != http.StatusOK {
			return 0, 0, fmt.Errorf("%s: GET %s: status %d: %s", x.name, path, r.status, truncate(string(r.body), 300))
		}
		return took, r.rows, nil
	}
	// Warm-up: the endpoint's plans cached, its pages in shared buffers. A slow
	// endpoint is warm after a few requests.
	start := time.Now()
	for i := range cfg.Warmup {
		if i >= 3 && time.Since(start) > cfg.Budget/4 {
			break
		}
		if _, _, err := get(e, i); err != nil {
			return err
		}
	}
	start = time.Now()
	for i := range cfg.Requests {
		if len(e.samples) >= cfg.MinRequests && time.Since(start) > cfg.Budget {
			break
		}
		took, rows, err := get(e, cfg.Warmup+i)
		if err != nil {
			return err
		}
		e.samples, e.rows = append(e.samples, took), append(e.rows, rows)
		if took, _, err = get(baseline, i); err != nil {
			return err
		}
		e.baseSamples = append(e.baseSamples, took)
		baseline.samples = append(baseline.samples, took)
	}
	e.sum = Summarize(e.samples)
	e.baseSum = Summarize(e.baseSamples)
	baseline.sum = Summarize(baseline.samples)
	return nil
}

// recordPlans requests every endpoint again, a few times each, through a store whose
// sessions run auto_explain under the endpoint's application_name, then reads the
// plans from the server's log.
func recordPlans(ctx context.Context, db *database, endpoints []*endpoint) error {
	const reps = 7 // past the plan cache's five custom plans: the plan the timed run used
	apps := map[string]*endpoint{}
	for i, e := range endpoints {
		if e.todo != "" || e.token == "" {
			continue
		}
		app := fmt.Sprintf("apibench_%02d", i)
		u, err := explainURL(db.url, app)
		if err != nil {
			return err
		}
		st, err := store.Open(ctx, u)
		if err != nil {
			return fmt.Errorf("open store with auto_explain: %w", err)
		}
		h := (&api.Server{Store: st, Log: slog.New(slog.DiscardHandler), TwilioAuthToken: "apibench", Stopping: ctx.Done(), Limits: unlimited}).Handler()
		for i := range reps {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, e.paths[i%len(e.paths)], nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				st.Close()
				return fmt.Errorf("%s (explain): status %d: %s", e.name, rec.Code, truncate(rec.Body.String(), 300))
			}
		}
		st.Close()
		apps[app] = e
	}
	time.Sleep(200 * time.Millisecond) // the last backends' log lines
	f, err := os.Open(db.logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	for app, plans := range parseExplainLog(f) {
		if e, ok := apps[app]; ok {
			e.plans = relevantPlans(plans)
		}
	}
	return nil
}

// unlimited lifts the API's rate limits for the bench's many requests per token.
var unlimited = api.Limits{PerMinute: 1 << 30, ExpensivePerMinute: 1 << 30}
