package api

import (
	"net/http"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

const (
	defaultMetricsDays = 7
	maxMetricsDays     = 366
)

// getTeamMetrics: GET /v1/teams/{id}/metrics?from=&to= — response times, volume,
// resolution and missed conversations of a team, for its members and admins.
func (s *Server) getTeamMetrics(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	loc, err := time.LoadLocation(team.TimeZone)
	if err != nil {
		loc = time.UTC // the API validates zones; an unknown one counts days in UTC
	}
	from, to, err := metricsRange(r.URL.Query().Get("from"), r.URL.Query().Get("to"), s.Now(), loc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.Store.TeamMetrics(r.Context(), team.ID, from, to, loc.String())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// metricsRange reads ?from= and ?to= into [from, to): each an RFC 3339 instant or a
// date (YYYY-MM-DD) in loc, a date "to" included whole. Without to, now; without from,
// 7 days before to. to must be after from, at most 366 days later.
func metricsRange(fromS, toS string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	to = now
	if toS != "" {
		if to, err = metricsTime("to", toS, loc, true); err != nil {
			return from, to, err
		}
	}
	from = to.AddDate(0, 0, -defaultMetricsDays)
	if fromS != "" {
		if from, err = metricsTime("from", fromS, loc, false); err != nil {
			return from, to, err
		}
	}
	switch {
	case !to.After(from):
		return from, to, conversation.Errorf(conversation.EInvalid, "to (%s) must be after from (%s)",
			to.Format(time.RFC3339), from.Format(time.RFC3339))
	case to.After(from.In(loc).AddDate(0, 0, maxMetricsDays)):
		return from, to, conversation.Errorf(conversation.EInvalid, "the range is %.0f days long; the limit is %d days",
			to.Sub(from).Hours()/24, maxMetricsDays)
	}
	return from, to, nil
}

// metricsTime parses one bound; a date is its midnight in loc, or for an end, the
// next midnight (the day is included).
func metricsTime(field, v string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, conversation.Errorf(conversation.EInvalid,
			"%s must be an RFC 3339 time (2024-05-01T09:00:00Z) or a date (2024-05-01); got %q", field, v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
