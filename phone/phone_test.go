package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		raw, region string
		e164        string
		typ         Type
		err         error
	}{
		{"+14155550123", "", "+14155550123", FixedLineOrMobile, nil},
		{"(415) 555-0123", "US", "+14155550123", FixedLineOrMobile, nil},
		{"415.555.0123", "", "+14155550123", FixedLineOrMobile, nil},
		{"+1 415 555 0123 ext 5", "", "+14155550123", FixedLineOrMobile, nil},
		{"015112345678", "DE", "+4915112345678", Mobile, nil},
		{"015112345678", "de", "+4915112345678", Mobile, nil},
		{"030 1234567", "DE", "+49301234567", FixedLine, nil},
		{"+4915112345678", "US", "+4915112345678", Mobile, nil}, // + wins over the region
		{"+18005550199", "", "+18005550199", TollFree, nil},
		{"+33612345678", "FR", "+33612345678", Mobile, nil},
		{"", "US", "", Unknown, ErrMissing},
		{"   ", "US", "", Unknown, ErrMissing},
		{"abc", "US", "", Unknown, ErrNotANumber},
		{"12", "US", "", Unknown, ErrTooShort},
		{"+1415", "", "", Unknown, ErrTooShort},
		{"+1212123456", "", "", Unknown, ErrTooShort},
		{"+1415200000123456", "", "", Unknown, ErrTooLong},
		{"+999123456789", "", "", Unknown, ErrCountryCode},
		{"5550123", "US", "", Unknown, ErrLocalNumberOnly},
		{"+15551234567", "", "", Unknown, ErrInvalidNumber}, // 555 is not an area code
		{"+447700900123", "GB", "", Unknown, ErrInvalidNumber},
		{"+14155550123", "XX", "", Unknown, ErrUnknownRegion},
	}
	for _, c := range cases {
		e164, typ, err := Normalize(c.raw, c.region)
		if e164 != c.e164 || typ != c.typ || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("Normalize(%q, %q) = %q, %q, %v; want %q, %q, %v", c.raw, c.region, e164, typ, err, c.e164, c.typ, c.err)
		}
		var pe *Error
		if err != nil && (!errors.As(err, &pe) || pe.Raw != c.raw || !strings.Contains(err.Error(), c.err.Error())) {
			t.Errorf("Normalize(%q): error %q does not name the number and reason", c.raw, err)
		}
	}
}

func TestMayBeMobile(t *testing.T) {
	for typ, want := range map[Type]bool{Mobile: true, FixedLineOrMobile: true, FixedLine: false, TollFree: false, VoIP: false, Unknown: false} {
		if typ.MayBeMobile() != want {
			t.Errorf("%s.MayBeMobile() = %v", typ, !want)
		}
	}
}
