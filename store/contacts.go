package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Contact is a customer's phone number and what the team knows about them.
type Contact struct {
	ID       string `json:"id"`
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	OptedOut bool   `json:"opted_out"`
	Blocked  bool   `json:"blocked"`
}

// EnsureContact returns the contact for an E.164 phone, creating it if needed. The
// upsert makes concurrent first messages from one phone agree on one contact.
func (s *Store) EnsureContact(ctx context.Context, phone string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `INSERT INTO contacts (phone) VALUES ($1)
		ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
		RETURNING id, phone, name, opted_out, blocked`, phone).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, err
}

// ContactByPhone finds a contact by E.164 phone.
func (s *Store) ContactByPhone(ctx context.Context, phone string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `SELECT id, phone, name, opted_out, blocked FROM contacts WHERE phone = $1`, phone).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, notFound(err, "contact")
}

// ContactByID loads a contact.
func (s *Store) ContactByID(ctx context.Context, id string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `SELECT id, phone, name, opted_out, blocked FROM contacts WHERE id = $1`, id).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, notFound(err, "contact")
}

// execer is what both the pool and a transaction offer.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SetConsent records that the contact with this phone opted out (optedOut) or back in
// at instant at, and why (e.g. `replied "STOP"`, or Twilio's error 21610). A change
// older than the last one recorded is ignored, so a late STOP never undoes a newer
// START. Opting out cancels every pending scheduled message to the contact, with the
// reason. changed is false when nothing was recorded (unknown phone, or older change).
// A blocked contact stays blocked either way.
func (s *Store) SetConsent(ctx context.Context, phone string, optedOut bool, at time.Time, reason string) (changed bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	if changed, err = setConsent(ctx, tx, phone, optedOut, at, reason); err != nil {
		return false, err
	}
	return changed, tx.Commit(ctx)
}

func setConsent(ctx context.Context, tx execer, phone string, optedOut bool, at time.Time, reason string) (bool, error) {
	var contactID string
	err := tx.QueryRow(ctx, `UPDATE contacts SET opted_out = $2, consent_changed_at = $3, consent_reason = nullif($4, ''),
			updated_at = now()
		WHERE phone = $1 AND (consent_changed_at IS NULL OR consent_changed_at <= $3)
		RETURNING id`, phone, optedOut, at, reason).Scan(&contactID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil || !optedOut {
		return err == nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE scheduled_messages SET status = 'cancelled', reason = $2, updated_at = now()
		WHERE contact_id = $1 AND status = 'pending'`, contactID, OptedOutReason(reason))
	return err == nil, err
}

// OptedOutReason is what an agent reads about a message not sent to an opted-out contact.
func OptedOutReason(consentReason string) string {
	if consentReason == "" {
		return "the contact has opted out of messages"
	}
	return "the contact has opted out of messages (" + consentReason + ")"
}
