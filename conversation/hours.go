package conversation

import (
	"fmt"
	"slices"
	"time"
)

// BusinessHours maps a weekday ("mon" … "sun") to the intervals chat is open, as
// "HH:MM" pairs in the team's time zone, e.g. {"mon": [["09:00", "17:00"]]}. A day
// without intervals is closed. A nil BusinessHours means chat is never closed by the
// clock, only by the team's switch.
type BusinessHours map[string][][2]string

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Validate explains the first thing wrong with the hours, for a 4xx message.
func (h BusinessHours) Validate() error {
	for day, spans := range h {
		if !slices.Contains(weekdays[:], day) {
			return Errorf(EInvalid, "business_hours: %q is not a day; use mon, tue, wed, thu, fri, sat or sun", day)
		}
		for _, sp := range spans {
			open, err1 := parseClock(sp[0])
			close, err2 := parseClock(sp[1])
			if err1 != nil || err2 != nil {
				return Errorf(EInvalid, "business_hours.%s: times must be HH:MM (24-hour), got %q-%q", day, sp[0], sp[1])
			}
			if close <= open {
				return Errorf(EInvalid, "business_hours.%s: %s-%s closes before it opens", day, sp[0], sp[1])
			}
		}
	}
	return nil
}

// Open reports whether at falls inside the hours, read in loc.
func (h BusinessHours) Open(at time.Time, loc *time.Location) bool {
	if h == nil {
		return true
	}
	local := at.In(loc)
	minute := local.Hour()*60 + local.Minute()
	for _, sp := range h[weekdays[local.Weekday()]] {
		open, err1 := parseClock(sp[0])
		close, err2 := parseClock(sp[1])
		if err1 == nil && err2 == nil && minute >= open && minute < close {
			return true
		}
	}
	return false
}

func parseClock(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	if h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}
