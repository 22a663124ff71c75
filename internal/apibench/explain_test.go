package apibench

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// A server log as postgres writes it with logLinePrefix: an auth statement (not
// relevant), two executions of a list statement (the last one counts) and one from
// another application.
const sampleLog = `2026-01-02 03:04:05.678 UTC [101] {apibench_03} LOG:  duration: 0.050 ms  plan:
	Query Text: SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1
	Index Scan using api_tokens_token_hash_key on api_tokens t  (cost=0.15..8.17 rows=1 width=16) (actual time=0.010..0.011 rows=1 loops=1)
2026-01-02 03:04:05.700 UTC [101] {apibench_03} LOG:  duration: 9.000 ms  plan:
	Query Text: SELECT c.id FROM contacts ct JOIN conversations c
			ON c.contact_id = ct.id WHERE c.team_id = $1
	Limit  (cost=1.00..2.00 rows=51 width=16) (actual time=0.1..9.0 rows=51 loops=1)
	  ->  Sort  (cost=1.00..2.00 rows=51 width=16) (actual time=0.1..9.0 rows=51 loops=1)
	        ->  Seq Scan on conversations c  (cost=0.00..1.00 rows=10 width=16) (actual time=0.1..8.0 rows=5000 loops=1)
	              Filter: (team_id = $1)
	              Rows Removed by Filter: 1000
	        ->  Index Scan using contacts_pkey on contacts ct  (cost=0.42..8.44 rows=1 width=47) (actual time=0.005..0.005 rows=1 loops=51)
	              Index Cond: (id = c.contact_id)
2026-01-02 03:04:05.800 UTC [101] {apibench_03} LOG:  duration: 0.300 ms  plan:
	Query Text: SELECT c.id FROM contacts ct JOIN conversations c
			ON c.contact_id = ct.id WHERE c.team_id = $1
	Limit  (cost=1.00..2.00 rows=51 width=16) (actual time=0.1..0.3 rows=51 loops=1)
	  ->  Index Scan Backward using conversations_team_opened on conversations c  (cost=0.29..2945.62 rows=11 width=139) (actual time=0.013..0.2 rows=40 loops=2)
	        Index Cond: (team_id = tm.team_id)
	        Rows Removed by Filter: 3
	  ->  Bitmap Heap Scan on contacts ct  (cost=4.43..12.34 rows=1 width=4) (actual time=0.012..0.012 rows=1 loops=51)
	        ->  Bitmap Index Scan on contacts_name_trgm  (cost=0.00..4.43 rows=2 width=0) (never executed)
	  SubPlan 1
	    ->  Index Scan using conversation_assignees_pkey on conversation_assignees a  (cost=0.28..8.29 rows=1 width=30) (actual time=0.002..0.002 rows=0 loops=51)
	          Rows Removed by Filter: 7
2026-01-02 03:04:05.900 UTC [102] {psql} LOG:  duration: 1.000 ms  plan:
	Query Text: SELECT 1 FROM conversations
	Seq Scan on conversations  (cost=0.00..1.00 rows=1 width=4) (actual time=0.1..0.2 rows=1 loops=1)
2026-01-02 03:04:06.000 UTC [103] {} LOG:  checkpoint starting: time
`

func TestParseExplainLog(t *testing.T) {
	byApp := parseExplainLog(strings.NewReader(sampleLog))
	if len(byApp["apibench_03"]) != 3 || len(byApp["psql"]) != 1 {
		t.Fatalf("plans by app: %d apibench_03, %d psql; want 3 and 1", len(byApp["apibench_03"]), len(byApp["psql"]))
	}
	first := byApp["apibench_03"][1]
	if first.duration != "9.000 ms" {
		t.Errorf("duration = %q", first.duration)
	}
	if want := "SELECT c.id FROM contacts ct JOIN conversations c ON c.contact_id = ct.id WHERE c.team_id = $1"; first.query != want {
		t.Errorf("query = %q, want %q", first.query, want)
	}
	if !slices.Equal(first.seqScans, []string{"conversations"}) || !slices.Equal(first.flaggedSeqScans(), []string{"conversations"}) {
		t.Errorf("seq scans = %v", first.seqScans)
	}
	if first.rowsRead != 5000+1000+51 {
		t.Errorf("rows read = %d, want %d", first.rowsRead, 5000+1000+51)
	}
	if !strings.HasPrefix(first.text, "Limit") || strings.Contains(first.text, "Query Text") {
		t.Errorf("plan text = %q", first.text)
	}

	rel := relevantPlans(byApp["apibench_03"])
	if len(rel) != 1 {
		t.Fatalf("relevant plans = %d, want 1 (the last execution of the list)", len(rel))
	}
	last := rel[0]
	if last.duration != "0.300 ms" {
		t.Errorf("relevant plan is the one of %s, want the last (0.300 ms)", last.duration)
	}
	if len(last.seqScans) != 0 {
		t.Errorf("seq scans = %v, want none", last.seqScans)
	}
	if want := []string{"conversations_team_opened", "contacts_name_trgm", "conversation_assignees_pkey"}; !slices.Equal(last.indexes, want) {
		t.Errorf("indexes = %v, want %v", last.indexes, want)
	}
	// 40 rows × 2 loops + 3 removed × 2 loops on conversations, 51 on contacts; the
	// assignees' rows do not count.
	if want := int64(80 + 6 + 51); last.rowsRead != want {
		t.Errorf("rows read = %d, want %d", last.rowsRead, want)
	}
}

func TestExplainURL(t *testing.T) {
	got, err := explainURL("postgres://u@127.0.0.1:5432/db?sslmode=disable", "apibench_07")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "+") {
		t.Errorf("%s: pgx takes + literally; spaces must be %%20", got)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("sslmode") != "disable" || q.Get("application_name") != "apibench_07" {
		t.Errorf("query = %v", q)
	}
	if o := q.Get("options"); !strings.Contains(o, "-c session_preload_libraries=auto_explain") || !strings.Contains(o, "auto_explain.log_analyze=on") {
		t.Errorf("options = %q", o)
	}
}

func TestCountRows(t *testing.T) {
	for _, tc := range []struct {
		body string
		rows int
		next string
	}{
		{`{"conversations":[{},{}],"next_cursor":"abc"}`, 2, "abc"},
		{`{"contacts":[]}`, 0, ""},
		{`{"id":"x","recent_conversations":[{}]}`, 1, ""},
		{`{"status":"ok"}`, 0, ""},
		{`not json`, 0, ""},
	} {
		rows, next := countRows([]byte(tc.body))
		if rows != tc.rows || next != tc.next {
			t.Errorf("countRows(%s) = %d, %q; want %d, %q", tc.body, rows, next, tc.rows, tc.next)
		}
	}
}
