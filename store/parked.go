package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Parked inbound texts: stored, but not handed to a conversation (yet).
const (
	ParkedBlocked = "blocked" // from a blocked contact: kept, never offered
	ParkedIntake  = "intake"  // past the number's intake limit: released later, in order
)

// ParkedInbound is one parked text.
type ParkedInbound struct {
	MessageSid  string
	TeamID      string
	ContactID   string
	From, To    string
	Body        string
	NumSegments int
	ReceivedAt  time.Time
}

// ParkInbound stores a text under reason; a Twilio retry of the same MessageSid is
// stored once.
func (s *Store) ParkInbound(ctx context.Context, p ParkedInbound, reason string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO parked_inbound (message_sid, team_id, contact_id, from_number, to_number, body,
			num_segments, received_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (message_sid) DO NOTHING`,
		p.MessageSid, p.TeamID, p.ContactID, p.From, p.To, p.Body, p.NumSegments, p.ReceivedAt, reason)
	return err
}

// HasParkedIntake reports whether texts are waiting for intake on number (newcomers
// queue behind them) or from the contact in the team (their next text must not
// overtake them).
func (s *Store) HasParkedIntake(ctx context.Context, number, teamID, contactID string) (onNumber, fromContact bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM parked_inbound WHERE to_number = $1 AND reason = 'intake' AND released_at IS NULL),
		EXISTS (SELECT 1 FROM parked_inbound WHERE contact_id = $3 AND team_id = $2 AND reason = 'intake' AND released_at IS NULL)`,
		number, teamID, contactID).Scan(&onNumber, &fromContact)
	return onNumber, fromContact, err
}

// ParkedNumbers lists the numbers with texts waiting for intake.
func (s *Store) ParkedNumbers(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT to_number FROM parked_inbound WHERE reason = 'intake' AND released_at IS NULL`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ParkedToRelease lists up to limit texts waiting for intake on number, oldest first.
func (s *Store) ParkedToRelease(ctx context.Context, number string, limit int) ([]ParkedInbound, error) {
	rows, err := s.pool.Query(ctx, `SELECT message_sid, team_id, contact_id, from_number, to_number, body, num_segments, received_at
		FROM parked_inbound WHERE to_number = $1 AND reason = 'intake' AND released_at IS NULL
		ORDER BY received_at, message_sid LIMIT $2`, number, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ParkedInbound, error) {
		var p ParkedInbound
		err := r.Scan(&p.MessageSid, &p.TeamID, &p.ContactID, &p.From, &p.To, &p.Body, &p.NumSegments, &p.ReceivedAt)
		return p, err
	})
}

// MarkReleased records that a parked text reached its conversation.
func (s *Store) MarkReleased(ctx context.Context, messageSid string) error {
	_, err := s.pool.Exec(ctx, `UPDATE parked_inbound SET released_at = now() WHERE message_sid = $1`, messageSid)
	return err
}

// ParkedOf lists a contact's parked texts with their reason and whether released,
// oldest first.
func (s *Store) ParkedOf(ctx context.Context, contactID string) (reasons []string, released []bool, err error) {
	rows, err := s.pool.Query(ctx, `SELECT reason, released_at IS NOT NULL FROM parked_inbound WHERE contact_id = $1
		ORDER BY received_at, message_sid`, contactID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var rel bool
		if err := rows.Scan(&r, &rel); err != nil {
			return nil, nil, err
		}
		reasons, released = append(reasons, r), append(released, rel)
	}
	return reasons, released, rows.Err()
}
