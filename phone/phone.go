// Package phone parses and validates phone numbers (nyaruka/phonenumbers, a port of
// Google's libphonenumber) into E.164, the one form textdesk stores, and tells what
// kind of line a number is.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is used when a team has no default region.
const DefaultRegion = "US"

// Type is the kind of line a number belongs to, as far as its numbering plan tells.
type Type string

const (
	Mobile            Type = "mobile"
	FixedLine         Type = "fixed_line"
	FixedLineOrMobile Type = "fixed_line_or_mobile" // e.g. the US and Canada: the plan cannot tell
	TollFree          Type = "toll_free"
	PremiumRate       Type = "premium_rate"
	SharedCost        Type = "shared_cost"
	VoIP              Type = "voip"
	PersonalNumber    Type = "personal_number"
	Pager             Type = "pager"
	UAN               Type = "uan"
	Voicemail         Type = "voicemail"
	Unknown           Type = "unknown"
)

// MayBeMobile reports whether a number of this type may receive SMS on a handset:
// mobile numbers, and numbers whose plan does not separate mobile from fixed lines.
func (t Type) MayBeMobile() bool { return t == Mobile || t == FixedLineOrMobile }

var types = map[phonenumbers.PhoneNumberType]Type{
	phonenumbers.MOBILE: Mobile, phonenumbers.FIXED_LINE: FixedLine, phonenumbers.FIXED_LINE_OR_MOBILE: FixedLineOrMobile,
	phonenumbers.TOLL_FREE: TollFree, phonenumbers.PREMIUM_RATE: PremiumRate, phonenumbers.SHARED_COST: SharedCost,
	phonenumbers.VOIP: VoIP, phonenumbers.PERSONAL_NUMBER: PersonalNumber, phonenumbers.PAGER: Pager,
	phonenumbers.UAN: UAN, phonenumbers.VOICEMAIL: Voicemail, phonenumbers.UNKNOWN: Unknown,
}

// Reasons a number is refused. Error.Reason is one of them; errors.Is matches them.
var (
	ErrMissing         = errors.New("phone number is missing")
	ErrNotANumber      = errors.New("not a phone number")
	ErrTooShort        = errors.New("too short to be a phone number")
	ErrTooLong         = errors.New("too long to be a phone number")
	ErrCountryCode     = errors.New("unknown country code")
	ErrInvalidLength   = errors.New("wrong number of digits for its country")
	ErrInvalidNumber   = errors.New("not a valid number in its country")
	ErrUnknownRegion   = errors.New("unknown default region")
	ErrLocalNumberOnly = errors.New("a local number without its area code")
)

// Error is a refused number and why.
type Error struct {
	Raw    string
	Region string // the default region it was read in
	Reason error
}

func (e *Error) Error() string {
	switch e.Reason {
	case ErrMissing:
		return e.Reason.Error()
	case ErrUnknownRegion:
		return fmt.Sprintf("%s %q", e.Reason, e.Region)
	case ErrCountryCode, ErrLocalNumberOnly:
		return fmt.Sprintf("%q: %s (write it in international form, e.g. +14155550123)", e.Raw, e.Reason)
	case ErrTooShort, ErrTooLong, ErrInvalidLength:
		return fmt.Sprintf("%q: %s (read as a number of region %s unless it starts with +)", e.Raw, e.Reason, e.Region)
	}
	return fmt.Sprintf("%q: %s", e.Raw, e.Reason)
}

func (e *Error) Unwrap() error { return e.Reason }

// Normalize reads raw (E.164, or a national number of region, e.g. "(415) 555-0123"
// with region "US") and returns it in E.164 with its line type. It refuses, with a
// reason, anything that is not a valid number: too short or long, an unknown country
// code, a number not in use in its country's plan. region is an ISO 3166 code; ""
// means DefaultRegion.
func Normalize(raw, region string) (string, Type, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = DefaultRegion
	}
	refuse := func(reason error) (string, Type, error) {
		return "", Unknown, &Error{Raw: raw, Region: region, Reason: reason}
	}
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return refuse(ErrUnknownRegion)
	}
	if strings.TrimSpace(raw) == "" {
		return refuse(ErrMissing)
	}
	num, err := phonenumbers.Parse(raw, region)
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return refuse(ErrCountryCode)
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return refuse(ErrTooShort)
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return refuse(ErrTooLong)
	case err != nil:
		return refuse(ErrNotANumber)
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.TOO_SHORT:
		return refuse(ErrTooShort)
	case phonenumbers.TOO_LONG:
		return refuse(ErrTooLong)
	case phonenumbers.INVALID_COUNTRY_CODE:
		return refuse(ErrCountryCode)
	case phonenumbers.INVALID_LENGTH:
		return refuse(ErrInvalidLength)
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return refuse(ErrLocalNumberOnly)
	}
	if !phonenumbers.IsValidNumber(num) {
		return refuse(ErrInvalidNumber)
	}
	return phonenumbers.Format(num, phonenumbers.E164), types[phonenumbers.GetNumberType(num)], nil
}
