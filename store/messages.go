package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/sms"
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
	ID             string  `json:"id"`
	ConversationID string  `json:"conversation_id"`
	Direction      string  `json:"direction"`
	Kind           string  `json:"kind"`
	AuthorID       *string `json:"author_id"`
	// AuthorName: the author's name (null for customer and automatic messages).
	AuthorName   *string    `json:"author_name"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	Body         string     `json:"body"`
	Status       string     `json:"status"`
	TwilioSID    *string    `json:"twilio_sid"`
	Segments     int        `json:"segments"`
	ErrorCode    *int       `json:"error_code"`
	ErrorMessage *string    `json:"error_message"`
	CreatedAt    time.Time  `json:"created_at"`
	SentAt       *time.Time `json:"sent_at"`
	DeliveredAt  *time.Time `json:"delivered_at"`
	// Encoding is "GSM-7" or "UCS-2" (sms.Segments); null for notes.
	Encoding *string `json:"encoding"`
	// NumMedia and Media: the pictures and files of an inbound MMS.
	NumMedia int     `json:"num_media"`
	Media    []Media `json:"media"`
}

// Media is one attachment of an MMS, as Twilio hosts it.
type Media struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

const messageColumns = `messages.id, messages.conversation_id, messages.direction, messages.kind, messages.author_id,
	messages.from_number, messages.to_number, messages.body, messages.status, messages.twilio_sid, messages.segments,
	messages.error_code, messages.error_message, messages.created_at, messages.sent_at, messages.delivered_at,
	messages.encoding, messages.num_media, (SELECT au.name FROM users au WHERE au.id = messages.author_id),
	coalesce((SELECT json_agg(json_build_object('url', mm.url, 'content_type', mm.content_type) ORDER BY mm.position)
		FROM message_media mm WHERE mm.message_sid = messages.twilio_sid AND messages.direction = 'inbound'), '[]'::json)`

func scanMessage(row interface{ Scan(...any) error }, extra ...any) (Message, error) {
	var m Message
	err := row.Scan(append([]any{&m.ID, &m.ConversationID, &m.Direction, &m.Kind, &m.AuthorID, &m.From, &m.To, &m.Body, &m.Status,
		&m.TwilioSID, &m.Segments, &m.ErrorCode, &m.ErrorMessage, &m.CreatedAt, &m.SentAt, &m.DeliveredAt,
		&m.Encoding, &m.NumMedia, &m.AuthorName, &m.Media}, extra...)...)
	return m, err
}

// InboundStored says whether the inbound message with this Twilio MessageSid is stored.
func (s *Store) InboundStored(ctx context.Context, sid string) (bool, error) {
	var stored bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE twilio_sid = $1 AND direction = 'inbound')`, sid).Scan(&stored)
	return stored, err
}

// InsertInbound stores an inbound message once per Twilio MessageSid. duplicate is true
// when Twilio retried a webhook we had already stored; id is then the first copy's id.
func (s *Store) InsertInbound(ctx context.Context, m Message) (id string, duplicate bool, err error) {
	return s.RecordInbound(ctx, m, InboundOptions{})
}

// Consent changes an inbound keyword asks for.
const (
	ConsentOptOut = "opt_out"
	ConsentOptIn  = "opt_in"
)

// InboundOptions carry what RecordInbound does besides storing the message.
type InboundOptions struct {
	// Consent is ConsentOptOut or ConsentOptIn when the message was a STOP or START
	// keyword; ConsentReason says so in words (e.g. `replied "STOP"`).
	Consent       string
	ConsentReason string
	// RecordedBy names the caller (the activity: workflow run and activity id). Its own
	// retry after a committed insert is then not reported as a duplicate.
	RecordedBy string
}

// RecordInbound stores an inbound message once per Twilio MessageSid (the unique
// constraint decides, not a check-then-insert) and, in the same transaction, applies
// the consent change it carries: opting out marks the contact and cancels every pending
// scheduled message to them. duplicate is true when the SID was already stored by
// someone other than o.RecordedBy (Twilio retried the webhook); nothing else is done
// then, so a retried STOP or START changes nothing twice.
func (s *Store) RecordInbound(ctx context.Context, m Message, o InboundOptions) (id string, duplicate bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback(ctx)
	encoding, _ := sms.Segments(m.Body)
	err = tx.QueryRow(ctx, `INSERT INTO messages (id, conversation_id, direction, from_number, to_number, body,
			status, twilio_sid, segments, encoding, num_media, recorded_by, created_at)
		VALUES ($1, $2, 'inbound', $3, $4, $5, 'received', $6, $7, $8,
			(SELECT count(*) FROM message_media WHERE message_sid = $6), nullif($9, ''), $10)
		ON CONFLICT (twilio_sid) DO NOTHING RETURNING id`,
		m.ID, m.ConversationID, m.From, m.To, m.Body, m.TwilioSID, m.Segments, encoding, o.RecordedBy, m.CreatedAt).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		var by string
		err = tx.QueryRow(ctx, `SELECT id, coalesce(recorded_by, '') FROM messages WHERE twilio_sid = $1`, m.TwilioSID).Scan(&id, &by)
		return id, o.RecordedBy == "" || by != o.RecordedBy, err
	}
	if err != nil {
		return "", false, err
	}
	if o.Consent == ConsentOptOut || o.Consent == ConsentOptIn {
		// The keyword is for the sender it was texted to: the team owning that number.
		var team string
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT team_id FROM team_numbers WHERE number = $1),
				(SELECT team_id FROM conversations WHERE id = $2))::text`, m.To, m.ConversationID).Scan(&team); err != nil {
			return "", false, err
		}
		if _, err := setConsent(ctx, tx, m.From, team, o.Consent == ConsentOptOut, m.CreatedAt, o.ConsentReason); err != nil {
			return "", false, err
		}
	}
	// The agents on the conversation hear of it on their event stream; their unread
	// count (mine_unread) changed too.
	var teamID string
	var assignees []string
	if err := tx.QueryRow(ctx, `SELECT c.team_id, coalesce((SELECT array_agg(a.user_id::text ORDER BY a.user_id)
			FROM conversation_assignees a WHERE a.conversation_id = c.id AND a.role <> 'offered'), '{}')
		FROM conversations c WHERE c.id = $1`, m.ConversationID).Scan(&teamID, &assignees); err != nil {
		return "", false, notFound(err, "conversation")
	}
	events := toEach(assignees, eventRow{teamID: teamID, conversationID: m.ConversationID, kind: NotifyNewMessage, text: "the customer sent a message"})
	events = append(events, toEach(assignees, eventRow{teamID: teamID, kind: NotifyInboxCounts})...)
	if err := writeEvents(ctx, tx, events); err != nil {
		return "", false, err
	}
	return id, false, tx.Commit(ctx)
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
		// Consent is the sending number's team's, a block the conversation's team's.
		err := tx.QueryRow(ctx, `SELECT sm.status, coalesce(consent.opted_out, false), coalesce(block.blocked, false),
				c.deleted_at IS NOT NULL
			FROM scheduled_messages sm JOIN conversations c ON c.id = $2
			LEFT JOIN team_numbers tn ON tn.number = c.team_number
			LEFT JOIN contact_team_settings consent ON consent.contact_id = sm.contact_id
				AND consent.team_id = coalesce(tn.team_id, c.team_id)
			LEFT JOIN contact_team_settings block ON block.contact_id = sm.contact_id AND block.team_id = c.team_id
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
	segments := m.Segments
	var encoding *string
	if m.Kind == "note" {
		status, direction = "note", "internal"
	} else {
		enc, n := sms.Segments(m.Body)
		encoding, segments = &enc, max(n, 1)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (id, conversation_id, direction, kind, author_id, from_number,
			to_number, body, status, segments, encoding, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO NOTHING`,
		m.ID, m.ConversationID, direction, m.Kind, m.AuthorID, m.From, m.To, m.Body, status, segments, encoding, m.CreatedAt); err != nil {
		return "", err
	}
	return "", tx.Commit(ctx)
}

// OutboundToSend is what the send activity needs about a message and its recipient.
type OutboundToSend struct {
	Message
	ContactOptedOut bool
	ContactBlocked  bool
	// ConsentReason is why the contact last opted out or in (e.g. `replied "STOP"`).
	ConsentReason string
	// SendAttempts counts earlier hand-off attempts (BeginSendAttempt).
	SendAttempts int
	// MessagingServiceSID is the Messaging Service of the From number, while it is
	// linked to the number's team ("": none); the send carries it.
	MessagingServiceSID string
}

// MessageForSend loads an outbound message with its contact's consent flags.
func (s *Store) MessageForSend(ctx context.Context, id string) (OutboundToSend, error) {
	var o OutboundToSend
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+messageColumns+`, messages.send_attempts,
			coalesce(consent.opted_out, false), coalesce(block.blocked, false), coalesce(consent.consent_reason, ''),
			coalesce(ms.sid, '')
		FROM messages JOIN conversations c ON c.id = messages.conversation_id
		LEFT JOIN team_numbers tn ON tn.number = messages.from_number
		LEFT JOIN team_messaging_services ms ON ms.sid = tn.messaging_service_sid AND ms.team_id = tn.team_id
		LEFT JOIN contact_team_settings consent ON consent.contact_id = c.contact_id
			AND consent.team_id = coalesce(tn.team_id, c.team_id)
		LEFT JOIN contact_team_settings block ON block.contact_id = c.contact_id AND block.team_id = c.team_id
		WHERE messages.id = $1 AND messages.direction = 'outbound'`, id),
		&o.SendAttempts, &o.ContactOptedOut, &o.ContactBlocked, &o.ConsentReason, &o.MessagingServiceSID)
	if err != nil {
		return o, notFound(err, "message")
	}
	o.Message = m
	return o, nil
}

// ErrSIDTaken: the Twilio SID is already stored on another message.
var ErrSIDTaken = errors.New("store: the Twilio SID belongs to another message")

// MarkHandedOff stores Twilio's SID once Twilio accepted the message.
func (s *Store) MarkHandedOff(ctx context.Context, id, sid, status string, segments int) error {
	_, err := s.pool.Exec(ctx, `UPDATE messages SET twilio_sid = $2, segments = $4,
			status = CASE WHEN `+rankSQL("status")+` < `+rankSQL("$3")+` THEN $3 ELSE status END, updated_at = now()
		WHERE id = $1`, id, sid, status, segments)
	if isUniqueViolation(err, "messages_twilio_sid_key") {
		return ErrSIDTaken
	}
	return err
}

// Agent event kinds written by the store itself (the workflow's own are Notify
// commands): a message not delivered, a customer's message on an agent's conversation,
// a status change of it, and a conversation missed in one of the agent's teams.
const (
	NotifyMessageFailed NotifyKind = "message_failed"
	NotifyNewMessage    NotifyKind = "new_message"
	NotifyStatusChanged NotifyKind = "status_changed"
	NotifyMissed        NotifyKind = "missed"
)

// NotifyKind names an agent event.
type NotifyKind = conversation.NotifyKind

// MarkFailed ends an outbound message with a reason the agent can read, and tells its
// author (an agent event) unless it had already ended.
func (s *Store) MarkFailed(ctx context.Context, id string, code int, reason string) error {
	_, err := s.pool.Exec(ctx, `WITH failed AS (
			UPDATE messages SET status = 'failed', error_code = nullif($2, 0), error_message = $3, updated_at = now()
			WHERE id = $1 AND status NOT IN ('delivered', 'undelivered', 'failed')
			RETURNING author_id, conversation_id)
		INSERT INTO agent_events (user_id, conversation_id, kind, text)
		SELECT author_id, conversation_id, $4, $5 FROM failed WHERE author_id IS NOT NULL`,
		id, code, reason, string(NotifyMessageFailed), "your message was not sent: "+reason)
	return err
}

// ApplyStatusCallback moves a message's status forward from a Twilio status callback.
// Statuses only advance (a late "sent" never overwrites "delivered"); found is false
// for a SID we never sent.
func (s *Store) ApplyStatusCallback(ctx context.Context, sid, status string, errorCode int, errorMessage string) (found bool, err error) {
	out, err := s.ApplyStatus(ctx, StatusUpdate{SID: sid, Status: status, ErrorCode: errorCode, ErrorMessage: errorMessage})
	return out.Found, err
}

// StatusUpdate is one Twilio status callback.
type StatusUpdate struct {
	SID    string
	Status string
	// MessageID is textdesk's id of the message, carried in the status callback URL:
	// it finds a message whose SID was not stored yet (the send's worker died after
	// Twilio accepted it), and the SID is stored then. Optional.
	MessageID    string
	ErrorCode    int
	ErrorMessage string
}

// StatusOutcome is what a status callback changed.
type StatusOutcome struct {
	Found     bool
	MessageID string
	To        string // the recipient
	From      string // our sender number
	// CreatedAt: when the message was written, which is when a 21610 it reports was
	// true (SenderOptOut).
	CreatedAt time.Time
	// Status is the message's status afterwards; Changed says whether it moved.
	Status  string
	Changed bool
}

// ApplyStatus moves an outbound message's status forward: queued < sending < sent <
// delivered, with failed and undelivered terminal (a late "sent" never overwrites
// "delivered", nor "delivered" a failure). The error code and message are stored with
// the status they came with. A message that becomes failed or undelivered tells its
// author (an agent event).
func (s *Store) ApplyStatus(ctx context.Context, u StatusUpdate) (StatusOutcome, error) {
	var out StatusOutcome
	var messageID any
	if validUUID(u.MessageID) {
		messageID = u.MessageID
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return out, err
	}
	defer tx.Rollback(ctx)
	advance := rankSQL("m.status") + ` < ` + rankSQL("$2::text")
	var old string
	var author *string
	var conversationID string
	err = tx.QueryRow(ctx, `WITH target AS (
			SELECT id, status FROM messages
			WHERE direction = 'outbound'
			  AND (twilio_sid = $1 OR ($5::uuid IS NOT NULL AND id = $5::uuid AND twilio_sid IS NULL))
			ORDER BY twilio_sid IS NULL LIMIT 1 FOR UPDATE)
		UPDATE messages m SET
			twilio_sid = coalesce(m.twilio_sid, $1),
			status = CASE WHEN `+advance+` THEN $2 ELSE m.status END,
			error_code = CASE WHEN `+advance+` THEN coalesce(nullif($3, 0), m.error_code) ELSE m.error_code END,
			error_message = CASE WHEN `+advance+` THEN coalesce(nullif($4, ''), m.error_message) ELSE m.error_message END,
			sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN coalesce(m.sent_at, now()) ELSE m.sent_at END,
			delivered_at = CASE WHEN $2 = 'delivered' THEN coalesce(m.delivered_at, now()) ELSE m.delivered_at END,
			updated_at = now()
		FROM target WHERE m.id = target.id
		RETURNING m.id, m.conversation_id, m.author_id, m.to_number, m.from_number, m.created_at, target.status, m.status`,
		u.SID, u.Status, u.ErrorCode, u.ErrorMessage, messageID).Scan(&out.MessageID, &conversationID, &author, &out.To,
		&out.From, &out.CreatedAt, &old, &out.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Found, out.Changed = true, old != out.Status
	if out.Changed && author != nil && (out.Status == MsgFailed || out.Status == MsgUndelivered) {
		reason := u.ErrorMessage
		if reason == "" {
			reason = "Twilio reported it " + out.Status
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agent_events (user_id, conversation_id, kind, text) VALUES ($1, $2, $3, $4)`,
			*author, conversationID, string(NotifyMessageFailed), "your message was not delivered: "+reason); err != nil {
			return out, err
		}
	}
	return out, tx.Commit(ctx)
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
