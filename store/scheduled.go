package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// ScheduledMessage is a message queued for later.
type ScheduledMessage struct {
	ID             string    `json:"id"`
	TeamID         string    `json:"team_id"`
	ContactID      string    `json:"contact_id"`
	ConversationID *string   `json:"conversation_id"`
	AuthorID       *string   `json:"author_id"`
	Body           string    `json:"body"`
	SendAt         time.Time `json:"send_at"`
	Status         string    `json:"status"`
	Reason         *string   `json:"reason"`
	MessageID      *string   `json:"message_id"`
	CreatedAt      time.Time `json:"created_at"`
}

const scheduledColumns = `id, team_id, contact_id, conversation_id, author_id, body, send_at, status, reason, message_id, created_at`

func scanScheduled(row interface{ Scan(...any) error }) (ScheduledMessage, error) {
	var m ScheduledMessage
	err := row.Scan(&m.ID, &m.TeamID, &m.ContactID, &m.ConversationID, &m.AuthorID, &m.Body, &m.SendAt, &m.Status,
		&m.Reason, &m.MessageID, &m.CreatedAt)
	return m, err
}

// UpsertScheduled stores a pending scheduled message for a conversation. Re-running it
// (an activity retry, or re-homing to a new conversation) only moves it.
func (s *Store) UpsertScheduled(ctx context.Context, conversationID, teamID, contactID string, sc conversation.Scheduled) error {
	var author *string
	if sc.AuthorID != "" {
		author = &sc.AuthorID
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO scheduled_messages (id, team_id, contact_id, conversation_id, author_id, body, send_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id, updated_at = now()
		WHERE scheduled_messages.status = 'pending'`,
		sc.ID, teamID, contactID, conversationID, author, sc.Body, sc.SendAt)
	return err
}

// CancelScheduled marks a pending scheduled message cancelled; a sent one is untouched.
func (s *Store) CancelScheduled(ctx context.Context, id, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE scheduled_messages SET status = 'cancelled', reason = $2, updated_at = now()
		WHERE id = $1 AND status = 'pending'`, id, reason)
	return err
}

// Scheduled loads one scheduled message.
func (s *Store) Scheduled(ctx context.Context, id string) (ScheduledMessage, error) {
	if !validUUID(id) {
		return ScheduledMessage{}, conversation.Errorf(conversation.ENotFound, "scheduled message not found")
	}
	m, err := scanScheduled(s.pool.QueryRow(ctx, `SELECT `+scheduledColumns+` FROM scheduled_messages WHERE id = $1`, id))
	return m, notFound(err, "scheduled message")
}

// PendingScheduled lists a conversation's pending scheduled messages, soonest first.
func (s *Store) PendingScheduled(ctx context.Context, conversationID string) ([]ScheduledMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+scheduledColumns+` FROM scheduled_messages
		WHERE conversation_id = $1 AND status = 'pending' ORDER BY send_at, id`, conversationID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScheduledMessage, error) { return scanScheduled(r) })
	if out == nil {
		out = []ScheduledMessage{}
	}
	return out, err
}

// TeamScheduledQuery selects a page of a team's scheduled messages.
type TeamScheduledQuery struct {
	TeamID   string
	Viewer   User       // messages of conversations restricted away from them are left out
	Status   string     // pending, sent, cancelled or failed; "" for every status
	From, To *time.Time // send_at in [From, To)
	Cursor   string
	Limit    int
}

// ScheduledPage is one page of scheduled messages, soonest send_at first.
type ScheduledPage struct {
	Scheduled  []ScheduledMessage `json:"scheduled"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// TeamScheduled lists the scheduled messages of a team (the team they were scheduled
// in), soonest first, keyset-paged on (send_at, id).
func (s *Store) TeamScheduled(ctx context.Context, q TeamScheduledQuery) (ScheduledPage, error) {
	var page ScheduledPage
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return page, err
	}
	var status *string
	if q.Status != "" {
		status = &q.Status
	}
	var afterTime *time.Time
	if after.time != nil {
		afterTime = after.time
	}
	rows, err := s.pool.Query(ctx, `SELECT `+prefixed("m", scheduledColumns)+` FROM scheduled_messages m
		LEFT JOIN conversations c ON c.id = m.conversation_id
		WHERE m.team_id = $1
		AND ($2::text IS NULL OR m.status = $2)
		AND ($3::timestamptz IS NULL OR m.send_at >= $3)
		AND ($4::timestamptz IS NULL OR m.send_at < $4)
		AND ($5::timestamptz IS NULL OR (m.send_at, m.id) > ($5, $6::uuid))
		AND (c.id IS NULL OR `+conversationVisibleSQL("c", "$7", "$8")+`)
		ORDER BY m.send_at, m.id LIMIT $9`,
		q.TeamID, status, q.From, q.To, afterTime, after.id, q.Viewer.ID, q.Viewer.Role == RoleAdmin, q.Limit+1)
	if err != nil {
		return page, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScheduledMessage, error) { return scanScheduled(r) })
	if err != nil {
		return page, err
	}
	if len(items) > q.Limit {
		items = items[:q.Limit]
		last := items[len(items)-1]
		page.NextCursor = encodeCursor(last.SendAt, last.ID)
	}
	if items == nil {
		items = []ScheduledMessage{}
	}
	page.Scheduled = items
	return page, nil
}

// prefixed qualifies each of a comma-separated column list with alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}
