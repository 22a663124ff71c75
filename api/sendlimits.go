package api

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Outbound abuse limits (SMS toll fraud): a team texts only its allowed destination
// countries (default: its default region) and at most its daily quota per UTC day.
// The API refuses a send past them before the workflow is asked (422 country, 429
// quota); the send activity checks both again at hand-off, for scheduled messages and
// automatic replies.

const maxAllowedCountries = 50

// sendLimits validates allowed_countries and daily_send_quota into p.
func (req patchTeamRequest) sendLimits(p *store.TeamPatch) error {
	if req.AllowedCountries.Set {
		list := []string{}
		if !req.AllowedCountries.Null {
			if len(req.AllowedCountries.Value) > maxAllowedCountries {
				return conversation.Errorf(conversation.EUnprocessable, "allowed_countries lists %d regions; the limit is %d", len(req.AllowedCountries.Value), maxAllowedCountries)
			}
			for _, c := range req.AllowedCountries.Value {
				r := strings.ToUpper(strings.TrimSpace(c))
				if len(r) != 2 || phonenumbers.GetCountryCodeForRegion(r) == 0 {
					return conversation.Errorf(conversation.EInvalid, "allowed_countries: %q is not a region with phone numbers; use ISO 3166 codes such as US, GB or FR", c)
				}
				if !slices.Contains(list, r) {
					list = append(list, r)
				}
			}
		}
		p.AllowedCountries = &list
	}
	if req.DailySendQuota.Set {
		p.SetDailySendQuota = true
		if !req.DailySendQuota.Null {
			if v := req.DailySendQuota.Value; v < 0 || v > 1_000_000 {
				return conversation.Errorf(conversation.EInvalid, "daily_send_quota must be from 0 to 1000000 messages (null: the default)")
			}
			p.DailySendQuota = &req.DailySendQuota.Value
		}
	}
	return nil
}

// checkDestination refuses (422) a number outside the team's allowed countries.
func checkDestination(team store.Team, to string) error {
	if !strings.HasPrefix(to, "+") {
		// A short code or alphanumeric sender id texted in: it takes no texts back.
		return conversation.Errorf(conversation.EUnprocessable,
			"%s is not a phone number (a short code or sender id): it cannot be texted back", to)
	}
	region := regionOf(to)
	if !slices.Contains(team.AllowedRegions(), region) {
		return conversation.Errorf(conversation.EUnprocessable,
			"team %s may not text %s numbers (allowed destination countries: %s); an admin can change allowed_countries",
			team.Name, cmpRegion(region), strings.Join(team.AllowedRegions(), ", "))
	}
	return nil
}

func regionOf(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}

func cmpRegion(r string) string {
	if r == "" || r == "ZZ" {
		return "unknown-country"
	}
	return r
}

// retryLater is an error whose answer carries Retry-After (writeError sets it).
type retryLater struct {
	err   error
	after time.Duration
}

func (e *retryLater) Error() string { return e.err.Error() }
func (e *retryLater) Unwrap() error { return e.err }

// checkQuota refuses (429) a send when the team has used its daily quota.
func (s *Server) checkQuota(ctx context.Context, team store.Team) error {
	quota := team.Quota(s.Limits.dailySendQuota())
	sent, err := s.Store.SentToday(ctx, team.ID, s.Now())
	if err != nil {
		return err
	}
	if sent < quota {
		return nil
	}
	now := s.Now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return &retryLater{err: &conversation.Error{Code: codeTooManyRequests, Message: "team " + team.Name +
		" has sent its daily quota of " + strconv.Itoa(quota) + " messages today (UTC); sending resumes at midnight UTC, or an admin can raise daily_send_quota"},
		after: midnight.Sub(now)}
}

// checkSendOn applies both limits to a message about to be sent in conversation c.
func (s *Server) checkSendOn(ctx context.Context, c store.Conversation) error {
	team, err := s.Store.Team(ctx, c.TeamID)
	if err != nil {
		return err
	}
	if err := checkDestination(team, c.ContactPhone); err != nil {
		return err
	}
	return s.checkQuota(ctx, team)
}
