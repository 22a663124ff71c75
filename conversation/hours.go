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

// parseClock reads exactly "HH:MM" (24:00 allowed as the end of a day).
func parseClock(s string) (int, error) {
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	if len(s) != 5 || s[2] != ':' || !digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4]) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}
