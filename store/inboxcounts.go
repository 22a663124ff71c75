package store

import (
	"context"
	"slices"
	"strings"
)

// InboxCounts are how many conversations one team's inboxes hold for a viewer.
type InboxCounts struct {
	TeamID string `json:"team_id"`
	New    int    `json:"new"`
	Missed int    `json:"missed"`
	Mine   int    `json:"mine"`
	Team   int    `json:"team"`
	Other  int    `json:"other"`
	// MineUnread: conversations of Mine with customer messages the viewer has not read.
	MineUnread int `json:"mine_unread"`
}

// countedInboxes are the inboxes InboxCounts counts (archived grows without bound and
// is not counted).
var countedInboxes = []string{InboxNew, InboxMissed, InboxMine, InboxTeam, InboxOther}

// InboxCounts counts the viewer's inboxes in each of their teams, with the same
// conditions as ListInbox (inboxWhere), so a count is the length of its list. Each
// count is an index scan of one team's conversations in that state.
func (s *Store) InboxCounts(ctx context.Context, v Viewer) ([]InboxCounts, error) {
	teams := slices.Clone(v.TeamIDs)
	slices.Sort(teams)
	teams = slices.Compact(teams)
	l := teamList{viewer: v, args: []any{teams}} // $1: the teams
	visible := conversationVisibleSQL("c", l.arg(v.UserID), l.arg(v.Admin))
	count := func(extra ...string) string {
		where := append([]string{`c.team_id = tm.team_id`, `c.deleted_at IS NULL`, visible}, extra...)
		return `(SELECT count(*) FROM conversations c WHERE ` + strings.Join(where, " AND ") + `)`
	}
	cols := make([]string, 0, len(countedInboxes)+1)
	for _, inbox := range countedInboxes {
		where, err := inboxWhere(inbox, &l)
		if err != nil {
			return nil, err
		}
		cols = append(cols, count(where...))
		if inbox == InboxMine {
			cols = append(cols, count(append(where, unreadSQL("c", l.arg(v.UserID))+` > 0`)...))
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT tm.team_id, `+strings.Join(cols, ", ")+`
		FROM unnest($1::uuid[]) AS tm (team_id) ORDER BY tm.team_id`, l.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []InboxCounts{}
	for rows.Next() {
		var c InboxCounts
		if err := rows.Scan(&c.TeamID, &c.New, &c.Missed, &c.Mine, &c.MineUnread, &c.Team, &c.Other); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
