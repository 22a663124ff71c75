package store

import (
	"context"
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
