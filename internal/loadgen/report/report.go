// Package report writes the harness's results as markdown and files them under their
// own section of docs/benchmarks.md, leaving other sections alone.
package report

import (
	"fmt"
	"os"
	"strings"
)

// Table is a markdown table.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row; values are formatted with %v (strings as they are).
func (t *Table) Add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.Rows = append(t.Rows, row)
}

// Markdown renders the table; pipes in cells are escaped so a cell cannot split.
func (t Table) Markdown() string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	line(t.Header)
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// Text renders the table for a terminal: columns padded to their widest cell.
func (t Table) Text() string {
	width := make([]int, len(t.Header))
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range r {
			if i < len(width) {
				width[i] = max(width[i], len(c))
			}
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range r {
			if i < len(width) {
				fmt.Fprintf(&b, "%-*s  ", width[i], c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// InsertInSection returns doc with text added at the end of the "## <section>" part
// (before the next "## " heading), creating the section at the end of doc if absent.
// Everything else in doc is kept byte for byte: other people own other sections.
func InsertInSection(doc, section, text string) string {
	heading := "## " + section
	text = strings.TrimRight(text, "\n") + "\n"
	lines := strings.SplitAfter(doc, "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l, "\r\n") == heading {
			start = i
			break
		}
	}
	if start < 0 {
		if doc == "" {
			doc = "# Benchmarks\n"
		}
		if !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + heading + "\n\n" + text
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## ") {
			end = i
			break
		}
	}
	before := strings.Join(lines[:end], "")
	after := strings.Join(lines[end:], "")
	if !strings.HasSuffix(before, "\n") {
		before += "\n"
	}
	if !strings.HasSuffix(before, "\n\n") {
		before += "\n"
	}
	if after != "" {
		text += "\n"
	}
	return before + text + after
}

// AppendToFile re-reads path (it may have changed since the run began) and files text
// under section.
func AppendToFile(path, section, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, []byte(InsertInSection(string(old), section, text)), 0o644)
}
