package report

import (
	"strings"
	"testing"
)

func TestTableMarkdown(t *testing.T) {
	var tb Table
	tb.Header = []string{"what", "value"}
	tb.Add("rate", 12.5)
	tb.Add("a|b", "x")
	want := "| what | value |\n| --- | --- |\n| rate | 12.5 |\n| a\\|b | x |\n"
	if got := tb.Markdown(); got != want {
		t.Fatalf("Markdown:\n%s\nwant:\n%s", got, want)
	}
	if txt := tb.Text(); !strings.Contains(txt, "rate  12.5") {
		t.Fatalf("Text:\n%s", txt)
	}
}

func TestInsertInSection(t *testing.T) {
	doc := "# Benchmarks\n\n## API\n\napi run 1\n\n## Engine benchmarks\n\nrun 1\n\n## Later\n\nkeep me\n"
	got := InsertInSection(doc, "Engine benchmarks", "run 2\n")
	want := "# Benchmarks\n\n## API\n\napi run 1\n\n## Engine benchmarks\n\nrun 1\n\nrun 2\n\n## Later\n\nkeep me\n"
	if got != want {
		t.Fatalf("insert into a middle section:\n%q\nwant\n%q", got, want)
	}
	got = InsertInSection(want, "Fault suite", "chaos 1")
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "keep me\n\n## Fault suite\n\nchaos 1\n") {
		t.Fatalf("new section at the end:\n%q", got)
	}
	if got := InsertInSection("", "Fault suite", "x"); got != "# Benchmarks\n\n## Fault suite\n\nx\n" {
		t.Fatalf("empty doc: %q", got)
	}
	// The last section grows at the end of the file.
	if got := InsertInSection("## Fault suite\n\nold\n", "Fault suite", "new"); got != "## Fault suite\n\nold\n\nnew\n" {
		t.Fatalf("last section: %q", got)
	}
	// A heading that merely starts like ours is not ours.
	if got := InsertInSection("## Engine benchmarks (old)\n", "Engine benchmarks", "x"); !strings.HasSuffix(got, "## Engine benchmarks\n\nx\n") {
		t.Fatalf("prefix heading: %q", got)
	}
}
