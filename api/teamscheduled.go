package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

var scheduledStatuses = []string{"pending", "sent", "cancelled", "failed"}

// teamScheduledJSON is a scheduled message with the link that cancels it (pending only).
type teamScheduledJSON struct {
	store.ScheduledMessage
	CancelURL string `json:"cancel_url,omitempty"`
}

// listTeamScheduled: GET /v1/teams/{id}/scheduled-messages?status=&from=&to=&cursor=&limit=
// — the team's scheduled messages, soonest send_at first, for its members and admins
// (like the team's other lists); a message joined to a conversation restricted away
// from the caller is left out, as the conversation is. status defaults to pending
// ("all" for every status); from and to bound send_at (RFC 3339, from inclusive).
func (s *Server) listTeamScheduled(w http.ResponseWriter, r *http.Request) {
	team, err := s.teamAccess(r, teamRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	query := store.TeamScheduledQuery{TeamID: team.ID, Viewer: userFrom(r), Cursor: q.Get("cursor"), Status: q.Get("status")}
	switch query.Status {
	case "":
		query.Status = "pending"
	case "all":
		query.Status = ""
	default:
		if !slices.Contains(scheduledStatuses, query.Status) {
			writeError(w, r, conversation.Errorf(conversation.EInvalid, "status must be one of pending, sent, cancelled, failed or all"))
			return
		}
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &query.From}, {"to", &query.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, r, conversation.Errorf(conversation.EInvalid, "%s must be an RFC 3339 time, e.g. 2030-01-02T09:00:00Z", p.name))
				return
			}
			*p.dst = &t
		}
	}
	if query.From != nil && query.To != nil && !query.From.Before(*query.To) {
		writeError(w, r, conversation.Errorf(conversation.EInvalid, "from must be before to"))
		return
	}
	if query.Limit, err = pageLimit(r); err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.Store.TeamScheduled(r.Context(), query)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]teamScheduledJSON, len(page.Scheduled))
	for i, m := range page.Scheduled {
		out[i] = teamScheduledJSON{ScheduledMessage: m}
		if m.Status == "pending" {
			out[i].CancelURL = "/v1/scheduled-messages/" + m.ID
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"scheduled": out, "next_cursor": page.NextCursor})
}
