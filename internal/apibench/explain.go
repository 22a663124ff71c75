package apibench

import (
	"bufio"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The plans are those of the endpoints' own queries, with the endpoints' own
// parameters: each endpoint is requested again through a store whose connections load
// auto_explain (EXPLAIN ANALYZE, BUFFERS of every statement, to the server log) and
// carry the endpoint's application_name, which the server's log_line_prefix records.
// Nothing in store/ has to be copied, and a plan that the plan cache turns generic
// after five executions is the plan shown, as in the timed run.

// logLinePrefix is set on the throwaway server; parseExplainLog reads it back.
const logLinePrefix = "%m [%p] {%a} "

var entryStart = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\] \{([^}]*)\} ([A-Z0-9]+):  (.*)$`)

// explainURL is databaseURL with auto_explain loaded in every session and the
// sessions named app.
func explainURL(databaseURL, app string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("application_name", app)
	q.Set("options", strings.Join([]string{
		"-c session_preload_libraries=auto_explain",
		"-c auto_explain.log_min_duration=0",
		"-c auto_explain.log_analyze=on",
		"-c auto_explain.log_buffers=on",
		"-c auto_explain.log_timing=on",
		"-c auto_explain.log_format=text",
	}, " "))
	// pgx reads "+" in a query string literally, not as a space.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), nil
}

// plan is one statement's plan as auto_explain logged it.
type plan struct {
	duration string   // "0.412 ms"
	query    string   // the SQL text, whitespace collapsed
	text     string   // the plan
	seqScans []string // relations read by a Seq Scan
	indexes  []string // indexes read, in plan order, without repeats
	// rowsRead: rows the scans of conversations and contacts produced or filtered out
	// (actual rows and rows removed, times loops). Far more than a page is a plan that
	// reads what it does not return.
	rowsRead int64
}

var (
	reSeqScan   = regexp.MustCompile(`Seq Scan on (\w+)`)
	reIndexScan = regexp.MustCompile(`(?:Index|Index Only) Scan(?: Backward)? using (\S+) on`)
	reBitmapIdx = regexp.MustCompile(`Bitmap Index Scan on (\S+)`)
	reDuration  = regexp.MustCompile(`^duration: (\S+ ms)\s+plan:`)
	reScanNode  = regexp.MustCompile(`(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \S+)? on (\w+)`)
	reActual    = regexp.MustCompile(`\(actual time=\S+ rows=(\d+) loops=(\d+)\)`)
	reRemoved   = regexp.MustCompile(`Rows Removed by (?:Filter|Index Recheck): (\d+)`)
)

// rowsReadTables are the tables whose scanned rows count in plan.rowsRead.
var rowsReadTables = []string{"conversations", "contacts"}

// parseExplainLog returns the plans auto_explain logged, by application name, in log
// order.
func parseExplainLog(r io.Reader) map[string][]plan {
	out := map[string][]plan{}
	var app string
	var lines []string
	flush := func() {
		if lines != nil {
			if p, ok := parsePlan(lines); ok {
				out[app] = append(out[app], p)
			}
		}
		lines = nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := entryStart.FindStringSubmatch(line); m != nil {
			flush()
			if m[2] == "LOG" && reDuration.MatchString(m[3]) {
				app, lines = m[1], []string{m[3]}
			}
			continue
		}
		if lines != nil {
			// The server puts a tab before each continuation line of a message.
			lines = append(lines, strings.TrimPrefix(line, "\t"))
		}
	}
	flush()
	return out
}

func parsePlan(lines []string) (plan, bool) {
	m := reDuration.FindStringSubmatch(lines[0])
	if m == nil {
		return plan{}, false
	}
	p := plan{duration: m[1]}
	var query, body []string
	inPlan := false
	for _, l := range lines[1:] {
		if !inPlan && strings.Contains(l, "(cost=") {
			inPlan = true
		}
		if inPlan {
			body = append(body, l)
		} else {
			query = append(query, strings.TrimPrefix(l, "Query Text: "))
		}
	}
	if len(body) == 0 {
		return plan{}, false
	}
	p.query = strings.Join(strings.Fields(strings.Join(query, " ")), " ")
	p.text = strings.TrimRight(strings.Join(body, "\n"), "\n")
	add := func(list *[]string, v string) {
		if !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	var loops int64 // of the current scan node of a counted table; 0 when not in one
	for _, l := range body {
		if strings.Contains(l, "->") || strings.HasPrefix(strings.TrimSpace(l), "SubPlan") || strings.HasPrefix(strings.TrimSpace(l), "InitPlan") {
			loops = 0
		}
		if m := reScanNode.FindStringSubmatch(l); m != nil && slices.Contains(rowsReadTables, m[1]) {
			if a := reActual.FindStringSubmatch(l); a != nil {
				rows, _ := strconv.ParseInt(a[1], 10, 64)
				loops, _ = strconv.ParseInt(a[2], 10, 64)
				p.rowsRead += rows * loops
			}
		} else if m := reRemoved.FindStringSubmatch(l); m != nil && loops > 0 {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			p.rowsRead += n * loops
		}
		for _, m := range reSeqScan.FindAllStringSubmatch(l, -1) {
			add(&p.seqScans, m[1])
		}
		for _, m := range reIndexScan.FindAllStringSubmatch(l, -1) {
			add(&p.indexes, m[1])
		}
		for _, m := range reBitmapIdx.FindAllStringSubmatch(l, -1) {
			add(&p.indexes, m[1])
		}
	}
	return p, true
}

// relevantPlans keeps the plans of the statements that read conversations or contacts
// (not authentication, presence or the team's settings), the last execution of each
// distinct statement.
func relevantPlans(plans []plan) []plan {
	var out []plan
	for i := len(plans) - 1; i >= 0; i-- {
		p := plans[i]
		if !readsConversationsOrContacts(p.query) {
			continue
		}
		if slices.ContainsFunc(out, func(q plan) bool { return q.query == p.query }) {
			continue
		}
		out = append(out, p)
	}
	slices.Reverse(out)
	return out
}

var reTables = regexp.MustCompile(`\b(?:FROM|JOIN)\s+(conversations|contacts)\b`)

func readsConversationsOrContacts(query string) bool {
	return reTables.MatchString(query)
}

// watchedSeqScans are the big tables: a Seq Scan of either is a finding.
var watchedSeqScans = []string{"conversations", "contacts", "conversation_assignees", "messages"}

func (p plan) flaggedSeqScans() []string {
	var out []string
	for _, r := range p.seqScans {
		if slices.Contains(watchedSeqScans, r) {
			out = append(out, r)
		}
	}
	return out
}
