package api

import (
	"strings"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

func TestMetricsRange(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	now := time.Date(2024, 3, 20, 12, 0, 0, 0, time.UTC)
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, c := range []struct {
		from, to         string
		wantFrom, wantTo time.Time
		err              string // part of the 400's message
	}{
		{"", "", now.AddDate(0, 0, -7), now, ""},
		{"2024-03-01T00:00:00Z", "", utc("2024-03-01T00:00:00Z"), now, ""},
		{"", "2024-03-10T06:00:00+01:00", utc("2024-03-03T05:00:00Z"), utc("2024-03-10T05:00:00Z"), ""},
		// Dates are days of the zone, the end day included (DST starts on 2024-03-10).
		{"2024-03-09", "2024-03-10", utc("2024-03-09T05:00:00Z"), utc("2024-03-11T04:00:00Z"), ""},
		{"2023-03-20", "2024-03-19", utc("2023-03-20T04:00:00Z"), utc("2024-03-20T04:00:00Z"), ""}, // 366 days
		{"2023-03-19", "2024-03-19", time.Time{}, time.Time{}, "366"},
		{"2024-03-10", "2024-03-09", time.Time{}, time.Time{}, "must be after"},
		{"2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", time.Time{}, time.Time{}, "must be after"},
		{"yesterday", "", time.Time{}, time.Time{}, "from must be"},
		{"", "2024-13-01", time.Time{}, time.Time{}, "to must be"},
	} {
		from, to, err := metricsRange(c.from, c.to, now, ny)
		if c.err != "" {
			if conversation.ErrorCode(err) != conversation.EInvalid || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q..%q: %v; want invalid mentioning %q", c.from, c.to, err, c.err)
			}
			continue
		}
		if err != nil || !from.Equal(c.wantFrom) || !to.Equal(c.wantTo) {
			t.Errorf("%q..%q = %v..%v, %v; want %v..%v", c.from, c.to, from, to, err, c.wantFrom, c.wantTo)
		}
	}
}

func TestMobileNumber(t *testing.T) {
	for _, c := range []struct{ raw, want, err string }{
		{"(415) 555-0123", "+14155550123", ""},     // fixed line or mobile: the US plan cannot tell
		{"+4915112345678", "+4915112345678", ""},   // mobile
		{"+1415", "", "too short"},                 // too short
		{"+15551234567", "", "not a valid number"}, // invalid in its region
		{"+49301234567", "", "fixed line number, not a mobile"},
		{"+18005550199", "", "toll free number, not a mobile"},
	} {
		got, err := textableNumber("phone", c.raw, "US")
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && (!strings.Contains(err.Error(), c.err) ||
			conversation.ErrorCode(err) != conversation.EInvalid)) {
			t.Errorf("textableNumber(%q) = %q, %v; want %q, %q", c.raw, got, err, c.want, c.err)
		}
	}
}
