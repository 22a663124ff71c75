package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Conversation is the read model of one conversation.
type Conversation struct {
	ID              string     `json:"id"`
	TeamID          string     `json:"team_id"`
	ContactID       string     `json:"contact_id"`
	ContactPhone    string     `json:"contact_phone"`
	ContactName     string     `json:"contact_name"`
	ContactRef      string     `json:"contact_ref"`
	TeamNumber      string     `json:"team_number"`
	Status          string     `json:"status"`
	NextAction      string     `json:"next_action"`
	NextActionSince time.Time  `json:"next_action_since"`
	LastMessageAt   *time.Time `json:"last_message_at"`
	OpenedAt        time.Time  `json:"opened_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	CloseReason     *string    `json:"close_reason"`
	WrapUpReason    *string    `json:"wrap_up_reason"`
	// Assignees: the owner first, then conferenced agents.
	Assignees []string `json:"assignees"`
	// AssigneeDetails: the same users, in the same order, with their names, so a
	// client renders a list without looking users up.
	AssigneeDetails []Person `json:"assignee_details"`
	// Unread: the caller's unread customer messages; set by the API where it reads
	// conversations for a user (lists and detail), absent elsewhere.
	Unread *int `json:"unread,omitempty"`
	// OfferedTo is the agent a pending offer waits on, if any.
	OfferedTo *string `json:"offered_to"`
	// VisibleTo: the only users (besides admins) who see a restricted conversation;
	// empty for a conversation the whole team sees.
	VisibleTo []string `json:"visible_to"`
	// DefaultAssignees: the contact's default assignees who qualified when the
	// conversation was created (see OpenConversation); only OpenConversation reads it,
	// for the workflow's start input. Not part of the API's read model.
	DefaultAssignees []string `json:"-"`
}

const conversationColumns = `c.id, c.team_id, c.contact_id, ct.phone, ct.name, ct.ref, c.team_number, c.status,
	c.next_action, c.next_action_since, c.last_message_at, c.opened_at, c.closed_at, c.close_reason, c.wrap_up_reason,
	coalesce((SELECT array_agg(a.user_id::text ORDER BY a.role <> 'owner', a.created_at, a.user_id)
		FROM conversation_assignees a WHERE a.conversation_id = c.id AND a.role <> 'offered'), '{}'),
	coalesce((SELECT json_agg(json_build_object('id', a.user_id, 'name', u.name) ORDER BY a.role <> 'owner', a.created_at, a.user_id)
		FROM conversation_assignees a JOIN users u ON u.id = a.user_id WHERE a.conversation_id = c.id AND a.role <> 'offered'), '[]'::json),
	(SELECT a.user_id::text FROM conversation_assignees a WHERE a.conversation_id = c.id AND a.role = 'offered' LIMIT 1),
	c.visible_to::text[]`

func scanConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	err := row.Scan(&c.ID, &c.TeamID, &c.ContactID, &c.ContactPhone, &c.ContactName, &c.ContactRef, &c.TeamNumber, &c.Status,
		&c.NextAction, &c.NextActionSince, &c.LastMessageAt, &c.OpenedAt, &c.ClosedAt, &c.CloseReason, &c.WrapUpReason,
		&c.Assignees, &c.AssigneeDetails, &c.OfferedTo, &c.VisibleTo)
	return c, err
}

// OpenConversation returns the open conversation of a contact on a team's number,
// creating it with status if there is none. An open conversation on that number that
// was transferred to another team is found too, so the customer's next text joins it.
// The partial unique index conversations_one_open decides races: of two concurrent
// first messages, one inserts and both get its row. The row comes with its
// DefaultAssignees, which the workflow's start input carries.
func (s *Store) OpenConversation(ctx context.Context, teamID, contactID, teamNumber string, status conversation.Status) (c Conversation, created bool, err error) {
	c, err = scanOpenConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`, c.default_assignees::text[]
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.contact_id = $1 AND c.team_number = $2 AND c.status <> 'closed'
		ORDER BY c.opened_at DESC LIMIT 1`, contactID, teamNumber))
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return c, false, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		var id string
		// A new conversation starts with its contact's default visibility, and with
		// those of the contact's default assignees it may go to (defaultAssigneesSQL).
		err = s.pool.QueryRow(ctx, `INSERT INTO conversations (id, team_id, contact_id, team_number, status, visible_to, default_assignees)
			VALUES ($1, $2, $3, $4, $5, coalesce((SELECT default_visible_to FROM contact_team_settings WHERE contact_id = $3 AND team_id = $2), '{}'), `+defaultAssigneesSQL+`)
			ON CONFLICT (team_id, contact_id) WHERE status <> 'closed' DO NOTHING
			RETURNING id`, uuid.NewString(), teamID, contactID, teamNumber, status).Scan(&id)
		created = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return c, false, err
		}
		c, err = scanOpenConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`, c.default_assignees::text[]
			FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.team_id = $1 AND c.contact_id = $2 AND c.status <> 'closed'`, teamID, contactID))
		if err == nil {
			return c, created, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return c, false, err
		}
		// The open conversation closed between the insert and the select: try again.
	}
	return c, false, conversation.Errorf(conversation.EUnavailable, "conversation is changing state; retry")
}

// defaultAssigneesSQL is the default assignment of a new conversation of contact $3 in
// team $2: the team's default assignees for the contact (contact_team_settings), in its order, who are members of the team
// (a user's memberships go with the user) and, when the contact's new conversations
// are restricted (its default_visible_to becomes the conversation's visible_to), on
// that list: assignees are always people who may see the conversation. Empty when none
// qualify; the conversation is then routed as any other.
const defaultAssigneesSQL = `(SELECT coalesce(array_agg(d.user_id ORDER BY d.n), '{}')
	FROM contact_team_settings dc, unnest(dc.default_assignees) WITH ORDINALITY AS d (user_id, n)
	WHERE dc.contact_id = $3 AND dc.team_id = $2
	  AND EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = $2 AND m.user_id = d.user_id)
	  AND (dc.default_visible_to = '{}' OR d.user_id = ANY (dc.default_visible_to)))`

// Person is a user as lists show them.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// scanOpenConversation scans conversationColumns followed by default_assignees.
func scanOpenConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var defaults []string
	c, err := scanConversation(scanFunc(func(dest ...any) error { return row.Scan(append(dest, &defaults)...) }))
	c.DefaultAssignees = defaults
	return c, err
}

// scanFunc is a Scan method as a function.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Conversation loads one conversation.
func (s *Store) Conversation(ctx context.Context, id string) (Conversation, error) {
	if uuid.Validate(id) != nil {
		return Conversation{}, conversation.Errorf(conversation.ENotFound, "conversation not found")
	}
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1 AND c.deleted_at IS NULL`, id))
	return c, notFound(err, "conversation")
}

// ConversationPage is a page of conversations and the cursor for the next one.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	NextCursor    string         `json:"next_cursor,omitempty"`
}

// LastAssignees is who was on the conversation in its last saved state (for a closed
// one: when it closed), which conversation_assignees no longer holds.
func (s *Store) LastAssignees(ctx context.Context, id string) ([]string, error) {
	var users []string
	err := s.pool.QueryRow(ctx, `SELECT last_assignees::text[] FROM conversations WHERE id = $1`, id).Scan(&users)
	return users, notFound(err, "conversation")
}

// OpenConversationOf returns the contact's open conversation in a team, if any.
func (s *Store) OpenConversationOf(ctx context.Context, teamID, contactID string) (Conversation, bool, error) {
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.team_id = $1 AND c.contact_id = $2 AND c.status <> 'closed'`, teamID, contactID))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// ListConversations lists the conversations of the viewer's teams that the viewer may
// see, newest first, keyset-paginated on (opened_at, id) so pages stay stable while
// messages arrive.
func (s *Store) ListConversations(ctx context.Context, v Viewer, cursor string, limit int) (ConversationPage, error) {
	var page ConversationPage
	after, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	l := teamList{viewer: v, order: "c.opened_at DESC, c.id DESC", limit: limit}
	if after.time != nil {
		l.where = []string{`(c.opened_at, c.id) < (` + l.arg(*after.time) + `::timestamptz, ` + l.arg(after.id) + `::uuid)`}
	}
	convs, more, err := s.listTeams(ctx, l)
	if err != nil {
		return page, err
	}
	page.Conversations = convs
	if more {
		last := convs[len(convs)-1]
		page.NextCursor = encodeCursor(last.OpenedAt, last.ID)
	}
	return page, nil
}

// SaveConversation mirrors workflow state into the read model: the row and who is on
// the conversation (owner, conference members, pending offer). Snapshots carry the
// state's version; an older one arriving late changes nothing. A closed conversation
// keeps no assignee rows, which frees the agents' capacity.
func (s *Store) SaveConversation(ctx context.Context, st conversation.State) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var old previousState
	err = tx.QueryRow(ctx, `SELECT c.status, c.team_id, c.version, c.visible_to::text[],
			coalesce((SELECT array_agg(a.user_id::text ORDER BY a.user_id) FROM conversation_assignees a
				WHERE a.conversation_id = c.id AND a.role <> 'offered'), '{}'),
			coalesce((SELECT a.user_id::text FROM conversation_assignees a WHERE a.conversation_id = c.id AND a.role = 'offered' LIMIT 1), '')
		FROM conversations c WHERE c.id = $1 FOR UPDATE`, st.ID).
		Scan(&old.status, &old.teamID, &old.version, &old.visibleTo, &old.assignees, &old.offeredTo)
	if err != nil {
		return notFound(err, "conversation")
	}
	oldStatus := old.status
	tag, err := tx.Exec(ctx, `UPDATE conversations SET team_id = $2, status = $3, next_action = $4,
			next_action_since = $5, last_message_at = $6, closed_at = $7, close_reason = nullif($8, ''),
			wrap_up_reason = nullif($9, ''),
			deleted_at = CASE WHEN $8 = 'deleted' THEN coalesce(deleted_at, now()) ELSE deleted_at END,
			version = $10, visible_to = $11, last_assignees = $12::uuid[], updated_at = now()
		WHERE id = $1 AND version < $10`,
		st.ID, st.TeamID, st.Status, st.NextAction, st.NextActionSince, nullTime(st.LastMessageAt),
		nullTime(st.ClosedAt), st.CloseReason, st.WrapUpReason, st.Version, nonNil(st.VisibleTo), nonNil(st.Assignees))
	if err != nil {
		if isUniqueViolation(err, "conversations_one_open") {
			return conversation.Errorf(conversation.EConflict, "the contact already has an open conversation in that team")
		}
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil // a newer snapshot is already stored
	}
	type row struct {
		user, role, kind, by string
		at, exp              *time.Time
	}
	var want []row
	if !st.Closed() {
		for i, u := range st.Assignees {
			role := "member"
			if i == 0 {
				role = "owner"
			}
			want = append(want, row{user: u, role: role})
		}
		if o := st.Offer; o != nil {
			want = append(want, row{user: o.UserID, role: "offered", kind: string(o.Kind), by: o.FromUserID, at: &o.OfferedAt, exp: &o.ExpiresAt})
		}
	}
	users := make([]string, len(want))
	for i, w := range want {
		users[i] = w.user
	}
	if _, err := tx.Exec(ctx, `DELETE FROM conversation_assignees WHERE conversation_id = $1 AND NOT (user_id = ANY($2::uuid[]))`, st.ID, users); err != nil {
		return err
	}
	for _, w := range want {
		if _, err := tx.Exec(ctx, `INSERT INTO conversation_assignees
				(conversation_id, user_id, role, offer_kind, offered_by, offered_at, expires_at)
			VALUES ($1, $2, $3, nullif($4, ''), nullif($5, '')::uuid, $6, $7)
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, offer_kind = excluded.offer_kind,
				offered_by = excluded.offered_by, offered_at = excluded.offered_at, expires_at = excluded.expires_at`,
			st.ID, w.user, w.role, w.kind, w.by, w.at, w.exp); err != nil {
			return err
		}
	}
	var events []eventRow
	if oldStatus != string(st.Status) {
		events = append(events, statusEvents(st)...)
	}
	team, err := teamEvents(ctx, tx, old, st)
	if err != nil {
		return err
	}
	if err := writeEvents(ctx, tx, append(events, team...)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// statusEvents tells the agents on a conversation that its status changed and, when it
// was missed (chat off), every member of its team: the missed-conversation alert. The
// event stream leaves out restricted conversations for those not on their list.
func statusEvents(st conversation.State) []eventRow {
	rows := toEach(st.Assignees, eventRow{conversationID: st.ID, teamID: st.TeamID, kind: NotifyStatusChanged,
		text: "the conversation is now " + strings.ReplaceAll(string(st.Status), "_", " ")})
	return rows
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ReopenConversation turns a closed (not deleted) conversation active again, owned by
// ownerID, and returns it with its version.
func (s *Store) ReopenConversation(ctx context.Context, id, ownerID string) (Conversation, int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Conversation{}, 0, err
	}
	defer tx.Rollback(ctx)
	var version int64
	err = tx.QueryRow(ctx, `UPDATE conversations SET status = 'active', closed_at = NULL, close_reason = NULL,
			wrap_up_reason = NULL, next_action = 'agent', next_action_since = now(), version = version + 1, updated_at = now()
		WHERE id = $1 AND status = 'closed' AND deleted_at IS NULL RETURNING version`, id).Scan(&version)
	if isUniqueViolation(err, "conversations_one_open") {
		return Conversation{}, 0, conversation.Errorf(conversation.EConflict,
			"the contact already has another open conversation in this team; close it before unarchiving this one")
	}
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Conversation{}, 0, conversation.Errorf(conversation.EConflict, "the conversation is not archived")
		}
		return Conversation{}, 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO conversation_assignees (conversation_id, user_id, role) VALUES ($1, $2, 'owner')
		ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = 'owner'`, id, ownerID); err != nil {
		return Conversation{}, 0, err
	}
	c, err := scanConversation(tx.QueryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = $1`, id))
	if err != nil {
		return Conversation{}, 0, err
	}
	return c, version, tx.Commit(ctx)
}

// HasOtherOpenConversation reports whether the contact has an open conversation in the
// team other than exceptID.
func (s *Store) HasOtherOpenConversation(ctx context.Context, teamID, contactID, exceptID string) (bool, error) {
	var open bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations
		WHERE team_id = $1 AND contact_id = $2 AND id <> $3 AND status <> 'closed')`, teamID, contactID, exceptID).Scan(&open)
	return open, err
}

// MarkDeleted hides a closed conversation (its workflow has finished) from every list.
func (s *Store) MarkDeleted(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE conversations SET deleted_at = coalesce(deleted_at, now()), updated_at = now()
		WHERE id = $1 AND status = 'closed'`, id)
	return err
}
