package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Inboxes: the views of a team's conversations an agent works from.
const (
	InboxNew      = "new"      // waiting for an agent, chat open
	InboxMissed   = "missed"   // arrived while chat was off or outside business hours
	InboxMine     = "mine"     // in progress, the caller among the assignees
	InboxTeam     = "team"     // in progress, anyone's
	InboxOther    = "other"    // in progress, assigned to others and not the caller
	InboxArchived = "archived" // closed
)

// Inboxes lists the inbox names in the order the API documents them.
var Inboxes = []string{InboxNew, InboxMissed, InboxMine, InboxTeam, InboxOther, InboxArchived}

// actionRank orders in-progress conversations: waiting for an agent, then for the
// customer, then neither (wrap-up). It must match the expression of the index
// conversations_team_in_progress (migration 00005).
const actionRank = `(CASE c.next_action WHEN 'agent' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END)`

// InboxQuery selects one inbox of the viewer's teams.
type InboxQuery struct {
	Inbox  string
	Viewer Viewer
	Cursor string
	Limit  int
}

// inboxPosition is a keyset position: (rank, time, id) for the in-progress inboxes,
// (time, id) for the others.
type inboxPosition struct {
	set  bool
	rank int
	at   time.Time
	id   string
}

func encodeInboxCursor(inbox string, rank int, at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(inbox + "|" + strconv.Itoa(rank) + "|" + at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeInboxCursor(inbox, cursor string) (inboxPosition, error) {
	if cursor == "" {
		return inboxPosition{id: uuid.Nil.String()}, nil
	}
	bad := conversation.Errorf(conversation.EInvalid, "cursor is not valid for the %s list; pass back the next_cursor of a previous page of it", inbox)
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return inboxPosition{}, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != inbox || uuid.Validate(parts[3]) != nil {
		return inboxPosition{}, bad
	}
	rank, err := strconv.Atoi(parts[1])
	if err != nil || rank < 0 || rank > 2 {
		return inboxPosition{}, bad
	}
	at, err := time.Parse(time.RFC3339Nano, parts[2])
	if err != nil {
		return inboxPosition{}, bad
	}
	return inboxPosition{set: true, rank: rank, at: at, id: parts[3]}, nil
}

// ListInbox lists one inbox, keyset-paginated so that pages neither repeat nor skip a
// conversation that stays where it was. New, missed and other are newest first (by
// opening), archived most recently closed first; mine and team put the conversations
// waiting longest for an agent first, then those waiting longest for the customer,
// then those in wrap-up.
func (s *Store) ListInbox(ctx context.Context, q InboxQuery) (ConversationPage, error) {
	page := ConversationPage{Conversations: []Conversation{}}
	pos, err := decodeInboxCursor(q.Inbox, q.Cursor)
	if err != nil {
		return page, err
	}
	l := teamList{viewer: q.Viewer, limit: q.Limit}
	where, err := inboxWhere(q.Inbox, &l)
	if err != nil {
		return page, err
	}
	l.where = where
	// timeCol is the time the list is ordered by; byAction orders by actionRank first.
	timeCol, desc, byAction := "c.opened_at", true, false
	switch q.Inbox {
	case InboxArchived:
		timeCol = "c.closed_at"
	case InboxMine, InboxTeam:
		timeCol, desc, byAction = "c.next_action_since", false, true
	}
	cmp := "<"
	l.order = timeCol + " DESC, c.id DESC"
	if !desc {
		cmp, l.order = ">", timeCol+", c.id"
	}
	if byAction {
		l.order = actionRank + ", " + l.order
	}
	if pos.set {
		if byAction {
			l.where = append(l.where, `(`+actionRank+`, `+timeCol+`, c.id) `+cmp+` (`+l.arg(pos.rank)+`::int, `+l.arg(pos.at)+`::timestamptz, `+l.arg(pos.id)+`::uuid)`)
		} else {
			l.where = append(l.where, `(`+timeCol+`, c.id) `+cmp+` (`+l.arg(pos.at)+`::timestamptz, `+l.arg(pos.id)+`::uuid)`)
		}
	}
	convs, more, err := s.listTeams(ctx, l)
	if err != nil {
		return page, err
	}
	page.Conversations = convs
	if more {
		last := convs[len(convs)-1]
		rank, at := 0, last.OpenedAt
		switch {
		case byAction:
			rank, at = actionRankOf(last.NextAction), last.NextActionSince
		case q.Inbox == InboxArchived && last.ClosedAt != nil:
			at = *last.ClosedAt
		}
		page.NextCursor = encodeInboxCursor(q.Inbox, rank, at, last.ID)
	}
	return page, nil
}

// inboxWhere is the definition of an inbox: its conditions on conversation c (besides
// the team, visibility and not deleted, which listTeams adds), with their arguments
// added to l. The lists and the counts (InboxCounts) both use it.
func inboxWhere(inbox string, l *teamList) ([]string, error) {
	assigned := func(user string) string {
		cond := `EXISTS (SELECT 1 FROM conversation_assignees a WHERE a.conversation_id = c.id AND a.role <> 'offered'`
		if user != "" {
			cond += ` AND a.user_id = ` + user + `::uuid`
		}
		return cond + `)`
	}
	const inProgress = `c.status IN ('active', 'wrap_up')`
	switch inbox {
	case InboxNew:
		return []string{`c.status = 'new'`}, nil
	case InboxMissed:
		return []string{`c.status = 'missed'`}, nil
	case InboxArchived:
		return []string{`c.status = 'closed'`}, nil
	case InboxMine:
		return []string{inProgress, assigned(l.arg(l.viewer.UserID))}, nil
	case InboxTeam:
		return []string{inProgress}, nil
	case InboxOther:
		return []string{inProgress, `NOT ` + assigned(l.arg(l.viewer.UserID)), assigned("")}, nil
	}
	return nil, conversation.Errorf(conversation.EInvalid, "inbox must be one of %s", strings.Join(Inboxes, ", "))
}

// teamList is one keyset-ordered list of the viewer's teams' conversations that the
// viewer may see: conditions on c (besides the team, visibility and not deleted) and
// the order, which an index of each team's conversations must provide for the list to
// be fast.
type teamList struct {
	viewer Viewer
	where  []string
	order  string
	limit  int
	args   []any // $1 is the team list; arg adds the others
}

func (l *teamList) arg(v any) string {
	if l.args == nil {
		l.args = []any{nil}
	}
	l.args = append(l.args, v)
	return fmt.Sprintf("$%d", len(l.args))
}

// listTeams runs a teamList: a page of each team's conversations, read in order from
// its index (a lateral subquery per team: "team_id = ANY(...)" would read every
// matching conversation of the teams and sort them), merged into one page. more says
// whether there is a next page.
func (s *Store) listTeams(ctx context.Context, l teamList) (convs []Conversation, more bool, err error) {
	teams := slices.Clone(l.viewer.TeamIDs)
	slices.Sort(teams)
	teams = slices.Compact(teams)
	limit := l.arg(l.limit + 1)
	l.args[0] = teams
	visible := conversationVisibleSQL("c", l.arg(l.viewer.UserID), l.arg(l.viewer.Admin))
	where := append([]string{`c.team_id = tm.team_id`, `c.deleted_at IS NULL`, visible}, l.where...)
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+`
		FROM unnest($1::uuid[]) AS tm (team_id)
		CROSS JOIN LATERAL (SELECT c.* FROM conversations c WHERE `+strings.Join(where, " AND ")+`
			ORDER BY `+l.order+` LIMIT `+limit+`) c
		JOIN contacts ct ON ct.id = c.contact_id
		ORDER BY `+l.order+`
		LIMIT `+limit, l.args...)
	if err != nil {
		return nil, false, err
	}
	convs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) { return scanConversation(r) })
	if err != nil {
		return nil, false, err
	}
	if len(convs) > l.limit {
		return convs[:l.limit], true, nil
	}
	if convs == nil {
		convs = []Conversation{}
	}
	return convs, false, nil
}

// actionRankOf is actionRank in Go.
func actionRankOf(nextAction string) int {
	switch nextAction {
	case string(conversation.ActorAgent):
		return 0
	case string(conversation.ActorCustomer):
		return 1
	}
	return 2
}
