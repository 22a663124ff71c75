package store

import (
	"context"
	"slices"
)

// ConversationAgentEvents lists the user's own events about one conversation (offers,
// RONA, transfers, conference joins, status changes, ...), oldest first: the newest
// limit of them, so a console can show them in the thread after a reload exactly as
// the event stream showed them live. The caller checks the conversation's visibility.
func (s *Store) ConversationAgentEvents(ctx context.Context, userID, conversationID string, limit int) ([]AgentEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentEventColumns+`
		FROM agent_events e JOIN conversations c ON c.id = e.conversation_id
		WHERE e.user_id = $1 AND e.conversation_id = $2
		ORDER BY e.id DESC LIMIT $3`, userID, conversationID, limit)
	if err != nil {
		return nil, err
	}
	evs, err := collectAgentEvents(rows)
	slices.Reverse(evs)
	return evs, err
}
