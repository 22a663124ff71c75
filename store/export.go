package store

import (
	"context"
	"time"
)

// ConversationRange selects conversations by when they were opened: From inclusive,
// To exclusive, either left zero for no bound.
type ConversationRange struct {
	From, To time.Time
}

// bounds gives the range as SQL parameters (NULL for an open end).
func (r ConversationRange) bounds() (from, to *time.Time) {
	if !r.From.IsZero() {
		from = &r.From
	}
	if !r.To.IsZero() {
		to = &r.To
	}
	return from, to
}

// ExportRow is one message of an exported conversation, with its conversation's
// fields repeated so each row stands alone in a spreadsheet.
type ExportRow struct {
	ConversationID string     `json:"conversation_id"`
	TeamID         string     `json:"team_id"`
	ContactPhone   string     `json:"contact_phone"`
	OpenedAt       time.Time  `json:"opened_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	Status         string     `json:"status"`
	WrapUpReason   *string    `json:"wrap_up_reason"`
	MessageID      string     `json:"message_id"`
	MessageAt      time.Time  `json:"message_at"`
	Direction      string     `json:"direction"`
	// Author: "contact" for an inbound message, the agent's name for one an agent
	// wrote, "auto" for an automatic one (auto-response, template without author).
	Author         string `json:"author"`
	Body           string `json:"body"`
	DeliveryStatus string `json:"delivery_status"`
}

// ExportQuery says whose conversations to export: a contact's (ContactID) or, if it
// is empty, a team's (TeamID), in Teams only, as Viewer may see them.
type ExportQuery struct {
	ContactID string
	TeamID    string
	Teams     []string
	Viewer    Viewer
	Range     ConversationRange
}

// exportSQL reads the messages of the selected conversations in order (conversation
// opened, then message time). by is the conversation's column that selects them
// (contact_id or team_id, bound to $2), so the plan reads conversations_contact or
// conversations_team_opened for the range and messages_conversation per conversation,
// and rows flow out as Postgres finds them. $1 the teams, $3/$4 the range (NULL: open),
// $5/$6 the viewer.
func exportSQL(by string) string {
	return `SELECT c.id::text, c.team_id::text, ct.phone, c.opened_at, c.closed_at, c.status, c.wrap_up_reason,
		m.id::text, m.created_at, m.direction,
		CASE WHEN m.direction = 'inbound' THEN 'contact' WHEN u.name IS NOT NULL THEN u.name ELSE 'auto' END,
		m.body, m.status
	FROM conversations c
	JOIN contacts ct ON ct.id = c.contact_id
	JOIN messages m ON m.conversation_id = c.id
	LEFT JOIN users u ON u.id = m.author_id
	WHERE c.` + by + ` = $2 AND c.deleted_at IS NULL AND c.team_id = ANY($1::uuid[])
	  AND ($3::timestamptz IS NULL OR c.opened_at >= $3)
	  AND ($4::timestamptz IS NULL OR c.opened_at < $4)
	  AND ` + conversationVisibleSQL("c", "$5", "$6::boolean") + `
	ORDER BY c.opened_at, c.id, m.created_at, m.id`
}

var (
	exportByContactSQL = exportSQL("contact_id")
	exportByTeamSQL    = exportSQL("team_id")
)

// ExportMessages calls row for each message of the conversations q selects, as they
// are read (nothing is held beyond the current row). An error from row stops the
// export and is returned.
func (s *Store) ExportMessages(ctx context.Context, q ExportQuery, row func(ExportRow) error) error {
	from, to := q.Range.bounds()
	query, by := exportByContactSQL, q.ContactID
	if q.ContactID == "" {
		query, by = exportByTeamSQL, q.TeamID
	}
	rows, err := s.pool.Query(ctx, query, nonNil(q.Teams), by, from, to, q.Viewer.UserID, q.Viewer.Admin)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ExportRow
		if err := rows.Scan(&r.ConversationID, &r.TeamID, &r.ContactPhone, &r.OpenedAt, &r.ClosedAt, &r.Status, &r.WrapUpReason,
			&r.MessageID, &r.MessageAt, &r.Direction, &r.Author, &r.Body, &r.DeliveryStatus); err != nil {
			return err
		}
		if err := row(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
