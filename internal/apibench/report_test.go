package apibench

import (
	benchdoc "github.com/textdesk/textdesk/internal/loadgen/report"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const newSection = SectionHeading + "\n\nnew figures\n"

func TestReplaceSection(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{
			name: "empty file gets a title",
			doc:  "",
			want: "# Benchmarks\n\n" + newSection,
		},
		{
			name: "appended after other sections",
			doc:  "# Benchmarks\n\n## Engine benchmarks\n\nengine\n",
			want: "# Benchmarks\n\n## Engine benchmarks\n\nengine\n\n" + newSection,
		},
		{
			name: "appended to a file without a final newline",
			doc:  "# Benchmarks\n\n## Fault suite\n\nfaults",
			want: "# Benchmarks\n\n## Fault suite\n\nfaults\n\n" + newSection,
		},
		{
			name: "replaced at the end",
			doc:  "# Benchmarks\n\n## Engine benchmarks\n\nengine\n\n" + SectionHeading + "\n\nold figures\n\n### Latency\n\nold table\n",
			want: "# Benchmarks\n\n## Engine benchmarks\n\nengine\n\n" + newSection,
		},
		{
			name: "replaced in the middle, the next section kept",
			doc: "# Benchmarks\n\n" + SectionHeading + "\n\nold figures\n#### sub\n\n## Fault suite\n\nfaults\n\n" +
				"## Engine benchmarks\n\nengine\n",
			want: "# Benchmarks\n\n" + newSection + "\n## Fault suite\n\nfaults\n\n## Engine benchmarks\n\nengine\n",
		},
		{
			name: "a heading inside a code block is not the end",
			doc:  "# B\n\n" + SectionHeading + "\n\n```text\n## not a heading\n```\nold\n\n## Next\n\nx\n",
			want: "# B\n\n" + newSection + "\n## Next\n\nx\n",
		},
		{
			name: "a similar heading is not this section",
			doc:  "# B\n\n## API (make bench-api) old\n\nkeep\n",
			want: "# B\n\n## API (make bench-api) old\n\nkeep\n\n" + newSection,
		},
		{
			name: "CRLF heading",
			doc:  "# B\r\n\r\n" + SectionHeading + "\r\n\r\nold\r\n## Next\r\n",
			want: "# B\r\n\r\n" + newSection + "\n## Next\r\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReplaceSection(tc.doc, newSection)
			if got != tc.want {
				t.Errorf("ReplaceSection:\n got %q\nwant %q", got, tc.want)
			}
			// Replacing again changes nothing.
			if again := ReplaceSection(got, newSection); again != got {
				t.Errorf("not idempotent:\n first %q\nsecond %q", got, again)
			}
		})
	}
}

func TestWriteSectionKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docs", "benchmarks.md")
	if err := writeSection(path, newSection); err != nil {
		t.Fatal(err)
	}
	// Someone else adds their section meanwhile.
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, "\n## Fault suite\n\nfaults\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSection(path, SectionHeading+"\n\nnewer\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# Benchmarks\n\n" + SectionHeading + "\n\nnewer\n\n## Fault suite\n\nfaults\n"
	if string(got) != want {
		t.Errorf("file:\n got %q\nwant %q", got, want)
	}
}

func TestTableEscapesPipes(t *testing.T) {
	tb := benchdoc.Table{Header: []string{"a", "b"}}
	tb.Add("x|y", "z")
	got := tb.Markdown()
	if !strings.Contains(got, `| x\|y | z |`) {
		t.Errorf("markdown = %q", got)
	}
}

func TestFromOn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT a, (SELECT b FROM x WHERE y) FROM conversations c WHERE z", "SELECT … FROM conversations c WHERE z"},
		{"SELECT EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = $1)", "SELECT EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = $1)"},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "WITH x AS (SELECT 1) SELECT * FROM x"},
	} {
		if got := fromOn(tc.in); got != tc.want {
			t.Errorf("fromOn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The section must hold no other level-2 heading: the tools sharing the file end a
// section at the next one.
func TestSectionHasOneLevel2Heading(t *testing.T) {
	base := &endpoint{name: "caller", display: "/v1/me", as: "agent", token: "t", sum: Summary{N: 3, P50: 1000, P99: 2000, Max: 3000}}
	list := &endpoint{group: "inbox", name: "all conversations, page 1", display: "/v1/conversations", as: "agent", token: "t",
		sum: Summary{N: 3, P50: 4000, P99: 8000, Max: 9000}, baseSum: Summary{N: 3, P50: 1000, P99: 2000}, rows: []int{50},
		plans: []plan{{duration: "1 ms", query: "SELECT x FROM conversations c", text: "## not a heading\nSeq Scan on conversations c",
			seqScans: []string{"conversations"}, rowsRead: 5000}}}
	todo := &endpoint{group: "search", name: "search", display: "/v1/search", todo: "TODO: not there"}
	r := report{cfg: Config{Conversations: 10, Requests: 3}, data: &dataset{statusCounts: map[string]int{}},
		endpoints: []*endpoint{list, todo}, baseline: base, ownServer: true}
	sec := r.section()
	if !strings.HasPrefix(sec, SectionHeading+"\n") {
		t.Fatalf("section starts %q", sec[:40])
	}
	fenced := false
	for _, l := range strings.Split(sec, "\n")[1:] {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(l, "## ") {
			t.Errorf("second level-2 heading: %q", l)
		}
	}
	for _, want := range []string{"4.0×", "⚠ 5,000", "⚠ **Seq Scan on conversations**", "TODO: not there", "Seq Scan on conversations (5,000 rows read)"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q", want)
		}
	}
	// Replacing it in a file leaves a later section alone.
	doc := ReplaceSection("# B\n\n"+SectionHeading+"\n\nold\n\n## Fault suite\n\nx\n", sec)
	if !strings.HasSuffix(doc, "\n## Fault suite\n\nx\n") || strings.Contains(doc, "\nold\n") {
		t.Errorf("doc = %q", doc)
	}
}
