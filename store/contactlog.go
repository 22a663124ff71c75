package store

import (
	"context"
	"time"
)

// LogEntry is something that happened outside textdesk, logged on a contact by an
// agent (a phone call, an email): it shows in the contact's history.
type LogEntry struct {
	ID        string    `json:"id"`
	TeamID    string    `json:"team_id"`
	ContactID string    `json:"contact_id"`
	AuthorID  *string   `json:"author_id"` // null once that user is deleted
	Kind      string    `json:"kind"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// LogKinds are the kinds of log entries; the first is the default.
var LogKinds = []string{"note", "call", "email", "meeting", "other"}

const logColumns = `l.id, l.team_id, l.contact_id, l.author_id, l.kind, l.body, l.created_at`

func scanLogEntry(row interface{ Scan(...any) error }) (LogEntry, error) {
	var e LogEntry
	err := row.Scan(&e.ID, &e.TeamID, &e.ContactID, &e.AuthorID, &e.Kind, &e.Body, &e.CreatedAt)
	return e, err
}

// AddLogEntry logs e (its team, contact, author, kind and body) at instant at.
func (s *Store) AddLogEntry(ctx context.Context, e LogEntry, at time.Time) (LogEntry, error) {
	return scanLogEntry(s.pool.QueryRow(ctx, `INSERT INTO contact_log AS l (team_id, contact_id, author_id, kind, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+logColumns, e.TeamID, e.ContactID, e.AuthorID, e.Kind, e.Body, at))
}
