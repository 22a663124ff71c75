package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/textdesk/textdesk/conversation"
)

// Contact is a customer's phone number and what the organisation knows about them.
// Name and Ref are the organisation's; everything else is per team (TeamSettings),
// and a caller is shown only their own teams' (see ContactFor).
type Contact struct {
	ID string `json:"id"`
	// Phone is E.164, or the sender id of a sender that is not a phone number (a short
	// code's digits, an alphanumeric name), which cannot be texted.
	Phone string `json:"phone"`
	Name  string `json:"name"`
	// Ref is the organisation's own reference (a CRM or account id); "" if none.
	Ref string `json:"ref"`
	// Teams: the settings of the caller's teams (an admin's: every team that decided
	// something), by team id. The fields below sum them up for clients that show one
	// team: opted out or blocked in any of them, the lists and consent of the first.
	Teams    []TeamSettings `json:"team_settings"`
	OptedOut bool           `json:"opted_out"`
	Blocked  bool           `json:"blocked"`
	// ConsentChangedAt and ConsentReason: the last opt-out or opt-in and why.
	ConsentChangedAt *time.Time `json:"consent_changed_at"`
	ConsentReason    *string    `json:"consent_reason"`
	DefaultVisibleTo []string   `json:"default_visible_to"`
	DefaultAssignees []string   `json:"default_assignees"`
	CreatedAt        time.Time  `json:"created_at"`
}

const contactColumns = `ct.id, ct.phone, ct.name, ct.ref, ct.created_at`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	c := Contact{Teams: []TeamSettings{}, DefaultVisibleTo: []string{}, DefaultAssignees: []string{}}
	err := row.Scan(&c.ID, &c.Phone, &c.Name, &c.Ref, &c.CreatedAt)
	return c, err
}

// EnsureContact returns the contact for an E.164 phone, creating it if needed. The
// upsert makes concurrent first messages from one phone agree on one contact.
func (s *Store) EnsureContact(ctx context.Context, phone string) (Contact, error) {
	// Almost every message comes from a known contact: read first, so the common case
	// writes nothing (an upsert would write a new row version per message).
	c, err := s.ContactByPhone(ctx, phone)
	if conversation.ErrorCode(err) != conversation.ENotFound {
		return c, err
	}
	return scanContact(s.pool.QueryRow(ctx, `INSERT INTO contacts AS ct (phone) VALUES ($1)
		ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
		RETURNING `+contactColumns, phone))
}

// ContactByPhone finds a contact by E.164 phone.
func (s *Store) ContactByPhone(ctx context.Context, phone string) (Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts ct WHERE ct.phone = $1`, phone))
	return c, notFound(err, "contact")
}

// ContactByID loads a contact.
func (s *Store) ContactByID(ctx context.Context, id string) (Contact, error) {
	if !validUUID(id) {
		return Contact{}, conversation.Errorf(conversation.ENotFound, "contact not found")
	}
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts ct WHERE ct.id = $1`, id))
	return c, notFound(err, "contact")
}

// execer is what both the pool and a transaction offer.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SetConsent records that the contact with this phone opted out (optedOut) or back in
// for teamID (the team owning the sender number; "" for every team, an admin's
// choice) at instant at, and why (e.g. `replied "STOP"`, or Twilio's error 21610). A
// change older than the last one recorded for the team is ignored, so a late STOP or a
// replayed 21610 never undoes a newer START. Opting out cancels the team's pending
// scheduled messages to the contact, with the reason. changed is false when nothing
// was recorded (unknown phone, or older change). A block stays either way.
func (s *Store) SetConsent(ctx context.Context, phone, teamID string, optedOut bool, at time.Time, reason string) (changed bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	if changed, err = setConsent(ctx, tx, phone, teamID, optedOut, at, reason); err != nil {
		return false, err
	}
	return changed, tx.Commit(ctx)
}

// SenderOptOut records Twilio's report (error 21610) that the contact with this phone
// unsubscribed from sender (one of our numbers) as of at: the owning team's consent.
// Pass the time of the message Twilio refused, not the report's: a replayed report of
// an old message then never undoes a later START.
func (s *Store) SenderOptOut(ctx context.Context, phone, sender string, at time.Time) (bool, error) {
	var team string
	err := s.pool.QueryRow(ctx, `SELECT team_id::text FROM team_numbers WHERE number = $1`, sender).Scan(&team)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // not our number (any more): nobody texts from it
	}
	if err != nil {
		return false, err
	}
	return s.SetConsent(ctx, phone, team, true, at, "Twilio reports the number unsubscribed, error 21610")
}

func setConsent(ctx context.Context, tx execer, phone, teamID string, optedOut bool, at time.Time, reason string) (bool, error) {
	var contactID string
	if err := tx.QueryRow(ctx, `SELECT id FROM contacts WHERE phone = $1`, phone).Scan(&contactID); errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	teams, err := settingTeams(ctx, tx, teamID)
	if err != nil {
		return false, err
	}
	changed := false
	for _, team := range teams {
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO contact_team_settings AS cs (contact_id, team_id, opted_out, consent_changed_at, consent_reason)
			VALUES ($1, $2, $3, $4, nullif($5, ''))
			ON CONFLICT (contact_id, team_id) DO UPDATE SET opted_out = $3, consent_changed_at = $4,
				consent_reason = nullif($5, ''), updated_at = now()
			WHERE cs.consent_changed_at IS NULL OR cs.consent_changed_at <= $4
			RETURNING contact_id`, contactID, team, optedOut, at, reason).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, err
		}
		changed = true
		if optedOut {
			if _, err := tx.Exec(ctx, `UPDATE scheduled_messages SET status = 'cancelled', reason = $3, updated_at = now()
				WHERE contact_id = $1 AND team_id = $2 AND status = 'pending'`, contactID, team, OptedOutReason(reason)); err != nil {
				return false, err
			}
		}
	}
	return changed, nil
}

// settingTeams is the teams a per-team change applies to: teamID, or every team.
func settingTeams(ctx context.Context, q execer, teamID string) ([]string, error) {
	if teamID != "" {
		return []string{teamID}, nil
	}
	var teams []string
	err := q.QueryRow(ctx, `SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM teams`).Scan(&teams)
	return teams, err
}

// OptedOutReason is what an agent reads about a message not sent to an opted-out contact.
func OptedOutReason(consentReason string) string {
	if consentReason == "" {
		return "the contact has opted out of messages"
	}
	return "the contact has opted out of messages (" + consentReason + ")"
}
