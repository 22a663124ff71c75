package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Message statuses. Outbound ones only move forward (see statusRank).
const (
	MsgReceived    = "received"
	MsgQueued      = "queued"
	MsgSending     = "sending"
	MsgSent        = "sent"
	MsgDelivered   = "delivered"
	MsgUndelivered = "undelivered"
	MsgFailed      = "failed"
)

// Message is one SMS in a conversation.
type Message struct {
	ID             string     `json:"id"`
	ConversationID string     `json:"conversation_id"`
	Direction      string     `json:"direction"`
	Kind           string     `json:"kind"`
	AuthorID       *string    `json:"author_id"`
	From           string     `json:"from"`
	To             string     `json:"to"`
	Body           string     `json:"body"`
	Status         string     `json:"status"`
	TwilioSID      *string    `json:"twilio_sid"`
	Segments       int        `json:"segments"`
	ErrorCode      *int       `json:"error_code"`
	ErrorMessage   *string    `json:"error_message"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
}

const messageColumns = `id, conversation_id, direction, kind, author_id, from_number, to_number, body, status,
	twilio_sid, segments, error_code, error_message, created_at, sent_at, delivered_at`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	err := row.Scan(&m.ID, &m.ConversationID, &m.Direction, &m.Kind, &m.AuthorID, &m.From, &m.To, &m.Body, &m.Status,
		&m.TwilioSID, &m.Segments, &m.ErrorCode, &m.ErrorMessage, &m.CreatedAt, &m.SentAt, &m.DeliveredAt)
	return m, err
}

// InsertInbound stores an inbound message once per Twilio MessageSid. duplicate is true
// when Twilio retried a webhook we had already stored; id is then the first copy's id.
func (s *Store) InsertInbound(ctx context.Context, m Message) (id string, duplicate bool, err error) {
	err = s.pool.QueryRow(ctx, `INSERT INTO messages (id, conversation_id, direction, from_number, to_number, body,
			status, twilio_sid, segments, created_at)
		VALUES ($1, $2, 'inbound', $3, $4, $5, 'received', $6, $7, $8)
		ON CONFLICT (twilio_sid) DO NOTHING RETURNING id`,
		m.ID, m.ConversationID, m.From, m.To, m.Body, m.TwilioSID, m.Segments, m.CreatedAt).Scan(&id)
	if err == pgx.ErrNoRows {
		err = s.pool.QueryRow(ctx, `SELECT id FROM messages WHERE twilio_sid = $1`, m.TwilioSID).Scan(&id)
		return id, true, err
	}
	return id, false, err
}

// InsertOutbound records the intent to send before Twilio is called. Re-running it
// with the same id (an activity retry) changes nothing. A message that comes from a
// scheduled message claims it in the same transaction: if the schedule was cancelled
// meanwhile (or its contact opted out, or its conversation was deleted), nothing is
// stored and skipped says why.
func (s *Store) InsertOutbound(ctx context.Context, m Message, scheduledID string) (skipped string, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	if scheduledID != "" {
		var status string
		var optedOut, blocked, deleted bool
		err := tx.QueryRow(ctx, `SELECT sm.status, ct.opted_out, ct.blocked, c.deleted_at IS NOT NULL
			FROM scheduled_messages sm JOIN contacts ct ON ct.id = sm.contact_id
			JOIN conversations c ON c.id = $2
			WHERE sm.id = $1 FOR UPDATE OF sm`, scheduledID, m.ConversationID).Scan(&status, &optedOut, &blocked, &deleted)
		if err != nil {
			return "", notFound(err, "scheduled message")
		}
		reason := ""
		switch {
		case status == "sent":
			return "", nil // a retry after the claim committed: the message row exists
		case status != "pending":
			return "the scheduled message was " + status, nil
		case deleted:
			reason = "the conversation was deleted"
		case optedOut:
			reason = "the contact has opted out of messages"
		case blocked:
			reason = "the contact is blocked"
		}
		if reason != "" {
			_, err := tx.Exec(ctx, `UPDATE scheduled_messages SET status = 'cancelled', reason = $2, updated_at = now() WHERE id = $1`, scheduledID, reason)
			if err != nil {
				return "", err
			}
			return reason, tx.Commit(ctx)
		}
		if _, err := tx.Exec(ctx, `UPDATE scheduled_messages SET status = 'sent', message_id = $2, updated_at = now() WHERE id = $1`,
			scheduledID, m.ID); err != nil {
			return "", err
		}
	}
	status := MsgQueued
	direction := "outbound"
	if m.Kind == "note" {
		status, direction = "note", "internal"
	}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, direction, kind, author_id, from_number,
			to_number, body, status, segments, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO NOTHING`,
		m.ID, m.ConversationID, direction, m.Kind, m.AuthorID, m.From, m.To, m.Body, status, m.Segments, m.CreatedAt); err != nil {
		return "", err
	}
	return "", tx.Commit(ctx)
}

// OutboundToSend is what the send activity needs about a message and its recipient.
type OutboundToSend struct {
	Message
	ContactOptedOut bool
	ContactBlocked  bool
}

// MessageForSend loads an outbound message with its contact's consent flags.
func (s *Store) MessageForSend(ctx context.Context, id string) (OutboundToSend, error) {
	var o OutboundToSend
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+messageColumns+`
		FROM messages WHERE id = $1 AND direction = 'outbound'`, id))
	if err != nil {
		return o, notFound(err, "message")
	}
	o.Message = m
	err = s.pool.QueryRow(ctx, `SELECT ct.opted_out, ct.blocked FROM conversations c
		JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1`, m.ConversationID).Scan(&o.ContactOptedOut, &o.ContactBlocked)
	return o, err
}

// MarkHandedOff stores Twilio's SID once Twilio accepted the message.
func (s *Store) MarkHandedOff(ctx context.Context, id, sid, status string, segments int) error {
	_, err := s.pool.Exec(ctx, `UPDATE messages SET twilio_sid = $2, segments = $4,
			status = CASE WHEN `+rankSQL("status")+` < `+rankSQL("$3")+` THEN $3 ELSE status END, updated_at = now()
		WHERE id = $1`, id, sid, status, segments)
	return err
}

// MarkFailed ends an outbound message with a reason the agent can read.
func (s *Store) MarkFailed(ctx context.Context, id string, code int, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE messages SET status = 'failed', error_code = nullif($2, 0),
			error_message = $3, updated_at = now()
		WHERE id = $1 AND status NOT IN ('delivered', 'undelivered', 'failed')`, id, code, reason)
	return err
}

// ApplyStatusCallback moves a message's status forward from a Twilio status callback.
// Statuses only advance (a late "sent" never overwrites "delivered"); found is false
// for a SID we never sent.
func (s *Store) ApplyStatusCallback(ctx context.Context, sid, status string, errorCode int, errorMessage string) (found bool, err error) {
	tag, err := s.pool.Exec(ctx, `UPDATE messages SET
			status = CASE WHEN `+rankSQL("status")+` < `+rankSQL("$2")+` THEN $2 ELSE status END,
			error_code = coalesce(nullif($3, 0), error_code),
			error_message = coalesce(nullif($4, ''), error_message),
			sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN coalesce(sent_at, now()) ELSE sent_at END,
			delivered_at = CASE WHEN $2 = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END,
			updated_at = now()
		WHERE twilio_sid = $1`, sid, status, errorCode, errorMessage)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// Messages lists a conversation's messages oldest first.
func (s *Store) Messages(ctx context.Context, conversationID string) ([]Message, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = $1 ORDER BY created_at, id`, conversationID)
	if err != nil {
		return nil, err
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) { return scanMessage(r) })
	if msgs == nil {
		msgs = []Message{}
	}
	return msgs, err
}

// rankSQL orders outbound statuses so updates can only move forward; terminal statuses
// share the top rank so none replaces another.
func rankSQL(expr string) string {
	return `(CASE ` + expr + ` WHEN 'queued' THEN 1 WHEN 'sending' THEN 2 WHEN 'sent' THEN 3
		WHEN 'delivered' THEN 4 WHEN 'undelivered' THEN 4 WHEN 'failed' THEN 4 ELSE 0 END)`
}

// Message loads one message.
func (s *Store) Message(ctx context.Context, id string) (Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = $1`, id))
	return m, notFound(err, "message")
}
