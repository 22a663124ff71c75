package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// TeamSettings is what one team decided about a shared contact (issue 13): the default
// visibility and assignees of the team's new conversations with it, whether the team
// blocks it, and its consent to texts from the team's numbers (Twilio's opt-out is per
// sender, and a team owns its senders).
type TeamSettings struct {
	TeamID           string     `json:"team_id"`
	OptedOut         bool       `json:"opted_out"`
	Blocked          bool       `json:"blocked"`
	ConsentChangedAt *time.Time `json:"consent_changed_at"`
	ConsentReason    *string    `json:"consent_reason"`
	DefaultVisibleTo []string   `json:"default_visible_to"`
	DefaultAssignees []string   `json:"default_assignees"`
}

const teamSettingsColumns = `cs.team_id::text, cs.opted_out, cs.blocked, cs.consent_changed_at, cs.consent_reason,
	cs.default_visible_to::text[], cs.default_assignees::text[]`

func scanTeamSettings(row interface{ Scan(...any) error }, extra ...any) (TeamSettings, error) {
	var t TeamSettings
	err := row.Scan(append([]any{&t.TeamID, &t.OptedOut, &t.Blocked, &t.ConsentChangedAt, &t.ConsentReason,
		&t.DefaultVisibleTo, &t.DefaultAssignees}, extra...)...)
	return t, err
}

// TeamSettingsOf is what teamID decided about the contact (the zero settings if
// nothing).
func (s *Store) TeamSettingsOf(ctx context.Context, contactID, teamID string) (TeamSettings, error) {
	t, err := scanTeamSettings(s.pool.QueryRow(ctx, `SELECT `+teamSettingsColumns+` FROM contact_team_settings cs
		WHERE cs.contact_id = $1 AND cs.team_id = $2`, contactID, teamID))
	if errors.Is(err, pgx.ErrNoRows) {
		return TeamSettings{TeamID: teamID, DefaultVisibleTo: []string{}, DefaultAssignees: []string{}}, nil
	}
	return t, err
}

// Reachability refuses (409) texting the contact from teamID when that team's settings
// say the contact opted out or is blocked. Other teams' settings are never mentioned.
func (t TeamSettings) Reachability(phone string) error {
	switch {
	case t.OptedOut:
		return conversation.Errorf(conversation.EConflict,
			"%s has opted out of texts from this team (STOP); they can text START to this team's number to opt back in", phone)
	case t.Blocked:
		return conversation.Errorf(conversation.EConflict, "%s is blocked by this team; unblock the contact to text them", phone)
	}
	return nil
}

// ContactFor loads a contact with the settings of teamIDs (all: every team's), as
// the caller with those teams may know them.
func (s *Store) ContactFor(ctx context.Context, id string, teamIDs []string, all bool) (Contact, error) {
	c, err := s.ContactByID(ctx, id)
	if err != nil {
		return c, err
	}
	one := []Contact{c}
	err = s.withTeamSettings(ctx, s.pool, one, teamIDs, all)
	return one[0], err
}

// withTeamSettings fills each contact's Teams (and their summary) with the settings of
// teamIDs (all: every team's), in one query.
func (s *Store) withTeamSettings(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, contacts []Contact, teamIDs []string, all bool) error {
	if len(contacts) == 0 || (!all && len(teamIDs) == 0) {
		return nil
	}
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = c.ID
	}
	rows, err := q.Query(ctx, `SELECT `+teamSettingsColumns+`, cs.contact_id::text FROM contact_team_settings cs
		WHERE cs.contact_id = ANY ($1::uuid[]) AND ($3 OR cs.team_id = ANY ($2::uuid[]))
		ORDER BY cs.contact_id, array_position($2::uuid[], cs.team_id), cs.team_id`, ids, teamIDs, all)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var contactID string
		t, err := scanTeamSettings(rows, &contactID)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(contacts, func(c Contact) bool { return c.ID == contactID }); i >= 0 {
			contacts[i].Teams = append(contacts[i].Teams, t)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range contacts {
		contacts[i].summarize()
	}
	return nil
}

// summarize sets the contact-level fields from Teams: opted out or blocked in any of
// them; the consent and lists of the first.
func (c *Contact) summarize() {
	for i, t := range c.Teams {
		c.OptedOut = c.OptedOut || t.OptedOut
		c.Blocked = c.Blocked || t.Blocked
		if i == 0 {
			c.ConsentChangedAt, c.ConsentReason = t.ConsentChangedAt, t.ConsentReason
			c.DefaultVisibleTo, c.DefaultAssignees = t.DefaultVisibleTo, t.DefaultAssignees
		}
	}
}

// TeamsOutside lists the teams the contact has talked to (a conversation, a chat
// handoff or a log entry) that are not among teamIDs: name and ref are shared by all of
// them, so a member of only some may not change them.
func (s *Store) TeamsOutside(ctx context.Context, contactID string, teamIDs []string) ([]string, error) {
	var teams []string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT t::text), '{}') FROM (
			SELECT team_id FROM conversations WHERE contact_id = $1 AND deleted_at IS NULL
			UNION SELECT team_id FROM chat_handoffs WHERE contact_id = $1
			UNION SELECT team_id FROM contact_log WHERE contact_id = $1) x (t)
		WHERE NOT (t = ANY ($2::uuid[]))`, contactID, teamIDs).Scan(&teams)
	return teams, err
}
