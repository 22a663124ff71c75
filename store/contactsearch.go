package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// ContactQuery selects contacts for the contact search.
type ContactQuery struct {
	// All: every contact (admins). Otherwise only the contacts UserID sees through
	// TeamIDs (see visibleContactSQL).
	All     bool
	TeamIDs []string
	UserID  string
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

// visibleContactSQL is true for a contact an agent sees: one with a (not deleted)
// conversation in one of the teams bound to teamsParam that the agent (userParam) may
// see, or a chat handoff or log entry in one of those teams. It is one EXISTS over a
// UNION ALL, probed per contact on each table's contact index: three EXISTS joined by
// OR make Postgres hash every conversation of the teams on each request (make
// bench-api measured 112 ms against 0.8 ms at 100k conversations).
func visibleContactSQL(teamsParam, userParam string) string {
	return `EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = ct.id AND c.team_id = ANY(` + teamsParam +
		`::uuid[]) AND c.deleted_at IS NULL AND ` + conversationVisibleSQL("c", userParam, "false") + `
		UNION ALL SELECT 1 FROM chat_handoffs h WHERE h.contact_id = ct.id AND h.team_id = ANY(` + teamsParam + `::uuid[])
		UNION ALL SELECT 1 FROM contact_log l WHERE l.contact_id = ct.id AND l.team_id = ANY(` + teamsParam + `::uuid[]))`
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
	common := []string{"true"}
	if !q.All {
		common = append(common, visibleContactSQL(arg(q.TeamIDs), arg(q.UserID)))
	}
	if after != "" {
		common = append(common, `ct.phone COLLATE "C" > `+arg(after))
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
	if len(match) == 0 {
		match = []string{"true"}
	}
	// One branch per way of matching, each reading its own index in phone order and
	// stopping at a page: joined by OR, the conditions would stop the phone range from
	// bounding the scan of the phone index.
	limit := arg(q.Limit + 1)
	branches := make([]string, len(match))
	for i, m := range match {
		branches[i] = `(SELECT ct.id FROM contacts ct WHERE ` + m + ` AND ` + strings.Join(common, " AND ") + `
			ORDER BY ct.phone COLLATE "C" LIMIT ` + limit + `)`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts ct
		WHERE ct.id IN (`+strings.Join(branches, " UNION ")+`)
		ORDER BY ct.phone COLLATE "C" LIMIT `+limit, args...)
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
	return page, s.withTeamSettings(ctx, s.pool, page.Contacts, q.TeamIDs, q.All)
}

// escapeLike makes s match itself literally in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ContactVisible reports whether agent userID sees the contact through teamIDs.
func (s *Store) ContactVisible(ctx context.Context, contactID string, teamIDs []string, userID string) (bool, error) {
	if !validUUID(contactID) {
		return false, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contacts ct WHERE ct.id = $1 AND `+visibleContactSQL("$2", "$3")+`)`,
		contactID, teamIDs, userID).Scan(&ok)
	return ok, err
}

// Viewer is who reads: their id, teams and whether they are an admin (who sees
// restricted conversations; team membership still applies).
type Viewer struct {
	UserID  string
	TeamIDs []string
	Admin   bool
}

// ContactConversations lists a contact's conversations in the viewer's teams that the
// viewer may see, newest first, keyset-paginated on (opened_at, id).
func (s *Store) ContactConversations(ctx context.Context, contactID string, v Viewer, cursor string, limit int) (ConversationPage, error) {
	page := ConversationPage{Conversations: []Conversation{}}
	after, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.contact_id = $1 AND c.team_id = ANY($2::uuid[]) AND c.deleted_at IS NULL
		  AND `+conversationVisibleSQL("c", "$6", "$7::boolean")+`
		  AND ($3::timestamptz IS NULL OR (c.opened_at, c.id) < ($3, $4::uuid))
		ORDER BY c.opened_at DESC, c.id DESC
		LIMIT $5`, contactID, v.TeamIDs, after.time, after.id, limit+1, v.UserID, v.Admin)
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

// ContactPatch changes a contact; nil fields stay as they are. Name and Ref are the
// organisation's; the others are the settings of TeamID ("" for every team, an
// admin's choice).
type ContactPatch struct {
	Name    *string
	Ref     *string
	TeamID  string
	Blocked *bool
	// OptedOut records an opt-out (or opt-in) at At, with ConsentReason, as a keyword
	// would: opting out cancels the team's pending scheduled messages to the contact.
	OptedOut      *bool
	At            time.Time
	ConsentReason string
	// DefaultVisibleTo replaces the team's default visibility for the contact (user
	// ids; empty clears it). Every id must be a user's.
	DefaultVisibleTo *[]string
	// DefaultAssignees replaces the team's default assignment (user ids; empty clears
	// it). Every id must be a user's, and when the default visibility (after this
	// change) is not empty, every default assignee must be on it.
	DefaultAssignees *[]string
}

func (p ContactPatch) perTeam() bool {
	return p.Blocked != nil || p.OptedOut != nil || p.DefaultVisibleTo != nil || p.DefaultAssignees != nil
}

// UpdateContact applies p, in one transaction.
func (s *Store) UpdateContact(ctx context.Context, id string, p ContactPatch) error {
	if !validUUID(id) {
		return conversation.Errorf(conversation.ENotFound, "contact not found")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, l := range []struct {
		field string
		ids   *[]string
	}{{"default_visible_to", p.DefaultVisibleTo}, {"default_assignees", p.DefaultAssignees}} {
		if l.ids != nil {
			if err := checkUsers(ctx, tx, l.field, *l.ids); err != nil {
				return err
			}
		}
	}
	var phone string
	err = tx.QueryRow(ctx, `UPDATE contacts SET name = coalesce($2, name), ref = coalesce($3, ref), updated_at = now()
		WHERE id = $1 RETURNING phone`, id, p.Name, p.Ref).Scan(&phone)
	if err != nil {
		return notFound(err, "contact")
	}
	if !p.perTeam() {
		return tx.Commit(ctx)
	}
	teams, err := settingTeams(ctx, tx, p.TeamID)
	if err != nil {
		return err
	}
	for _, team := range teams {
		if err := updateTeamSettings(ctx, tx, id, team, phone, p); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// updateTeamSettings applies p's per-team fields to one team's settings.
func updateTeamSettings(ctx context.Context, tx pgx.Tx, contactID, teamID, phone string, p ContactPatch) error {
	var optedOut bool
	var hidden *string // a default assignee left off the default visibility, if any
	if _, err := tx.Exec(ctx, `INSERT INTO contact_team_settings (contact_id, team_id) VALUES ($1, $2)
		ON CONFLICT (contact_id, team_id) DO NOTHING`, contactID, teamID); err != nil {
		return err
	}
	// The row lock the update takes makes the check of the result race-free: two
	// requests changing the two lists at once cannot leave an assignee off the list.
	err := tx.QueryRow(ctx, `UPDATE contact_team_settings SET blocked = coalesce($3, blocked),
			default_visible_to = coalesce($4::uuid[], default_visible_to),
			default_assignees = coalesce($5::uuid[], default_assignees), updated_at = now()
		WHERE contact_id = $1 AND team_id = $2
		RETURNING opted_out, (SELECT a::text FROM unnest(default_assignees) WITH ORDINALITY AS x (a, n)
			 WHERE default_visible_to <> '{}' AND NOT (a = ANY (default_visible_to)) ORDER BY n LIMIT 1)`,
		contactID, teamID, p.Blocked, p.DefaultVisibleTo, p.DefaultAssignees).Scan(&optedOut, &hidden)
	if err != nil {
		return err
	}
	if hidden != nil {
		if p.DefaultAssignees != nil {
			return conversation.Errorf(conversation.EUnprocessable,
				"default_assignees: user %s is not in the contact's default_visible_to, so could not see the conversations assigned to them; add them to default_visible_to (in the same request) or leave them out", *hidden)
		}
		return conversation.Errorf(conversation.EUnprocessable,
			"default_visible_to: user %s is one of the contact's default_assignees and must stay able to see its conversations; include them, or remove them from default_assignees (in the same request)", *hidden)
	}
	if p.OptedOut != nil && *p.OptedOut != optedOut {
		if _, err := setConsent(ctx, tx, phone, teamID, *p.OptedOut, p.At, p.ConsentReason); err != nil {
			return err
		}
	}
	return nil
}

// checkUsers refuses (422, naming it) the first of ids that is not a user's id.
func checkUsers(ctx context.Context, q execer, field string, ids []string) error {
	for _, id := range ids {
		if !validUUID(id) {
			return conversation.Errorf(conversation.EUnprocessable, "%s: %q is not a user id", field, id)
		}
	}
	var missing string
	err := q.QueryRow(ctx, `SELECT want.id::text FROM unnest($1::uuid[]) WITH ORDINALITY AS want (id, n)
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = want.id) ORDER BY want.n LIMIT 1`, ids).Scan(&missing)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err == nil {
		err = conversation.Errorf(conversation.EUnprocessable, "%s: %s is not a user", field, missing)
	}
	return err
}

// Kinds of contact history items.
const (
	ItemConversation = "conversation"
	ItemChatHandoff  = "chat_handoff"
	ItemLog          = "log"
)

// HistoryItem is one entry of a contact's history: exactly one of Conversation,
// ChatHandoff and Log is set, as Type says. At is when it began (a conversation's
// opened_at, the others' created_at).
type HistoryItem struct {
	Type         string        `json:"type"`
	ID           string        `json:"id"`
	At           time.Time     `json:"at"`
	Conversation *Conversation `json:"conversation,omitempty"`
	ChatHandoff  *Handoff      `json:"chat_handoff,omitempty"`
	Log          *LogEntry     `json:"log,omitempty"`
}

// HistoryPage is a page of a contact's history, newest first. Conversations repeats
// the page's conversations, as the history listed before it held other items.
type HistoryPage struct {
	Items         []HistoryItem  `json:"items"`
	Conversations []Conversation `json:"conversations"`
	NextCursor    string         `json:"next_cursor,omitempty"`
	// Total counts the conversations the viewer may see in the range (every page, not
	// only this one); handoffs and log entries are not counted.
	Total int `json:"total"`
}

// historyPageSQL merges a contact's conversations, handoffs and log entries the viewer
// sees into one keyset page on (at, id): $1 contact, $2 teams, $3 viewer, $4 admin,
// $5/$6 the cursor, $7 the page size, $8/$9 the range [from, to) of at (NULL: open). Each arm reads its own index in order and stops
// at the page size, so a page costs at most three short index scans.
var historyPageSQL = `WITH page AS (
	(SELECT 'conversation' AS type, c.opened_at AS at, c.id FROM conversations c
		WHERE c.contact_id = $1 AND c.team_id = ANY($2::uuid[]) AND c.deleted_at IS NULL
		  AND ` + conversationVisibleSQL("c", "$3", "$4::boolean") + `
		  AND ($5::timestamptz IS NULL OR (c.opened_at, c.id) < ($5, $6::uuid))
		  AND ($8::timestamptz IS NULL OR c.opened_at >= $8) AND ($9::timestamptz IS NULL OR c.opened_at < $9)
		ORDER BY c.opened_at DESC, c.id DESC LIMIT $7)
	UNION ALL
	(SELECT 'chat_handoff', h.created_at, h.id FROM chat_handoffs h
		WHERE h.contact_id = $1 AND h.team_id = ANY($2::uuid[])
		  AND ($5::timestamptz IS NULL OR (h.created_at, h.id) < ($5, $6::uuid))
		  AND ($8::timestamptz IS NULL OR h.created_at >= $8) AND ($9::timestamptz IS NULL OR h.created_at < $9)
		ORDER BY h.created_at DESC, h.id DESC LIMIT $7)
	UNION ALL
	(SELECT 'log', l.created_at, l.id FROM contact_log l
		WHERE l.contact_id = $1 AND l.team_id = ANY($2::uuid[])
		  AND ($5::timestamptz IS NULL OR (l.created_at, l.id) < ($5, $6::uuid))
		  AND ($8::timestamptz IS NULL OR l.created_at >= $8) AND ($9::timestamptz IS NULL OR l.created_at < $9)
		ORDER BY l.created_at DESC, l.id DESC LIMIT $7))
SELECT type, at, id::text FROM page ORDER BY at DESC, id DESC LIMIT $7`

// historyTotalSQL counts the conversations the history's first arm would list over
// every page (same parameters, renumbered: $5/$6 the range).
var historyTotalSQL = `SELECT count(*) FROM conversations c
	WHERE c.contact_id = $1 AND c.team_id = ANY($2::uuid[]) AND c.deleted_at IS NULL
	  AND ` + conversationVisibleSQL("c", "$3", "$4::boolean") + `
	  AND ($5::timestamptz IS NULL OR c.opened_at >= $5) AND ($6::timestamptz IS NULL OR c.opened_at < $6)`

// ContactHistory lists the contact's conversations, chat handoffs and log entries in
// the viewer's teams (conversations only if the viewer may see them), newest first.
// The page and its items are read in one snapshot.
func (s *Store) ContactHistory(ctx context.Context, contactID string, v Viewer, rng ConversationRange, cursor string, limit int) (HistoryPage, error) {
	page := HistoryPage{Items: []HistoryItem{}, Conversations: []Conversation{}}
	after, err := decodeCursor(cursor)
	if err != nil {
		return page, err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return page, err
	}
	defer tx.Rollback(ctx)
	from, to := rng.bounds()
	rows, err := tx.Query(ctx, historyPageSQL, contactID, v.TeamIDs, v.UserID, v.Admin, after.time, after.id, limit+1, from, to)
	if err != nil {
		return page, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryItem, error) {
		var it HistoryItem
		return it, r.Scan(&it.Type, &it.At, &it.ID)
	})
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.NextCursor = encodeCursor(last.At, last.ID)
	}
	if err := fillHistory(ctx, tx, items); err != nil {
		return page, err
	}
	if err := tx.QueryRow(ctx, historyTotalSQL, contactID, v.TeamIDs, v.UserID, v.Admin, from, to).Scan(&page.Total); err != nil {
		return page, err
	}
	for _, it := range items {
		if it.Conversation != nil {
			page.Conversations = append(page.Conversations, *it.Conversation)
		}
	}
	if items != nil {
		page.Items = items
	}
	return page, tx.Commit(ctx)
}

// fillHistory loads the items of a page, one query per kind present.
func fillHistory(ctx context.Context, tx pgx.Tx, items []HistoryItem) error {
	ids := map[string][]string{}
	for _, it := range items {
		ids[it.Type] = append(ids[it.Type], it.ID)
	}
	convs, err := loadByID(ctx, tx, ids[ItemConversation], `SELECT `+conversationColumns+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ANY($1::uuid[])`,
		scanConversation, func(c Conversation) string { return c.ID })
	if err != nil {
		return err
	}
	handoffs, err := loadByID(ctx, tx, ids[ItemChatHandoff], `SELECT `+handoffColumns+` FROM chat_handoffs h WHERE h.id = ANY($1::uuid[])`,
		scanHandoff, func(h Handoff) string { return h.ID })
	if err != nil {
		return err
	}
	logs, err := loadByID(ctx, tx, ids[ItemLog], `SELECT `+logColumns+` FROM contact_log l WHERE l.id = ANY($1::uuid[])`,
		scanLogEntry, func(e LogEntry) string { return e.ID })
	if err != nil {
		return err
	}
	for i := range items {
		it := &items[i]
		switch it.Type {
		case ItemConversation:
			it.Conversation = ptrOf(convs[it.ID])
		case ItemChatHandoff:
			it.ChatHandoff = ptrOf(handoffs[it.ID])
		case ItemLog:
			it.Log = ptrOf(logs[it.ID])
		}
	}
	return nil
}

func ptrOf[T any](v T) *T { return &v }

// loadByID runs query (ids bound to $1) and maps the rows by key.
func loadByID[T any](ctx context.Context, tx pgx.Tx, ids []string, query string,
	scan func(interface{ Scan(...any) error }) (T, error), key func(T) string) (map[string]T, error) {
	out := map[string]T{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, query, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, err
	}
	for _, v := range list {
		out[key(v)] = v
	}
	return out, nil
}
