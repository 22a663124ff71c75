package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// TeamMetrics describe a team's conversations in [From, To). Averages are in seconds,
// null without a sample.
type TeamMetrics struct {
	TeamID   string    `json:"team_id"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"time_zone"`
	// Conversations opened in the range, and per day of the team's time zone.
	Conversations       int        `json:"conversations"`
	ConversationsPerDay []DayCount `json:"conversations_per_day"`
	// First response: a customer-started conversation opened → its first agent message.
	AvgFirstResponseSeconds *float64 `json:"avg_first_response_seconds"`
	FirstResponses          int      `json:"first_responses"`
	// Response: a customer message in the range → the next agent message.
	AvgResponseSeconds *float64 `json:"avg_response_seconds"`
	Responses          int      `json:"responses"`
	// Resolution: of the conversations closed in the range, those wrapped up with a
	// reason other than the team's default (what a timed-out wrap-up gets).
	Closed         int      `json:"closed"`
	Resolved       int      `json:"resolved"`
	ResolutionRate *float64 `json:"resolution_rate"`
	// Missed: conversations opened in the range that were ever missed.
	Missed int `json:"missed"`
}

// DayCount is a count for one day (YYYY-MM-DD).
type DayCount struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

// agentMessageSQL is true for message alias written by an agent to the customer (a
// reply or a closing message); system messages and scheduled sends are not answers.
func agentMessageSQL(alias string) string {
	return alias + `.direction = 'outbound' AND ` + alias + `.author_id IS NOT NULL AND ` + alias + `.kind IN ('text', 'closing')`
}

// Each metric is one aggregate over an index range: conversations_team_opened for
// those opened in the range, conversations_team_archived for those closed in it, and
// messages_conversation within each conversation. $1 team, $2 from, $3 to.
var (
	openedMetricsSQL = `SELECT count(*), count(*) FILTER (WHERE c.missed_at IS NOT NULL),
			avg(extract(epoch FROM fr.at - c.opened_at))::float8, count(fr.at)
		FROM conversations c
		LEFT JOIN LATERAL (SELECT min(a.created_at) AS at FROM messages a WHERE a.conversation_id = c.id AND ` + agentMessageSQL("a") + `) fr
			ON (SELECT m.direction FROM messages m WHERE m.conversation_id = c.id AND m.direction <> 'internal'
				ORDER BY m.created_at, m.id LIMIT 1) = 'inbound'
		WHERE c.team_id = $1 AND c.deleted_at IS NULL AND c.opened_at >= $2 AND c.opened_at < $3`

	// $4 is the team's time zone; every day of the range is listed, empty ones too.
	perDaySQL = `SELECT to_char(d, 'YYYY-MM-DD'), count(c.id)
		FROM generate_series(($2::timestamptz AT TIME ZONE $4::text)::date::timestamp,
			(($3::timestamptz - interval '1 microsecond') AT TIME ZONE $4::text)::date::timestamp, interval '1 day') d
		LEFT JOIN conversations c ON c.team_id = $1 AND c.deleted_at IS NULL AND c.opened_at >= $2 AND c.opened_at < $3
			AND (c.opened_at AT TIME ZONE $4::text)::date = d::date
		GROUP BY d ORDER BY d`

	responseMetricsSQL = `SELECT avg(extract(epoch FROM r.at - m.created_at))::float8, count(r.at)
		FROM conversations c
		JOIN messages m ON m.conversation_id = c.id AND m.direction = 'inbound' AND m.created_at >= $2 AND m.created_at < $3
		LEFT JOIN LATERAL (SELECT min(a.created_at) AS at FROM messages a
			WHERE a.conversation_id = c.id AND a.created_at > m.created_at AND ` + agentMessageSQL("a") + `) r ON true
		WHERE c.team_id = $1 AND c.deleted_at IS NULL AND c.opened_at < $3 AND (c.closed_at IS NULL OR c.closed_at >= $2)`

	resolutionMetricsSQL = `SELECT count(*),
			count(*) FILTER (WHERE c.close_reason = 'wrapped_up' AND c.wrap_up_reason IS DISTINCT FROM t.default_wrap_up_reason)
		FROM conversations c JOIN teams t ON t.id = c.team_id
		WHERE c.team_id = $1 AND c.status = 'closed' AND c.deleted_at IS NULL AND c.closed_at >= $2 AND c.closed_at < $3`
)

// TeamMetrics computes a team's metrics over [from, to), days counted in timeZone, in
// one snapshot.
func (s *Store) TeamMetrics(ctx context.Context, teamID string, from, to time.Time, timeZone string) (TeamMetrics, error) {
	m := TeamMetrics{TeamID: teamID, From: from.UTC(), To: to.UTC(), TimeZone: timeZone, ConversationsPerDay: []DayCount{}}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, openedMetricsSQL, teamID, from, to).
		Scan(&m.Conversations, &m.Missed, &m.AvgFirstResponseSeconds, &m.FirstResponses); err != nil {
		return m, err
	}
	if err := tx.QueryRow(ctx, responseMetricsSQL, teamID, from, to).Scan(&m.AvgResponseSeconds, &m.Responses); err != nil {
		return m, err
	}
	if err := tx.QueryRow(ctx, resolutionMetricsSQL, teamID, from, to).Scan(&m.Closed, &m.Resolved); err != nil {
		return m, err
	}
	if m.Closed > 0 {
		rate := float64(m.Resolved) / float64(m.Closed)
		m.ResolutionRate = &rate
	}
	rows, err := tx.Query(ctx, perDaySQL, teamID, from, to, timeZone)
	if err != nil {
		return m, err
	}
	days, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DayCount, error) {
		var d DayCount
		return d, r.Scan(&d.Date, &d.Count)
	})
	if err != nil {
		return m, err
	}
	if days != nil {
		m.ConversationsPerDay = days
	}
	return m, tx.Commit(ctx)
}
