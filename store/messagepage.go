package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// MessagePage is one page of a conversation's messages.
type MessagePage struct {
	Messages   []Message `json:"messages"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Message orders: a console opens a long conversation at its newest messages and
// scrolls back; an export reads it from the start.
const (
	MessagesOldestFirst = "oldest"
	MessagesNewestFirst = "newest"
)

// MessagesPage lists a conversation's messages in order (MessagesOldestFirst or
// MessagesNewestFirst), keyset-paginated on (created_at, id) by the index
// messages_conversation, so a deep page costs what the first does. A cursor is only
// valid for the order that produced it.
func (s *Store) MessagesPage(ctx context.Context, conversationID, order, cursor string, limit int) (MessagePage, error) {
	page := MessagePage{Messages: []Message{}}
	listName := "messages-" + order
	pos, err := decodeInboxCursor(listName, cursor)
	if err != nil {
		return page, err
	}
	cmp, dir := ">", "ASC"
	if order == MessagesNewestFirst {
		cmp, dir = "<", "DESC"
	}
	where := `conversation_id = $1`
	args := []any{conversationID, limit + 1}
	if pos.set {
		where += ` AND (created_at, id) ` + cmp + ` ($3::timestamptz, $4::uuid)`
		args = append(args, pos.at, pos.id)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE `+where+` ORDER BY created_at `+dir+`, id `+dir+` LIMIT $2`, args...)
	if err != nil {
		return page, err
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) { return scanMessage(r) })
	if err != nil {
		return page, err
	}
	if len(msgs) > limit {
		msgs = msgs[:limit]
		last := msgs[limit-1]
		page.NextCursor = encodeInboxCursor(listName, 0, last.CreatedAt, last.ID)
	}
	if msgs != nil {
		page.Messages = msgs
	}
	return page, nil
}
