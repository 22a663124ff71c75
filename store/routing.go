package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Presence states. RONA is set by routing only; agents leave it by choosing another.
const (
	PresenceAvailable = "available"
	PresenceAway      = "away"
	PresenceRONA      = "rona"
	PresenceOffline   = "offline"
)

// Presence is an agent's routing state.
type Presence struct {
	State     string     `json:"state"`
	ChangedAt *time.Time `json:"changed_at"` // null until the agent first sets it
}

// SetPresence records an agent's presence. Becoming available restarts their idle clock.
// A change of state is told to every member of the agent's teams (presence_changed),
// in the same transaction.
func (s *Store) SetPresence(ctx context.Context, userID, state string) (Presence, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Presence{}, err
	}
	defer tx.Rollback(ctx)
	var p Presence
	var before string
	err = tx.QueryRow(ctx, `WITH prev AS (SELECT state FROM agent_presence WHERE user_id = $1 FOR UPDATE)
		INSERT INTO agent_presence (user_id, state, changed_at, idle_since)
		VALUES ($1, $2, now(), now())
		ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, changed_at = now(),
			idle_since = CASE WHEN excluded.state = 'available' AND agent_presence.state <> 'available'
				THEN now() ELSE agent_presence.idle_since END
		RETURNING state, changed_at, coalesce((SELECT state FROM prev), '')`, userID, state).Scan(&p.State, &p.ChangedAt, &before)
	if err != nil {
		return p, err
	}
	if before != state {
		if err := presenceEvents(ctx, tx, userID, state); err != nil {
			return p, err
		}
	}
	return p, tx.Commit(ctx)
}

// presenceEvents tells every member of userID's teams (the user included: their other
// clients) that the user's presence is now state.
func presenceEvents(ctx context.Context, tx pgx.Tx, userID, state string) error {
	var audience []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT o.user_id::text), '{}')
		FROM team_members m JOIN team_members o ON o.team_id = m.team_id WHERE m.user_id = $1`, userID).Scan(&audience); err != nil {
		return err
	}
	return writeEvents(ctx, tx, toEach(audience, eventRow{kind: NotifyPresenceChanged,
		text: "presence is now " + state, data: map[string]any{"user_id": userID, "state": state}}))
}

// GetPresence returns an agent's presence (offline if never set).
func (s *Store) GetPresence(ctx context.Context, userID string) (Presence, error) {
	p := Presence{State: PresenceOffline}
	err := s.pool.QueryRow(ctx, `SELECT state, changed_at FROM agent_presence WHERE user_id = $1`, userID).
		Scan(&p.State, &p.ChangedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil
	}
	return p, err
}

// MarkRONA sets an agent who let an offer expire to RONA, unless they changed their
// presence themselves after the offer was made; their teams hear of it.
func (s *Store) MarkRONA(ctx context.Context, userID string, offeredAt time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE agent_presence SET state = 'rona', changed_at = now()
		WHERE user_id = $1 AND state = 'available' AND changed_at <= $2`, userID, offeredAt)
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		if err := presenceEvents(ctx, tx, userID, PresenceRONA); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// ReserveAgent picks an Available member of teamID with free capacity, longest idle
// first, and reserves them for conversationID with an 'offered' row, atomically: the
// agent's presence row is locked while their load is counted and the row inserted, and
// every reservation takes the same lock, so concurrent conversations cannot over-fill an
// agent. Reservers wait for the lock rather than skip the agent (SKIP LOCKED would
// leave conversations waiting while the agent still has room); the transactions are a
// few statements long. It returns "" when nobody is free. A non-empty visibleTo limits
// the choice to those users (a restricted conversation).
func (s *Store) ReserveAgent(ctx context.Context, conversationID, teamID string, visibleTo []string, capacity int, offeredAt, expiresAt time.Time) (string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	rejected := []string{}
	for {
		var userID string
		err := tx.QueryRow(ctx, `SELECT p.user_id FROM agent_presence p
			JOIN team_members m ON m.user_id = p.user_id AND m.team_id = $2
			WHERE p.state = 'available' AND NOT (p.user_id = ANY($3::uuid[]))
			  AND (cardinality($4::uuid[]) = 0 OR p.user_id = ANY($4::uuid[]))
			  AND NOT EXISTS (SELECT 1 FROM conversation_assignees a WHERE a.conversation_id = $1 AND a.user_id = p.user_id)
			ORDER BY p.idle_since, p.user_id
			LIMIT 1
			FOR UPDATE OF p`, conversationID, teamID, rejected, nonNil(visibleTo)).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", tx.Commit(ctx)
		}
		if err != nil {
			return "", err
		}
		// A fresh statement sees every reservation committed by whoever held this lock before us.
		var load int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM conversation_assignees a
			JOIN conversations c ON c.id = a.conversation_id
			WHERE a.user_id = $1 AND c.status <> 'closed'`, userID).Scan(&load); err != nil {
			return "", err
		}
		if load >= capacity {
			rejected = append(rejected, userID)
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO conversation_assignees
				(conversation_id, user_id, role, offer_kind, offered_at, expires_at)
			VALUES ($1, $2, 'offered', 'route', $3, $4)`, conversationID, userID, offeredAt, expiresAt); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `UPDATE agent_presence SET idle_since = $2 WHERE user_id = $1`, userID, offeredAt); err != nil {
			return "", err
		}
		return userID, tx.Commit(ctx)
	}
}

// Offer is a pending offer as the agent sees it.
type Offer struct {
	ConversationID string    `json:"conversation_id"`
	Kind           string    `json:"kind"`
	TeamID         string    `json:"team_id"`
	TeamName       string    `json:"queue"`
	CustomerPhone  string    `json:"customer_phone"`
	TeamNumber     string    `json:"team_number"`
	WaitingSince   time.Time `json:"waiting_since"`
	OfferedAt      time.Time `json:"offered_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// OffersFor lists a user's pending, unexpired offers, oldest first.
func (s *Store) OffersFor(ctx context.Context, userID string, now time.Time) ([]Offer, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id, a.offer_kind, c.team_id, t.name, ct.phone, c.team_number,
			c.opened_at, a.offered_at, a.expires_at
		FROM conversation_assignees a
		JOIN conversations c ON c.id = a.conversation_id
		JOIN teams t ON t.id = c.team_id
		JOIN contacts ct ON ct.id = c.contact_id
		WHERE a.user_id = $1 AND a.role = 'offered' AND a.expires_at > $2 AND c.status <> 'closed'
		ORDER BY a.offered_at, c.id`, userID, now)
	if err != nil {
		return nil, err
	}
	offers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Offer, error) {
		var o Offer
		err := r.Scan(&o.ConversationID, &o.Kind, &o.TeamID, &o.TeamName, &o.CustomerPhone, &o.TeamNumber,
			&o.WaitingSince, &o.OfferedAt, &o.ExpiresAt)
		return o, err
	})
	if offers == nil {
		offers = []Offer{}
	}
	return offers, err
}

// WaitingConversations lists conversations of teamIDs that wait for an agent (new with
// nobody offered, or missed), oldest first.
func (s *Store) WaitingConversations(ctx context.Context, teamIDs []string, limit int) ([]Conversation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.team_id = ANY($1::uuid[]) AND c.status IN ('new', 'missed')
		  AND NOT EXISTS (SELECT 1 FROM conversation_assignees a WHERE a.conversation_id = c.id)
		ORDER BY c.opened_at, c.id
		LIMIT $2`, teamIDs, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
}

// AddAgentEvent records something an agent is told (their event stream reads it).
func (s *Store) AddAgentEvent(ctx context.Context, userID, conversationID string, kind conversation.NotifyKind, text string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO agent_events (user_id, conversation_id, kind, text) VALUES ($1, $2, $3, $4)`,
		userID, conversationID, string(kind), text)
	return err
}

// AgentEvent is one notification.
type AgentEvent struct {
	ID             int64   `json:"id"`
	Kind           string  `json:"kind"`
	ConversationID *string `json:"conversation_id"`
	// TeamID: the team the event concerns (null for presence_changed and for older
	// events of a conversation).
	TeamID *string `json:"team_id"`
	Text   string  `json:"text"`
	// Alert: the user's preferences, when the event was written, ask clients to alert
	// them (see GET /v1/me/preferences).
	Alert     bool            `json:"alert"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// AgentEvents lists a user's notifications after id afterID, oldest first, leaving out
// those about conversations since restricted to others.
func (s *Store) AgentEvents(ctx context.Context, userID string, afterID int64, limit int) ([]AgentEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentEventColumns+`
		FROM agent_events e JOIN users u ON u.id = e.user_id
		LEFT JOIN conversations c ON c.id = e.conversation_id
		WHERE e.user_id = $1 AND e.id > $2
		  AND (c.id IS NULL OR `+conversationVisibleSQL("c", "e.user_id", "u.role = 'admin'")+`)
		ORDER BY e.id LIMIT $3`, userID, afterID, limit)
	if err != nil {
		return nil, err
	}
	return collectAgentEvents(rows)
}

// collectAgentEvents reads rows of agentEventColumns (never nil: an empty list is []).
func collectAgentEvents(rows pgx.Rows) ([]AgentEvent, error) {
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AgentEvent, error) {
		var e AgentEvent
		var data []byte
		err := r.Scan(&e.ID, &e.ConversationID, &e.TeamID, &e.Kind, &e.Text, &e.Alert, &e.CreatedAt, &data)
		if len(data) > 0 {
			e.Data = data
		}
		return e, err
	})
	if evs == nil {
		evs = []AgentEvent{}
	}
	return evs, err
}

// agentEventColumns are what collectAgentEvents reads, from agent_events e and the
// conversation c it is about (its team when the event names none).
const agentEventColumns = `e.id, e.conversation_id, coalesce(e.team_id, c.team_id), e.kind, e.text, e.alert,
			e.created_at, e.data`

// WaitingAfter lists a team's waiting conversations (new and unoffered, or missed)
// after position (opened_at, id), oldest first: the chat switch's nudge walks them a
// batch at a time.
func (s *Store) WaitingAfter(ctx context.Context, teamID string, afterAt time.Time, afterID string, limit int) ([]Conversation, error) {
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.team_id = $1 AND c.status IN ('new', 'missed') AND (c.opened_at, c.id) > ($2, $3::uuid)
		  AND NOT EXISTS (SELECT 1 FROM conversation_assignees a WHERE a.conversation_id = c.id)
		ORDER BY c.opened_at, c.id
		LIMIT $4`, teamID, afterAt, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
}
