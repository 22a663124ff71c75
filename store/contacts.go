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
type Contact struct {
	ID    string `json:"id"`
	Phone string `json:"phone"`
	Name  string `json:"name"`
	// Ref is the organisation's own reference (a CRM or account id); "" if none.
	Ref      string `json:"ref"`
	OptedOut bool   `json:"opted_out"`
	Blocked  bool   `json:"blocked"`
	// ConsentChangedAt and ConsentReason: the last opt-out or opt-in and why.
	ConsentChangedAt *time.Time `json:"consent_changed_at"`
	ConsentReason    *string    `json:"consent_reason"`
	// DefaultVisibleTo restricts the contact's new conversations to these users (and
	// admins); empty: no restriction.
	DefaultVisibleTo []string `json:"default_visible_to"`
	// DefaultAssignees are assigned the contact's new conversations instead of routing
	// them (those of them who are members of the conversation's team and may see it);
	// empty: new conversations are routed. Within DefaultVisibleTo when that is set.
	DefaultAssignees []string  `json:"default_assignees"`
	CreatedAt        time.Time `json:"created_at"`
}

const contactColumns = `ct.id, ct.phone, ct.name, ct.ref, ct.opted_out, ct.blocked, ct.consent_changed_at, ct.consent_reason,
	ct.default_visible_to::text[], ct.default_assignees::text[], ct.created_at`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	err := row.Scan(&c.ID, &c.Phone, &c.Name, &c.Ref, &c.OptedOut, &c.Blocked, &c.ConsentChangedAt, &c.ConsentReason,
		&c.DefaultVisibleTo, &c.DefaultAssignees, &c.CreatedAt)
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
