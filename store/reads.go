package store

import (
	"context"

	"github.com/textdesk/textdesk/conversation"
)

// unreadSQL counts user $U's unread customer messages of conversation alias c: inbound
// messages after their read position (all of them if they never read it). It walks
// messages_inbound from the position.
func unreadSQL(alias, userParam string) string {
	return `(SELECT count(*) FROM messages um
		LEFT JOIN conversation_reads ur ON ur.conversation_id = um.conversation_id AND ur.user_id = ` + userParam + `::uuid
		WHERE um.conversation_id = ` + alias + `.id AND um.direction = 'inbound'
		  AND (ur.user_id IS NULL OR (um.created_at, um.id) > (ur.read_at, ur.message_id)))`
}

// MarkRead moves the user's read position in a conversation up to messageID, a
// message of it. The position never moves back: marking an older message read
// changes nothing.
func (s *Store) MarkRead(ctx context.Context, userID, conversationID, messageID string) error {
	if !validUUID(messageID) {
		return conversation.Errorf(conversation.EInvalid, "message_id must be the id of a message of the conversation")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO conversation_reads AS r (user_id, conversation_id, read_at, message_id)
		SELECT $1, m.conversation_id, m.created_at, m.id FROM messages m WHERE m.id = $3 AND m.conversation_id = $2
		ON CONFLICT (user_id, conversation_id) DO UPDATE SET read_at = excluded.read_at, message_id = excluded.message_id, updated_at = now()
			WHERE (excluded.read_at, excluded.message_id) > (r.read_at, r.message_id)`, userID, conversationID, messageID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		// Either no such message in the conversation, or a position already further on.
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2)`,
			messageID, conversationID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return conversation.Errorf(conversation.EInvalid, "message_id %s is not a message of this conversation", messageID)
		}
	}
	return nil
}

// Unread counts the user's unread customer messages of each conversation of ids.
func (s *Store) Unread(ctx context.Context, userID string, ids []string) (map[string]int, error) {
	out := make(map[string]int, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, `+unreadSQL("c", "$1")+`
		FROM unnest($2::uuid[]) AS c (id)`, userID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
