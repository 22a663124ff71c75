package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Handoff is a web chat handed off to text: the customer agreed in the chat to be
// texted at their number, and the agent who took that consent recorded it.
type Handoff struct {
	ID         string    `json:"id"`
	TeamID     string    `json:"team_id"`
	ContactID  string    `json:"contact_id"`
	Name       string    `json:"name"`
	ChatRef    string    `json:"chat_ref"`
	Transcript string    `json:"transcript"`
	ConsentBy  *string   `json:"consent_by"` // null once that user is deleted
	ConsentAt  time.Time `json:"consent_at"`
	CreatedAt  time.Time `json:"created_at"`
}

const handoffColumns = `h.id, h.team_id, h.contact_id, h.name, h.chat_ref, h.transcript, h.consent_by, h.consent_at, h.created_at`

func scanHandoff(row interface{ Scan(...any) error }) (Handoff, error) {
	var h Handoff
	err := row.Scan(&h.ID, &h.TeamID, &h.ContactID, &h.Name, &h.ChatRef, &h.Transcript, &h.ConsentBy, &h.ConsentAt, &h.CreatedAt)
	return h, err
}

// NewHandoff is a validated handoff request. Hash identifies the request's content:
// a retry under the same ID must carry the same Hash.
type NewHandoff struct {
	ID, TeamID, Phone, Name, ChatRef, Transcript string
	ConsentBy                                    string
	At                                           time.Time
	Hash                                         []byte
}

// CreateHandoff records a handoff and creates its contact if missing (naming it if it
// has no name), in one transaction. A contact who opted out or is blocked is refused
// (409): consent to texts after STOP is the customer's to give, by texting START. A
// handoff with n.ID already stored is returned as it is (created false) if n.Hash
// matches, and refused (409) if not.
func (s *Store) CreateHandoff(ctx context.Context, n NewHandoff) (h Handoff, c Contact, created bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		h, c, created, err = s.createHandoff(ctx, n)
		if !errors.Is(err, errHandoffRace) {
			return h, c, created, err
		}
	}
	return h, c, false, conversation.Errorf(conversation.EUnavailable, "the handoff is being recorded; retry")
}

// errHandoffRace: a concurrent request with the same id inserted first.
var errHandoffRace = errors.New("concurrent handoff with the same id")

func (s *Store) createHandoff(ctx context.Context, n NewHandoff) (Handoff, Contact, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Handoff{}, Contact{}, false, err
	}
	defer tx.Rollback(ctx)
	if prior, err := priorHandoff(ctx, tx, n); err != nil || prior != nil {
		if err != nil {
			return Handoff{}, Contact{}, false, err
		}
		c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts ct WHERE ct.id = $1`, prior.ContactID))
		return *prior, c, false, err
	}
	// The upsert locks an existing contact's row until commit, so the consent check
	// below cannot race a STOP.
	c, err := scanContact(tx.QueryRow(ctx, `INSERT INTO contacts AS ct (phone, name) VALUES ($1, $2)
		ON CONFLICT (phone) DO UPDATE SET name = CASE WHEN ct.name = '' THEN excluded.name ELSE ct.name END
		RETURNING `+contactColumns, n.Phone, n.Name))
	if err != nil {
		return Handoff{}, Contact{}, false, err
	}
	// Only this team's consent and block count (Twilio's opt-out is per sender); the
	// refusal says nothing of other teams'.
	t, err := scanTeamSettings(tx.QueryRow(ctx, `SELECT `+teamSettingsColumns+` FROM contact_team_settings cs
		WHERE cs.contact_id = $1 AND cs.team_id = $2 FOR SHARE`, c.ID, n.TeamID))
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, Contact{}, false, err
	}
	if t.OptedOut || t.Blocked {
		why := "has opted out of this team's texts"
		if t.Blocked {
			why = "is blocked by this team"
		}
		return Handoff{}, Contact{}, false, conversation.Errorf(conversation.EConflict,
			"%s %s; a handoff cannot give consent to texts (after STOP, the customer opts back in by texting START)", c.Phone, why)
	}
	h, err := scanHandoff(tx.QueryRow(ctx, `INSERT INTO chat_handoffs AS h
			(id, team_id, contact_id, name, chat_ref, transcript, consent_by, consent_at, request_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)
		ON CONFLICT (id) DO NOTHING RETURNING `+handoffColumns,
		n.ID, n.TeamID, c.ID, n.Name, n.ChatRef, n.Transcript, n.ConsentBy, n.At, n.Hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, Contact{}, false, errHandoffRace
	}
	if err != nil {
		return Handoff{}, Contact{}, false, err
	}
	return h, c, true, tx.Commit(ctx)
}

// priorHandoff returns the handoff already stored under n.ID, if any; a different
// request under the same Idempotency-Key is a conflict.
func priorHandoff(ctx context.Context, q execer, n NewHandoff) (*Handoff, error) {
	var hash []byte
	h, err := scanHandoffHash(q.QueryRow(ctx, `SELECT `+handoffColumns+`, h.request_hash FROM chat_handoffs h WHERE h.id = $1`, n.ID), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(hash, n.Hash) {
		return nil, conversation.Errorf(conversation.EConflict, "Idempotency-Key was already used for a different handoff")
	}
	return &h, nil
}

func scanHandoffHash(row pgx.Row, hash *[]byte) (Handoff, error) {
	var h Handoff
	err := row.Scan(&h.ID, &h.TeamID, &h.ContactID, &h.Name, &h.ChatRef, &h.Transcript, &h.ConsentBy, &h.ConsentAt, &h.CreatedAt, hash)
	return h, err
}
