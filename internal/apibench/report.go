package apibench

import (
	"fmt"
	benchdoc "github.com/textdesk/textdesk/internal/loadgen/report"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SectionHeading is the heading of this benchmark's section of docs/benchmarks.md.
// Other sections (engine benchmarks, fault suite) belong to other tools.
const SectionHeading = "## API (make bench-api)"

// ReplaceSection returns doc with its SectionHeading section (from the heading to the
// next level-2 heading, or the end) replaced by section, which starts with the heading.
// Without such a section, section is appended; an empty doc gets a title first.
// Everything outside the section is kept byte for byte. Headings inside fenced code
// blocks do not count.
func ReplaceSection(doc, section string) string {
	section = strings.TrimRight(section, "\n") + "\n"
	lines := strings.SplitAfter(doc, "\n")
	start, end := -1, len(lines)
	fenced := false
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if start < 0 && t == SectionHeading {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(t, "## ") {
			end = i
			break
		}
	}
	if start < 0 {
		if strings.TrimSpace(doc) == "" {
			return "# Benchmarks\n\n" + section
		}
		if !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if !strings.HasSuffix(doc, "\n\n") {
			doc += "\n"
		}
		return doc + section
	}
	before := strings.Join(lines[:start], "")
	after := strings.Join(lines[end:], "")
	if after != "" {
		section += "\n"
	}
	return before + section + after
}

// writeSection re-reads path and replaces this benchmark's section in it, leaving the
// rest as it is at that moment (others write their sections to the same file). The
// file is replaced by a rename, so a reader never sees half of it.
func writeSection(path, section string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := ReplaceSection(string(old), section)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(doc); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func gitDescribe() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// report renders a run.
type report struct {
	cfg                   Config
	data                  *dataset
	endpoints             []*endpoint
	baseline              *endpoint
	pgVersion             string
	ownServer             bool
	seedTook, measureTook time.Duration
	total                 time.Duration
	loadBefore, loadAfter string
	plansNote             string
}

func (r report) section() string {
	var b strings.Builder
	d := r.data
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n\n", SectionHeading)
	w("_Written by `make bench-api` (`cmd/apibench`, `internal/apibench`); each run replaces this section._\n\n")

	env := benchdoc.Table{Header: []string{"run", ""}}
	env.Add("date", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	env.Add("command", "`make bench-api` → `"+r.cfg.Command+"`")
	env.Add("machine", benchdoc.Machine())
	env.Add("load average (1, 5, 15 min)", "before measuring "+r.loadBefore+"; after "+r.loadAfter+" (other test suites share the machine)")
	env.Add("Go", runtime.Version())
	server := "DATABASE_URL's server"
	if r.ownServer {
		server = "throwaway cluster (devstack, fsync off), default settings"
	}
	env.Add("PostgreSQL", r.pgVersion+", "+server)
	env.Add("textdesk", gitDescribe())
	sc := d.statusCounts
	deleted := ""
	if sc["deleted"] > 0 {
		deleted = fmt.Sprintf(", %s of them deleted", thousands(sc["deleted"]))
	}
	restricted := ""
	if d.restricted > 0 {
		restricted = fmt.Sprintf("; %s conversations (1%%) restricted to one agent (`visible_to`)", thousands(d.restricted))
	}
	env.Add("data", fmt.Sprintf("%s conversations in the team under test (new %s · missed %s · active %s · wrap_up %s · closed %s%s), "+
		"%d other teams × %s, %s in all; %s contacts (about 88%% named, 55%% with a ref)%s; %s agents; no messages (these endpoints read none)",
		thousands(r.cfg.Conversations), thousands(sc["new"]), thousands(sc["missed"]), thousands(sc["active"]), thousands(sc["wrap_up"]),
		thousands(sc["closed"]), deleted, r.cfg.OtherTeams, thousands(r.cfg.OtherConversations), thousands(d.total),
		thousands(len(d.contacts)), restricted, thousands(supportAgents+otherAgents*r.cfg.OtherTeams+3)))
	env.Add("time", fmt.Sprintf("seeding %s (COPY, then ANALYZE); measuring %s; whole run %s",
		seconds(r.seedTook), seconds(r.measureTook), seconds(r.total)))
	b.WriteString(env.Markdown())

	w("\n**How.** The real router (`api.Server.Handler()`: middleware, bearer-token authentication, handlers, store) "+
		"serves in process over loopback HTTP (`httptest`, keep-alive); one client makes one request at a time. "+
		"Each endpoint gets %d warm-up requests, then %d timed ones (n: fewer when an endpoint is slow — it stops after %s once it has %d), "+
		"each followed by a `GET /v1/me` — the baseline: "+
		"authentication plus one small query — so every endpoint has a baseline taken under the same machine load. "+
		"Time is from sending the request to reading the whole body. **× base** is the endpoint's p50 (p99) over the p50 (p99) "+
		"of the baseline requests interleaved with it: the figure to compare across runs on a shared machine. "+
		"Rows: items per response (page size 50 unless `limit` says otherwise). A request ending in “…” takes another input "+
		"each time (%d contacts, name fragments or prefixes in turn). The agent is in Support and Billing "+
		"(%s conversations); the admin sees every contact. Percentiles: nearest rank.\n\n",
		r.cfg.Warmup, r.cfg.Requests, r.cfg.Budget, r.cfg.MinRequests, inputsPerEndpoint, thousands(r.cfg.Conversations+r.cfg.OtherConversations))

	w("### Latency\n\n")
	b.WriteString(r.latencyTable().Markdown())

	w("\n### Keyset pagination\n\n")
	w("A deep page costs what the first one does when the list reads its index from the cursor on (no OFFSET); p50 per page:\n\n")
	for _, group := range [][]string{
		{"all conversations, page 1", "all conversations, page 50", "all conversations, page 200"},
		{"inbox team, page 1", "inbox team, page 50"},
		{"inbox archived, page 1", "inbox archived, page 50", "inbox archived, page 200"},
	} {
		first := r.find(group[0])
		if first == nil || first.sum.N == 0 {
			continue
		}
		var parts []string
		for _, name := range group {
			e := r.find(name)
			if e == nil || e.sum.N == 0 {
				continue
			}
			_, pageNo, _ := strings.Cut(name, ", ")
			parts = append(parts, fmt.Sprintf("%s %s ms = %s base = %s page 1 (%s rows read)", pageNo, ms(e.sum.P50), ratio(e.sum.P50, e.baseSum.P50),
				ratio(e.sum.P50, first.sum.P50), rowsReadCell(e, r.ownServer)))
		}
		list, _, _ := strings.Cut(group[0], ", ")
		w("- %s: %s\n", list, strings.Join(parts, "; "))
	}

	w("\n### Query plans\n\n")
	if !r.ownServer {
		w("%s\n", r.plansNote)
		return b.String()
	}
	w("**Rows read** is what the plans' scans of conversations and contacts produced or filtered out (actual rows plus rows removed, "+
		"times loops), summed over the request's statements: a list served by its index reads about a page. "+
		"⚠ marks more than %s.\n\n", thousands(readTooMuch))
	var flagged []string
	for _, e := range r.endpoints {
		for _, p := range e.plans {
			if s := p.flaggedSeqScans(); len(s) > 0 {
				flagged = append(flagged, fmt.Sprintf("- **%s** (`%s`): Seq Scan on %s (%s rows read) in `%s`", e.name, e.display,
					strings.Join(s, ", "), thousands(int(p.rowsRead)), truncate(fromOn(p.query), 300)))
			} else if p.rowsRead > readTooMuch {
				flagged = append(flagged, fmt.Sprintf("- **%s** (`%s`): %s rows read (%s) in `%s`", e.name, e.display,
					thousands(int(p.rowsRead)), strings.Join(p.indexes, ", "), truncate(fromOn(p.query), 300)))
			}
		}
	}
	if len(flagged) == 0 {
		w("No statement reads more than %s rows of conversations and contacts, and none has a Seq Scan on conversations, contacts, "+
			"conversation_assignees or messages.\n", thousands(readTooMuch))
	} else {
		w("Statements with a Seq Scan on a big table or more than %s rows read:\n\n%s\n", thousands(readTooMuch), strings.Join(flagged, "\n"))
	}
	if len(flagged) == 0 {
		return b.String()
	}
	w("\n<details><summary>The plans of those statements: EXPLAIN (ANALYZE, BUFFERS) through auto_explain, with the endpoint's own " +
		"parameters, at its 7th request (past the plan cache's 5 custom plans). The other statements read what the table's " +
		"indexes and rows-read columns say; <code>bin/apibench -keep</code> leaves the seeded database up to look at them.</summary>\n\n")
	for _, e := range r.endpoints {
		var shown []plan
		for _, p := range e.plans {
			if len(p.flaggedSeqScans()) > 0 || p.rowsRead > readTooMuch {
				shown = append(shown, p)
			}
		}
		if len(shown) == 0 {
			continue
		}
		w("#### %s — `GET %s` as %s\n\n", e.name, e.display, e.as)
		for _, p := range shown {
			w("```text\n-- %s, %s rows read\n-- %s\n%s\n```\n\n", p.duration, thousands(int(p.rowsRead)), truncate(fromOn(p.query), 600), p.text)
		}
	}
	w("</details>\n")
	return b.String()
}

// fromOn drops a statement's select list (the same long column list in every list
// query): what it reads and how is in the rest.
func fromOn(query string) string {
	if !strings.HasPrefix(query, "SELECT ") {
		return query
	}
	depth := 0
	for i := 0; i < len(query); i++ {
		switch query[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ':
			if depth == 0 && strings.HasPrefix(query[i:], " FROM ") {
				return "SELECT … " + query[i+1:]
			}
		}
	}
	return query
}

func (r report) find(name string) *endpoint {
	for _, e := range r.endpoints {
		if e.name == name {
			return e
		}
	}
	return nil
}

func (r report) latencyTable() benchdoc.Table {
	t := benchdoc.Table{Header: []string{"group", "endpoint", "request", "as", "rows", "n", "p50 ms", "p99 ms", "max ms", "p50 × base", "p99 × base",
		"rows read", "plan: indexes"}}
	b := r.baseline
	t.Add("baseline", "**"+b.name+" = base**", "`GET "+b.display+"`", b.as, "–", strconv.Itoa(b.sum.N), ms(b.sum.P50), ms(b.sum.P99), ms(b.sum.Max), "1.0×", "1.0×", "–", "–")
	for _, e := range r.endpoints {
		req := "`GET " + e.display + "`"
		if e.todo != "" {
			t.Add(e.group, e.name, req, e.as, "–", "–", "–", "–", "–", "–", "–", "–", "**"+e.todo+"**")
			continue
		}
		t.Add(e.group, e.name, req, e.as, rowsRange(e.rows), strconv.Itoa(e.sum.N), ms(e.sum.P50), ms(e.sum.P99), ms(e.sum.Max),
			ratio(e.sum.P50, e.baseSum.P50), ratio(e.sum.P99, e.baseSum.P99), rowsReadCell(e, r.ownServer), planSummary(e, r.ownServer))
	}
	return t
}

// readTooMuch: a request whose plans read more rows of conversations and contacts than
// this does not find its page through an index (pages hold at most 200 rows).
const readTooMuch = 1000

func rowsRead(e *endpoint) int64 {
	var n int64
	for _, p := range e.plans {
		n += p.rowsRead
	}
	return n
}

func rowsReadCell(e *endpoint, recorded bool) string {
	if !recorded || e.token == "" {
		return "–"
	}
	n := rowsRead(e)
	if n > readTooMuch {
		return "⚠ " + thousands(int(n))
	}
	return thousands(int(n))
}

// planSummary names the indexes an endpoint's statements read and flags Seq Scans of
// the big tables.
func planSummary(e *endpoint, recorded bool) string {
	if !recorded {
		return "not recorded"
	}
	if e.token == "" {
		return "–"
	}
	var idx, seq []string
	for _, p := range e.plans {
		for _, i := range p.indexes {
			if !slices.Contains(idx, i) {
				idx = append(idx, i)
			}
		}
		for _, s := range p.flaggedSeqScans() {
			if !slices.Contains(seq, s) {
				seq = append(seq, s)
			}
		}
	}
	var parts []string
	for _, s := range seq {
		parts = append(parts, "⚠ **Seq Scan on "+s+"**")
	}
	parts = append(parts, idx...)
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, ", ")
}
