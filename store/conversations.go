package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Conversation is the read model of one conversation.
type Conversation struct {
	ID              string     `json:"id"`
	TeamID          string     `json:"team_id"`
	ContactID       string     `json:"contact_id"`
	ContactPhone    string     `json:"contact_phone"`
	ContactName     string     `json:"contact_name"`
	TeamNumber      string     `json:"team_number"`
	Status          string     `json:"status"`
	NextAction      string     `json:"next_action"`
	NextActionSince time.Time  `json:"next_action_since"`
	LastMessageAt   *time.Time `json:"last_message_at"`
	OpenedAt        time.Time  `json:"opened_at"`
	ClosedAt        *time.Time `json:"closed_at"`
}

const conversationColumns = `c.id, c.team_id, c.contact_id, ct.phone, ct.name, c.team_number, c.status,
	c.next_action, c.next_action_since, c.last_message_at, c.opened_at, c.closed_at`

func scanConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	err := row.Scan(&c.ID, &c.TeamID, &c.ContactID, &c.ContactPhone, &c.ContactName, &c.TeamNumber, &c.Status,
		&c.NextAction, &c.NextActionSince, &c.LastMessageAt, &c.OpenedAt, &c.ClosedAt)
	return c, err
}

// OpenConversation returns the open conversation between a team and a contact, creating
// it (status new) if there is none. The partial unique index conversations_one_open
// decides races: of two concurrent first messages, one inserts and both get its row.
func (s *Store) OpenConversation(ctx context.Context, teamID, contactID, teamNumber string) (c Conversation, created bool, err error) {
	for attempt := 0; attempt < 3; attempt++ {
		var id string
		err = s.pool.QueryRow(ctx, `INSERT INTO conversations (id, team_id, contact_id, team_number, status)
			VALUES ($1, $2, $3, $4, 'new')
			ON CONFLICT (team_id, contact_id) WHERE status <> 'closed' DO NOTHING
			RETURNING id`, uuid.NewString(), teamID, contactID, teamNumber).Scan(&id)
		created = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return c, false, err
		}
		c, err = scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.team_id = $1 AND c.contact_id = $2 AND c.status <> 'closed'`, teamID, contactID))
		if err == nil {
			return c, created, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return c, false, err
		}
		// The open conversation closed between the insert and the select: try again.
	}
	return c, false, conversation.Errorf(conversation.EUnavailable, "conversation is changing state; retry")
}

// Conversation loads one conversation.
func (s *Store) Conversation(ctx context.Context, id string) (Conversation, error) {
	if uuid.Validate(id) != nil {
		return Conversation{}, conversation.Errorf(conversation.ENotFound, "conversation not found")
	}
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1`, id))
	return c, notFound(err, "conversation")
}

// ConversationPage is a page of conversations and the cursor for the next one.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	NextCursor    string         `json:"next_cursor,omitempty"`
}

// ListConversations lists the conversations of teamIDs, most recently active first,
// keyset-paginated on (opened_at, id) so pages stay stable while messages arrive.
func (s *Store) ListConversations(ctx context.Context, teamIDs []string, cursor string, limit int) (ConversationPage, error) {
	var page ConversationPage
	after, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.team_id = ANY($1::uuid[])
		  AND ($2::timestamptz IS NULL OR (c.opened_at, c.id) < ($2, $3::uuid))
		ORDER BY c.opened_at DESC, c.id DESC
		LIMIT $4`, teamIDs, after.time, after.id, limit+1)
	if err != nil {
		return page, err
	}
	page.Conversations, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
	if err != nil {
		return page, err
	}
	if len(page.Conversations) > limit {
		page.Conversations = page.Conversations[:limit]
		last := page.Conversations[limit-1]
		page.NextCursor = encodeCursor(last.OpenedAt, last.ID)
	}
	if page.Conversations == nil {
		page.Conversations = []Conversation{}
	}
	return page, nil
}

// SaveConversation mirrors workflow state into the read model. Snapshots carry the
// state's version; an older one arriving late is ignored.
func (s *Store) SaveConversation(ctx context.Context, st conversation.State) error {
	_, err := s.pool.Exec(ctx, `UPDATE conversations SET status = $2, next_action = $3,
			next_action_since = $4, last_message_at = $5, closed_at = $6, version = $7, updated_at = now()
		WHERE id = $1 AND version < $7`,
		st.ID, st.Status, st.NextAction, st.NextActionSince, nullTime(st.LastMessageAt), nullTime(st.ClosedAt), st.Version)
	return err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
