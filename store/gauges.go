package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// TeamGauge is a team's live load, read for each scrape of the API's /metrics.
type TeamGauge struct {
	TeamID string
	// Conversations counts the team's open conversations by status: new, missed,
	// active and wrap_up (every one present, zero included).
	Conversations map[string]int
	// OldestWaiting is when the oldest conversation waiting for an agent (new or
	// missed) opened; zero when none waits.
	OldestWaiting time.Time
	// AgentsAvailable counts the team's members whose presence is available.
	AgentsAvailable int
}

// OpenStatuses are the statuses of an open conversation, in the order of its life.
var OpenStatuses = []string{"new", "missed", "active", "wrap_up"}

// Two aggregates over all teams, whatever their number. Agents: teams (small), their
// members by primary key, presence by primary key. Conversations: the partial index
// conversations_one_open holds exactly the open ones (status <> 'closed'), so closed
// history is never read.
const (
	teamAgentsGaugeSQL = `SELECT t.id, count(p.user_id)
		FROM teams t
		LEFT JOIN team_members m ON m.team_id = t.id
		LEFT JOIN agent_presence p ON p.user_id = m.user_id AND p.state = 'available'
		GROUP BY t.id`
	teamConversationsGaugeSQL = `SELECT team_id, status, count(*), min(opened_at) FILTER (WHERE status IN ('new', 'missed'))
		FROM conversations
		WHERE status <> 'closed' AND deleted_at IS NULL
		GROUP BY team_id, status`
)

// TeamGauges reads every team's gauges in one round trip and one snapshot, ordered by
// team id.
func (s *Store) TeamGauges(ctx context.Context) ([]TeamGauge, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	var b pgx.Batch
	b.Queue(teamAgentsGaugeSQL)
	b.Queue(teamConversationsGaugeSQL)
	res := tx.SendBatch(ctx, &b)
	defer res.Close()

	byTeam := map[string]*TeamGauge{}
	var gauges []*TeamGauge
	team := func(id string) *TeamGauge {
		g := byTeam[id]
		if g == nil {
			g = &TeamGauge{TeamID: id, Conversations: make(map[string]int, len(OpenStatuses))}
			for _, st := range OpenStatuses {
				g.Conversations[st] = 0
			}
			byTeam[id] = g
			gauges = append(gauges, g)
		}
		return g
	}

	rows, err := res.Query()
	if err != nil {
		return nil, err
	}
	var id string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		team(id).AgentsAvailable = n
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = res.Query()
	if err != nil {
		return nil, err
	}
	var status string
	var oldest *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&id, &status, &n, &oldest}, func() error {
		g := team(id)
		g.Conversations[status] = n
		if oldest != nil && (g.OldestWaiting.IsZero() || oldest.Before(g.OldestWaiting)) {
			g.OldestWaiting = *oldest
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := res.Close(); err != nil {
		return nil, err
	}

	out := make([]TeamGauge, len(gauges))
	for i, g := range gauges {
		out[i] = *g
	}
	slices.SortFunc(out, func(a, b TeamGauge) int { return strings.Compare(a.TeamID, b.TeamID) })
	return out, tx.Commit(ctx)
}
