package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// ContactQuery selects contacts for the contact search.
type ContactQuery struct {
	// All: every contact (admins). Otherwise only contacts with a conversation in one
	// of TeamIDs.
	All     bool
	TeamIDs []string
	// What to match; a contact matching any of them is listed, and with none set every
	// (visible) contact is.
	PhoneExact    string   // an E.164 number
	PhonePrefixes []string // starts of E.164 numbers, "+" included
	Text          string   // the whole ref, or (when no phone is given) part of the name, any case
	Cursor        string
	Limit         int
}

// ContactPage is a page of contacts, ordered by phone number.
type ContactPage struct {
	Contacts   []Contact `json:"contacts"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// visibleContactSQL is true for a contact with a (not deleted) conversation in one of
// the teams bound to param.
func visibleContactSQL(param string) string {
	return `EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = ct.id AND c.team_id = ANY(` + param +
		`::uuid[]) AND c.deleted_at IS NULL)`
}

// SearchContacts lists the contacts q selects, keyset-paginated on the phone number.
// Each shape of query is its own SQL text, so each gets a plan on its own index
// (phone range, ref, trigram on the name).
func (s *Store) SearchContacts(ctx context.Context, q ContactQuery) (ContactPage, error) {
	page := ContactPage{Contacts: []Contact{}}
	var after string
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		phone, ok := strings.CutPrefix(string(raw), "contacts|")
		if err != nil || !ok || phone == "" {
			return page, conversation.Errorf(conversation.EInvalid, "cursor is not valid; pass back the next_cursor of a previous page")
		}
		after = phone
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"true"}
	if !q.All {
		where = append(where, visibleContactSQL(arg(q.TeamIDs)))
	}
	var match []string
	if q.PhoneExact != "" {
		match = append(match, `ct.phone = `+arg(q.PhoneExact))
	}
	for _, prefix := range q.PhonePrefixes {
		// Phones are "+" and digits; ":" sorts right after "9" in byte order.
		match = append(match, `(ct.phone COLLATE "C" >= `+arg(prefix)+` AND ct.phone COLLATE "C" < `+arg(prefix+":")+`)`)
	}
	if q.Text != "" {
		if q.PhoneExact == "" && len(q.PhonePrefixes) == 0 {
			match = append(match, `ct.name ILIKE `+arg("%"+escapeLike(q.Text)+"%"))
		}
		match = append(match, `ct.ref = `+arg(q.Text))
	}
	if len(match) > 0 {
		where = append(where, "("+strings.Join(match, " OR ")+")")
	}
	if after != "" {
		where = append(where, `ct.phone COLLATE "C" > `+arg(after))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts ct
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY ct.phone COLLATE "C" LIMIT `+arg(q.Limit+1), args...)
	if err != nil {
		return page, err
	}
	contacts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) { return scanContact(r) })
	if err != nil {
		return page, err
	}
	if len(contacts) > q.Limit {
		contacts = contacts[:q.Limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("contacts|" + contacts[q.Limit-1].Phone))
	}
	if contacts != nil {
		page.Contacts = contacts
	}
	return page, nil
}

// escapeLike makes s match itself literally in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ContactVisible reports whether the contact has a conversation in one of teamIDs.
func (s *Store) ContactVisible(ctx context.Context, contactID string, teamIDs []string) (bool, error) {
	if !validUUID(contactID) {
		return false, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = $1 AND `+visibleContactSQL("$2")+`)`,
		contactID, teamIDs).Scan(&ok)
	return ok, err
}

// ContactConversations lists a contact's conversations in teamIDs, newest first,
// keyset-paginated on (opened_at, id).
func (s *Store) ContactConversations(ctx context.Context, contactID string, teamIDs []string, cursor string, limit int) (ConversationPage, error) {
	page := ConversationPage{Conversations: []Conversation{}}
	after, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.contact_id = $1 AND c.team_id = ANY($2::uuid[]) AND c.deleted_at IS NULL
		  AND ($3::timestamptz IS NULL OR (c.opened_at, c.id) < ($3, $4::uuid))
		ORDER BY c.opened_at DESC, c.id DESC
		LIMIT $5`, contactID, teamIDs, after.time, after.id, limit+1)
	if err != nil {
		return page, err
	}
	convs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
	if err != nil {
		return page, err
	}
	if len(convs) > limit {
		convs = convs[:limit]
		last := convs[limit-1]
		page.NextCursor = encodeCursor(last.OpenedAt, last.ID)
	}
	if convs != nil {
		page.Conversations = convs
	}
	return page, nil
}

// ContactPatch changes a contact; nil fields stay as they are.
type ContactPatch struct {
	Name    *string
	Ref     *string
	Blocked *bool
	// OptedOut records an opt-out (or opt-in) at At, with ConsentReason, as a keyword
	// would: opting out cancels the contact's pending scheduled messages.
	OptedOut      *bool
	At            time.Time
	ConsentReason string
}

// UpdateContact applies p and returns the contact afterwards.
func (s *Store) UpdateContact(ctx context.Context, id string, p ContactPatch) (Contact, error) {
	if !validUUID(id) {
		return Contact{}, conversation.Errorf(conversation.ENotFound, "contact not found")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Contact{}, err
	}
	defer tx.Rollback(ctx)
	var phone string
	var optedOut bool
	err = tx.QueryRow(ctx, `UPDATE contacts SET name = coalesce($2, name), ref = coalesce($3, ref),
			blocked = coalesce($4, blocked), updated_at = now()
		WHERE id = $1 RETURNING phone, opted_out`, id, p.Name, p.Ref, p.Blocked).Scan(&phone, &optedOut)
	if err != nil {
		return Contact{}, notFound(err, "contact")
	}
	if p.OptedOut != nil && *p.OptedOut != optedOut {
		if _, err := setConsent(ctx, tx, phone, *p.OptedOut, p.At, p.ConsentReason); err != nil {
			return Contact{}, err
		}
	}
	c, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts ct WHERE ct.id = $1`, id))
	if err != nil {
		return Contact{}, err
	}
	return c, tx.Commit(ctx)
}
