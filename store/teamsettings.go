package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// TeamPatch changes a team's settings; nil fields stay as they are. The API validates
// values; the table's checks are the last line.
type TeamPatch struct {
	Name                      *string
	ChatOn                    *bool
	AgentsCanToggleChat       *bool
	AutoResponse              *string
	SetBusinessHours          bool // BusinessHours replaces the hours (nil: none, chat_on alone decides)
	BusinessHours             conversation.BusinessHours
	TimeZone                  *string
	OfferTimeoutSeconds       *int
	WrapUpTimeoutSeconds      *int
	Capacity                  *int
	InactivityDays            *int
	HelpText                  *string
	DefaultRegion             *string
	AutoResponseIntervalHours *int
	DefaultWrapUpReason       *string
	// AllowedCountries replaces the destination allowlist (empty: the default region);
	// SetDailySendQuota sets DailySendQuota (nil: the configured default).
	AllowedCountries  *[]string
	SetDailySendQuota bool
	DailySendQuota    *int
}

// Empty reports whether p changes nothing.
func (p TeamPatch) Empty() bool {
	return p.Name == nil && p.ChatOn == nil && p.AgentsCanToggleChat == nil && p.AutoResponse == nil && !p.SetBusinessHours && p.TimeZone == nil &&
		p.OfferTimeoutSeconds == nil && p.WrapUpTimeoutSeconds == nil && p.Capacity == nil && p.InactivityDays == nil &&
		p.HelpText == nil && p.DefaultRegion == nil && p.AutoResponseIntervalHours == nil && p.DefaultWrapUpReason == nil &&
		p.AllowedCountries == nil && !p.SetDailySendQuota
}

// SupervisorsMay reports whether p changes only what a team's supervisors may change.
func (p TeamPatch) SupervisorsMay() bool {
	q := p
	q.ChatOn, q.AutoResponse, q.AgentsCanToggleChat = nil, nil, nil
	return q.Empty()
}

// UpdateTeam applies p and returns the team afterwards.
func (s *Store) UpdateTeam(ctx context.Context, teamID string, p TeamPatch) (Team, error) {
	if !validUUID(teamID) {
		return Team{}, conversation.Errorf(conversation.ENotFound, "team not found")
	}
	args := []any{teamID}
	var sets []string
	set := func(column string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", column, len(args)))
	}
	for _, f := range []struct {
		column string
		value  any
		isSet  bool
	}{
		{"name", p.Name, p.Name != nil},
		{"chat_on", p.ChatOn, p.ChatOn != nil},
		{"agents_can_toggle_chat", p.AgentsCanToggleChat, p.AgentsCanToggleChat != nil},
		{"auto_response", p.AutoResponse, p.AutoResponse != nil},
		{"time_zone", p.TimeZone, p.TimeZone != nil},
		{"offer_timeout_seconds", p.OfferTimeoutSeconds, p.OfferTimeoutSeconds != nil},
		{"wrap_up_timeout_seconds", p.WrapUpTimeoutSeconds, p.WrapUpTimeoutSeconds != nil},
		{"capacity", p.Capacity, p.Capacity != nil},
		{"inactivity_days", p.InactivityDays, p.InactivityDays != nil},
		{"help_text", p.HelpText, p.HelpText != nil},
		{"default_region", p.DefaultRegion, p.DefaultRegion != nil},
		{"auto_response_interval_hours", p.AutoResponseIntervalHours, p.AutoResponseIntervalHours != nil},
		{"default_wrap_up_reason", p.DefaultWrapUpReason, p.DefaultWrapUpReason != nil},
	} {
		if f.isSet {
			set(f.column, f.value)
		}
	}
	if p.AllowedCountries != nil {
		if len(*p.AllowedCountries) == 0 {
			set("allowed_countries", nil)
		} else {
			set("allowed_countries", *p.AllowedCountries)
		}
	}
	if p.SetDailySendQuota {
		set("daily_send_quota", p.DailySendQuota)
	}
	if p.SetBusinessHours {
		if p.BusinessHours == nil {
			set("business_hours", nil) // SQL NULL, not the JSON null
		} else {
			set("business_hours", p.BusinessHours)
		}
	}
	sets = append(sets, "updated_at = now()")
	t, err := scanTeam(s.pool.QueryRow(ctx, `UPDATE teams t SET `+strings.Join(sets, ", ")+`
		WHERE t.id = $1 RETURNING `+teamColumns, args...))
	return t, notFound(err, "team")
}

// AddWrapUpReason appends a reason to the team's list (409 if it is there already).
func (s *Store) AddWrapUpReason(ctx context.Context, teamID, reason string) error {
	var added bool
	err := s.pool.QueryRow(ctx, `WITH added AS (
			INSERT INTO wrap_up_reasons (team_id, reason, position)
			SELECT $1, $2, coalesce(max(position) + 1, 0) FROM wrap_up_reasons WHERE team_id = $1
			ON CONFLICT (team_id, reason) DO NOTHING RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM added)`, teamID, reason).Scan(&added)
	if err != nil {
		return err
	}
	if !added {
		return conversation.Errorf(conversation.EConflict, "%q is already one of the team's wrap-up reasons", reason)
	}
	return nil
}

// DeleteWrapUpReason removes a reason from the team's list.
func (s *Store) DeleteWrapUpReason(ctx context.Context, teamID, reason string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM wrap_up_reasons WHERE team_id = $1 AND reason = $2`, teamID, reason)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "%q is not one of the team's wrap-up reasons", reason)
	}
	return err
}

// Template is a team's reply template; Body may hold {{variable}} placeholders.
type Template struct {
	ID        string    `json:"id"`
	TeamID    string    `json:"team_id"`
	Name      string    `json:"name"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const templateColumns = `id, team_id, name, body, created_at, updated_at`

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var t Template
	err := row.Scan(&t.ID, &t.TeamID, &t.Name, &t.Body, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

func templateError(err error, name string) error {
	if isUniqueViolation(err, "message_templates_team_name") {
		return conversation.Errorf(conversation.EConflict, "the team already has a template named %q", name)
	}
	return notFound(err, "template")
}

// Templates lists a team's templates by name.
func (s *Store) Templates(ctx context.Context, teamID string) ([]Template, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+templateColumns+` FROM message_templates WHERE team_id = $1 ORDER BY name, id`, teamID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
	if out == nil {
		out = []Template{}
	}
	return out, err
}

// Template loads one template of a team.
func (s *Store) Template(ctx context.Context, teamID, id string) (Template, error) {
	if !validUUID(id) {
		return Template{}, conversation.Errorf(conversation.ENotFound, "template not found")
	}
	t, err := scanTemplate(s.pool.QueryRow(ctx, `SELECT `+templateColumns+` FROM message_templates WHERE id = $1 AND team_id = $2`, id, teamID))
	return t, notFound(err, "template")
}

// CreateTemplate adds a template to a team (409 if the name is taken).
func (s *Store) CreateTemplate(ctx context.Context, teamID, name, body string) (Template, error) {
	t, err := scanTemplate(s.pool.QueryRow(ctx, `INSERT INTO message_templates (team_id, name, body) VALUES ($1, $2, $3)
		RETURNING `+templateColumns, teamID, name, body))
	return t, templateError(err, name)
}

// UpdateTemplate renames a template or replaces its body (nil: unchanged).
func (s *Store) UpdateTemplate(ctx context.Context, teamID, id string, name, body *string) (Template, error) {
	if !validUUID(id) {
		return Template{}, conversation.Errorf(conversation.ENotFound, "template not found")
	}
	t, err := scanTemplate(s.pool.QueryRow(ctx, `UPDATE message_templates SET name = coalesce($3, name),
			body = coalesce($4, body), updated_at = now()
		WHERE id = $1 AND team_id = $2 RETURNING `+templateColumns, id, teamID, name, body))
	var n string
	if name != nil {
		n = *name
	}
	return t, templateError(err, n)
}

// DeleteTemplate removes a template of a team.
func (s *Store) DeleteTemplate(ctx context.Context, teamID, id string) error {
	if !validUUID(id) {
		return conversation.Errorf(conversation.ENotFound, "template not found")
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM message_templates WHERE id = $1 AND team_id = $2`, id, teamID)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "template not found")
	}
	return err
}
