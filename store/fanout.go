package store

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Team-wide event kinds (issue 11): written by the store in the transaction that
// changes the state they report, so a committed change is never left untold.
const (
	NotifyConversationNew     NotifyKind = "conversation_new"      // arrived in New
	NotifyConversationLeftNew NotifyKind = "conversation_left_new" // left New (accepted, assigned, missed, closed)
	NotifyOfferTaken          NotifyKind = "offer_taken"           // an offer to you was taken by someone else
	NotifyInboxCounts         NotifyKind = "inbox_counts_changed"  // refetch GET /v1/me/inbox-counts
	NotifyPresenceChanged     NotifyKind = "presence_changed"      // data {user_id, state}
)

// eventRow is one agent_events row to write.
type eventRow struct {
	userID, teamID, conversationID string
	kind                           NotifyKind
	text                           string
	data                           map[string]any
}

// writeEvents inserts rows in one statement, ordered by user. The insert trigger takes
// a per-user lock held until commit (agent_events_in_commit_order); taking them in one
// order in every transaction keeps concurrent fan-outs from deadlocking.
//
// inbox_counts_changed rows coalesce: a new one deletes the user's previous one for the
// same team, delivered or not, so a busy team leaves at most one such row per member
// and a reconnecting client replays one, not hundreds. The per-user locks are taken
// first (in the same order) so that the delete and the insert see one another.
func writeEvents(ctx context.Context, tx pgx.Tx, rows []eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	slices.SortStableFunc(rows, func(a, b eventRow) int { return cmp.Compare(a.userID, b.userID) })
	n := len(rows)
	users, convs, teams, kinds, texts, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var countUsers, countTeams []string
	for i, r := range rows {
		users[i], convs[i], teams[i], kinds[i], texts[i] = r.userID, r.conversationID, r.teamID, string(r.kind), r.text
		if r.data != nil {
			raw, err := json.Marshal(r.data)
			if err != nil {
				return err
			}
			datas[i] = string(raw)
		}
		if r.kind == NotifyInboxCounts && r.teamID != "" {
			countUsers, countTeams = append(countUsers, r.userID), append(countTeams, r.teamID)
		}
	}
	if len(countUsers) > 0 {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1952540269, hashtext(u::text))
			FROM unnest($1::uuid[]) WITH ORDINALITY AS l (u, n) ORDER BY n`, slices.Compact(slices.Clone(users))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM agent_events e USING unnest($1::uuid[], $2::uuid[]) AS p (u, t)
			WHERE e.kind = 'inbox_counts_changed' AND e.user_id = p.u AND e.team_id = p.t`, countUsers, countTeams); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO agent_events (user_id, conversation_id, team_id, kind, text, data)
		SELECT e.u, nullif(e.c, '')::uuid, nullif(e.t, '')::uuid, e.k, e.x, nullif(e.d, '')::jsonb
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e (u, c, t, k, x, d, n)
		ORDER BY e.n`, users, convs, teams, kinds, texts, datas)
	return err
}

// teamAudience lists the members of teamID who may see a conversation restricted to
// visibleTo (empty: the whole team; admins always), ordered by id.
func teamAudience(ctx context.Context, tx pgx.Tx, teamID string, visibleTo []string) ([]string, error) {
	var ids []string
	err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(m.user_id::text ORDER BY m.user_id), '{}')
		FROM team_members m JOIN users u ON u.id = m.user_id
		WHERE m.team_id = $1 AND ($2::uuid[] = '{}' OR m.user_id = ANY ($2::uuid[]) OR u.role = 'admin')`,
		teamID, nonNil(visibleTo)).Scan(&ids)
	return ids, err
}

// toEach makes one row per user.
func toEach(users []string, r eventRow) []eventRow {
	out := make([]eventRow, 0, len(users))
	for _, u := range users {
		r.userID = u
		out = append(out, r)
	}
	return out
}
