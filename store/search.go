package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// SearchQuery finds recent conversations by who the customer is: one of a phone
// number (exact, or the numbers starting with a prefix), a ref, or part of a name.
type SearchQuery struct {
	Viewer        Viewer
	PhoneExact    string
	PhonePrefixes []string
	Ref           string
	Name          string
	Since         time.Time // conversations opened at or after
	Cursor        string
	Limit         int
	// MaxContacts bounds the contacts a search may match (0: no bound): a prefix like
	// "+1" would otherwise read every contact of a country before the first page.
	MaxContacts int
}

// SearchConversations lists the conversations q selects in the viewer's teams that the
// viewer may see, newest first, keyset-paginated on (opened_at, id). The contact is
// found on its own index (phone range, ref, name trigram) and its conversations on
// conversations_contact, so the cost follows the number of matching contacts, not the
// size of the table.
func (s *Store) SearchConversations(ctx context.Context, q SearchQuery) (ConversationPage, error) {
	page := ConversationPage{Conversations: []Conversation{}}
	pos, err := decodeInboxCursor("search", q.Cursor)
	if err != nil {
		return page, err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var match []string
	if q.PhoneExact != "" {
		match = append(match, `ct.phone = `+arg(q.PhoneExact))
	}
	for _, prefix := range q.PhonePrefixes {
		// Phones are "+" and digits; ":" sorts right after "9" in byte order.
		match = append(match, `(ct.phone COLLATE "C" >= `+arg(prefix)+` AND ct.phone COLLATE "C" < `+arg(prefix+":")+`)`)
	}
	if q.Ref != "" {
		match = append(match, `ct.ref = `+arg(q.Ref))
	}
	if q.Name != "" {
		match = append(match, `ct.name ILIKE `+arg("%"+escapeLike(q.Name)+"%"))
	}
	if len(match) == 0 {
		return page, nil
	}
	bound := ""
	if q.MaxContacts > 0 {
		// Counted on the indexes, stopping one past the bound.
		var n int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM contacts ct WHERE `+strings.Join(match, " OR ")+`
			LIMIT `+fmt.Sprint(q.MaxContacts+1)+`) x`, args...).Scan(&n)
		if err != nil {
			return page, err
		}
		if n > q.MaxContacts {
			return page, conversation.Errorf(conversation.EUnprocessable,
				"the search matches more than %d customers; type more of the number or name", q.MaxContacts)
		}
		bound = ` LIMIT ` + fmt.Sprint(q.MaxContacts+1)
	}
	where := []string{
		`c.team_id = ANY(` + arg(q.Viewer.TeamIDs) + `::uuid[])`,
		`c.deleted_at IS NULL`,
		`c.opened_at >= ` + arg(q.Since),
		conversationVisibleSQL("c", arg(q.Viewer.UserID), arg(q.Viewer.Admin)),
	}
	if pos.set {
		where = append(where, `(c.opened_at, c.id) < (`+arg(pos.at)+`::timestamptz, `+arg(pos.id)+`::uuid)`)
	}
	// The matching contacts first, on their indexes (phone range, ref, name trigram),
	// with the columns the list shows: joined straight to conversations, or joined back
	// to contacts for those columns, the planner may rather hash every contact.
	rows, err := s.pool.Query(ctx, `WITH matched AS MATERIALIZED (
			SELECT ct.id, ct.phone, ct.name, ct.ref FROM contacts ct WHERE `+strings.Join(match, " OR ")+bound+`)
		SELECT `+conversationColumns+`
		FROM matched ct JOIN conversations c ON c.contact_id = ct.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY c.opened_at DESC, c.id DESC LIMIT `+arg(q.Limit+1), args...)
	if err != nil {
		return page, err
	}
	convs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
	if err != nil {
		return page, err
	}
	if len(convs) > q.Limit {
		convs = convs[:q.Limit]
		last := convs[q.Limit-1]
		page.NextCursor = encodeInboxCursor("search", 0, last.OpenedAt, last.ID)
	}
	if convs != nil {
		page.Conversations = convs
	}
	return page, nil
}
