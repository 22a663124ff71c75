package store

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
)

// ConversationAgentEvents lists the user's own events about one conversation (offers,
// RONA, transfers, conference joins, status changes, ...), oldest first: the newest
// limit of them, so a console can show them in the thread after a reload exactly as
// the event stream showed them live. The caller checks the conversation's visibility.
func (s *Store) ConversationAgentEvents(ctx context.Context, userID, conversationID string, limit int) ([]AgentEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.id, e.conversation_id, coalesce(e.team_id, c.team_id), e.kind, e.text, e.alert,
			e.created_at, e.data
		FROM agent_events e JOIN conversations c ON c.id = e.conversation_id
		WHERE e.user_id = $1 AND e.conversation_id = $2
		ORDER BY e.id DESC LIMIT $3`, userID, conversationID, limit)
	if err != nil {
		return nil, err
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AgentEvent, error) {
		var e AgentEvent
		var data []byte
		err := r.Scan(&e.ID, &e.ConversationID, &e.TeamID, &e.Kind, &e.Text, &e.Alert, &e.CreatedAt, &data)
		if len(data) > 0 {
			e.Data = data
		}
		return e, err
	})
	if evs == nil {
		evs = []AgentEvent{}
	}
	slices.Reverse(evs)
	return evs, err
}
