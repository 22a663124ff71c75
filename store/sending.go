package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// SaveInboundMedia stores the media of an inbound MMS under its Twilio MessageSid. The
// webhook calls it before handing the message to its workflow; a retried webhook
// stores nothing twice.
func (s *Store) SaveInboundMedia(ctx context.Context, messageSid string, media []Media) error {
	for i, m := range media {
		if _, err := s.pool.Exec(ctx, `INSERT INTO message_media (message_sid, position, url, content_type)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, messageSid, i, m.URL, m.ContentType); err != nil {
			return err
		}
	}
	return nil
}

// AddTeamNumber gives a team a number (E.164); a number another team owns stays theirs.
func (s *Store) AddTeamNumber(ctx context.Context, teamID, number string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO team_numbers (number, team_id) VALUES ($1, $2) ON CONFLICT (number) DO NOTHING`,
		number, teamID)
	return err
}

// SetNumberRate sets how many segments per second a number may send (e.g. 100 for a
// short code); 0 returns it to the worker's default.
func (s *Store) SetNumberRate(ctx context.Context, number string, segmentsPerSecond float64) error {
	var rate *float64
	if segmentsPerSecond > 0 {
		rate = &segmentsPerSecond
	}
	tag, err := s.pool.Exec(ctx, `UPDATE team_numbers SET send_rate = $2 WHERE number = $1`, number, rate)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "%s is not a number of any team", number)
	}
	return err
}

// AddMessagingService links a Twilio Messaging Service (MG...) to a team: inbound
// messages to any number of its sender pool reach the team.
func (s *Store) AddMessagingService(ctx context.Context, teamID, serviceSid string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO team_messaging_services (sid, team_id) VALUES ($1, $2)
		ON CONFLICT (sid) DO UPDATE SET team_id = excluded.team_id`, serviceSid, teamID)
	return err
}

// TeamByMessagingService finds the team a Messaging Service belongs to.
func (s *Store) TeamByMessagingService(ctx context.Context, serviceSid string) (Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+`
		FROM teams t JOIN team_messaging_services ms ON ms.team_id = t.id WHERE ms.sid = $1`, serviceSid))
	return t, notFound(err, "team for messaging service")
}

// rateMargin keeps each sender 1% under its configured rate, so that the jitter of the
// hand-offs (a retry that fires a few milliseconds late, then one on time) never shows
// Twilio more than the rate over a burst.
const rateMargin = 1.01

// ReserveSendSlot puts an outbound message on its sender's schedule and returns how
// long it must wait before going to Twilio (0: now).
//
// Each sender (the From number) hands Twilio at most rate segments per second, less
// rateMargin: its team_numbers.send_rate, else defaultRate. The first call for a
// message reserves the next free slot atomically (the sender's sender_schedule row is
// locked), stores it on the message, and moves the schedule on by segments/rate
// seconds; later calls (the activity's retries) reuse the stored slot. Earlier
// messages of the same sender that have no slot yet (recorded within window, to
// contacts who may receive them) are put on the schedule first, in the order they were
// recorded, so a burst leaves in the order it was written whatever order the send
// activities run in. Times are Postgres's clock, so workers' clocks do not matter.
func (s *Store) ReserveSendSlot(ctx context.Context, messageID string, defaultRate float64, window time.Duration) (time.Duration, error) {
	if defaultRate <= 0 || math.IsInf(defaultRate, 0) || math.IsNaN(defaultRate) {
		return 0, fmt.Errorf("store: send rate %v must be positive", defaultRate)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var sender string
	var createdAt time.Time
	var slot *time.Time
	var wait float64
	slotted := func() (bool, error) {
		err := tx.QueryRow(ctx, `SELECT from_number, created_at, send_slot_at,
				coalesce(extract(epoch FROM send_slot_at - clock_timestamp()), 0)::float8
			FROM messages WHERE id = $1 AND direction = 'outbound'`, messageID).Scan(&sender, &createdAt, &slot, &wait)
		return slot != nil, notFound(err, "message")
	}
	if ok, err := slotted(); err != nil || ok {
		return seconds(wait), err
	}
	// Lock the sender's schedule, then look again: a later message's reservation may
	// have slotted this one meanwhile.
	if _, err := tx.Exec(ctx, `INSERT INTO sender_schedule (sender, next_slot_at) VALUES ($1, clock_timestamp())
		ON CONFLICT (sender) DO NOTHING`, sender); err != nil {
		return 0, err
	}
	var next time.Time
	var rate float64
	if err := tx.QueryRow(ctx, `SELECT greatest(s.next_slot_at, clock_timestamp()), `+senderRateSQL("s.sender", "$2")+`
		FROM sender_schedule s WHERE s.sender = $1 FOR UPDATE`, sender, defaultRate).Scan(&next, &rate); err != nil {
		return 0, err
	}
	if ok, err := slotted(); err != nil || ok {
		return seconds(wait), commitOr(ctx, tx, err)
	}
	// Earlier messages that will be sent (not to contacts who opted out or are blocked).
	rows, err := tx.Query(ctx, `SELECT m.id, m.segments FROM messages m
			JOIN conversations c ON c.id = m.conversation_id
			LEFT JOIN team_numbers tn ON tn.number = m.from_number
		WHERE m.from_number = $1 AND m.direction = 'outbound' AND m.send_slot_at IS NULL AND m.twilio_sid IS NULL
		  AND m.status = 'queued' AND m.created_at > clock_timestamp() - make_interval(secs => $4::float8)
		  AND (m.created_at, m.id) < ($2, $3::uuid) AND NOT EXISTS (SELECT 1 FROM contact_team_settings cs WHERE cs.contact_id = c.contact_id
		      AND ((cs.team_id = coalesce(tn.team_id, c.team_id) AND cs.opted_out) OR (cs.team_id = c.team_id AND cs.blocked)))
		ORDER BY m.created_at, m.id`, sender, createdAt, messageID, window.Seconds())
	if err != nil {
		return 0, err
	}
	type pending struct {
		id       string
		segments int
	}
	queue, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		return p, r.Scan(&p.id, &p.segments)
	})
	if err != nil {
		return 0, err
	}
	var segments int
	if err := tx.QueryRow(ctx, `SELECT segments FROM messages WHERE id = $1`, messageID).Scan(&segments); err != nil {
		return 0, err
	}
	queue = append(queue, pending{messageID, segments})
	for _, p := range queue {
		if _, err := tx.Exec(ctx, `UPDATE messages SET send_slot_at = $2 WHERE id = $1`, p.id, next); err != nil {
			return 0, err
		}
		next = next.Add(time.Duration(float64(max(p.segments, 1)) / rate * rateMargin * float64(time.Second)))
	}
	if _, err := tx.Exec(ctx, `UPDATE sender_schedule SET next_slot_at = $2 WHERE sender = $1`, sender, next); err != nil {
		return 0, err
	}
	if _, err := slotted(); err != nil {
		return 0, err
	}
	return seconds(wait), tx.Commit(ctx)
}

func commitOr(ctx context.Context, tx pgx.Tx, err error) error {
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// BeginSendAttempt records that a hand-off to Twilio is about to start and returns how
// many earlier attempts there were: any of them may have reached Twilio without the SID
// being stored, so a caller that gets more than 0 reconciles before sending.
func (s *Store) BeginSendAttempt(ctx context.Context, messageID string) (previous int, err error) {
	err = s.pool.QueryRow(ctx, `UPDATE messages SET send_attempts = send_attempts + 1,
			send_attempted_at = coalesce(send_attempted_at, clock_timestamp()), updated_at = now()
		WHERE id = $1 AND twilio_sid IS NULL RETURNING send_attempts - 1`, messageID).Scan(&previous)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, conversation.Errorf(conversation.EConflict, "message %s already has a Twilio SID", messageID)
	}
	return previous, err
}

// SIDsOfOtherMessages returns which of sids are stored on messages other than
// messageID: candidates in a reconciliation that belong to someone else.
func (s *Store) SIDsOfOtherMessages(ctx context.Context, messageID string, sids []string) (map[string]bool, error) {
	taken := map[string]bool{}
	if len(sids) == 0 {
		return taken, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT twilio_sid FROM messages WHERE twilio_sid = ANY($1) AND id <> $2`, sids, messageID)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, sid := range got {
		taken[sid] = true
	}
	return taken, err
}

// SendSlot is a message's reserved slot (nil: none yet), for tests and operators.
func (s *Store) SendSlot(ctx context.Context, messageID string) (*time.Time, error) {
	var slot *time.Time
	err := s.pool.QueryRow(ctx, `SELECT send_slot_at FROM messages WHERE id = $1`, messageID).Scan(&slot)
	return slot, notFound(err, "message")
}
