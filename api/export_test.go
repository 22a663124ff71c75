package api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"hello":         "hello",
		"=1+1":          "'=1+1",
		"+15551234567":  "'+15551234567",
		"-2":            "'-2",
		"@SUM(A1)":      "'@SUM(A1)",
		"\t=cmd":        "'\t=cmd",
		"\r=cmd":        "'\r=cmd",
		"a=b":           "a=b",
		"'already text": "'already text",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestConversationRange(t *testing.T) {
	for _, c := range []struct {
		query    string
		required bool
		err      string // "" for none
	}{
		{"", false, ""},
		{"", true, "from is required"},
		{"from=2026-01-01T00:00:00Z", true, "to is required"},
		{"from=2026-01-01T00:00:00Z&to=2027-01-02T00:00:00Z", true, ""}, // 366 days
		{"from=2026-01-01T00:00:00Z&to=2027-01-02T00:00:01Z", true, "limit is 366 days"},
		{"from=2026-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", false, ""}, // a contact's range is not bounded
		{"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", false, "must be after"},
		{"from=2026-01-01", false, `from: "2026-01-01" is not an RFC 3339 time`},
		{"to=tomorrow", false, `to: "tomorrow"`},
	} {
		_, err := conversationRange(httptest.NewRequest("GET", "/x?"+c.query, nil), c.required)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q (required %v): %v", c.query, c.required, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q (required %v): %v; want an error saying %q", c.query, c.required, err, c.err)
		}
	}
}
