package store

import (
	"context"
	"time"

	"github.com/textdesk/textdesk/conversation"
)

// Team is a group of agents sharing numbers, a chat switch and routing rules.
type Team struct {
	ID                        string                     `json:"id"`
	Name                      string                     `json:"name"`
	ChatOn                    bool                       `json:"chat_on"`
	AgentsCanToggleChat       bool                       `json:"agents_can_toggle_chat"`
	AutoResponse              string                     `json:"auto_response"`
	DefaultRegion             string                     `json:"default_region"`
	Numbers                   []string                   `json:"numbers"`
	OfferTimeoutSeconds       int                        `json:"offer_timeout_seconds"`
	WrapUpTimeoutSeconds      int                        `json:"wrap_up_timeout_seconds"`
	InactivityDays            int                        `json:"inactivity_days"`
	Capacity                  int                        `json:"capacity"`
	AutoResponseIntervalHours int                        `json:"auto_response_interval_hours"`
	DefaultWrapUpReason       string                     `json:"default_wrap_up_reason"`
	BusinessHours             conversation.BusinessHours `json:"business_hours"`
	TimeZone                  string                     `json:"time_zone"`
	HelpText                  string                     `json:"help_text"`
	WrapUpReasons             []string                   `json:"wrap_up_reasons"`
	// AllowedCountries: ISO regions the team may text (empty: its default region);
	// DailySendQuota: messages per UTC day (null: the configured default).
	AllowedCountries []string `json:"allowed_countries"`
	DailySendQuota   *int     `json:"daily_send_quota"`
}

// Settings are the team's rules as the conversation state machine takes them.
func (t Team) Settings() conversation.Settings {
	return conversation.Settings{
		OfferTimeout:         time.Duration(t.OfferTimeoutSeconds) * time.Second,
		WrapUpTimeout:        time.Duration(t.WrapUpTimeoutSeconds) * time.Second,
		InactivityWindow:     time.Duration(t.InactivityDays) * 24 * time.Hour,
		AutoResponseInterval: time.Duration(t.AutoResponseIntervalHours) * time.Hour,
		DefaultWrapUpReason:  t.DefaultWrapUpReason,
	}.WithDefaults()
}

// ChatOpen reports whether the team takes conversations at instant at: its switch is
// on and, if it has business hours, at falls inside them in its time zone.
func (t Team) ChatOpen(at time.Time) bool {
	if !t.ChatOn {
		return false
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC // the API validates zones; an unknown one never closes chat by surprise
	}
	return t.BusinessHours.Open(at, loc)
}

const teamColumns = `t.id, t.name, t.chat_on, t.agents_can_toggle_chat, t.auto_response, t.default_region,
	coalesce((SELECT array_agg(n.number ORDER BY n.number) FROM team_numbers n WHERE n.team_id = t.id), '{}'),
	t.offer_timeout_seconds, t.wrap_up_timeout_seconds, t.inactivity_days, t.capacity,
	t.auto_response_interval_hours, t.default_wrap_up_reason, t.business_hours, t.time_zone, t.help_text,
	coalesce((SELECT array_agg(r.reason ORDER BY r.position, r.reason) FROM wrap_up_reasons r WHERE r.team_id = t.id), '{}'),
	coalesce(t.allowed_countries, '{}'), t.daily_send_quota`

func scanTeam(row interface{ Scan(...any) error }) (Team, error) {
	var t Team
	err := row.Scan(&t.ID, &t.Name, &t.ChatOn, &t.AgentsCanToggleChat, &t.AutoResponse, &t.DefaultRegion, &t.Numbers,
		&t.OfferTimeoutSeconds, &t.WrapUpTimeoutSeconds, &t.InactivityDays, &t.Capacity,
		&t.AutoResponseIntervalHours, &t.DefaultWrapUpReason, &t.BusinessHours, &t.TimeZone, &t.HelpText,
		&t.WrapUpReasons, &t.AllowedCountries, &t.DailySendQuota)
	return t, err
}

// TeamByNumber finds the team that owns an E.164 number.
func (s *Store) TeamByNumber(ctx context.Context, number string) (Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+`
		FROM teams t JOIN team_numbers tn ON tn.team_id = t.id WHERE tn.number = $1`, number))
	return t, notFound(err, "team for number")
}

// Team loads one team.
func (s *Store) Team(ctx context.Context, id string) (Team, error) {
	if !validUUID(id) {
		return Team{}, conversation.Errorf(conversation.ENotFound, "team not found")
	}
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	return t, notFound(err, "team")
}

// SetChat turns a team's chat on or off; a nil autoResponse leaves the text unchanged.
func (s *Store) SetChat(ctx context.Context, teamID string, on bool, autoResponse *string) (Team, error) {
	if !validUUID(teamID) {
		return Team{}, conversation.Errorf(conversation.ENotFound, "team not found")
	}
	t, err := scanTeam(s.pool.QueryRow(ctx, `UPDATE teams t SET chat_on = $2,
			auto_response = coalesce($3, t.auto_response), updated_at = now()
		WHERE t.id = $1 RETURNING `+teamColumns, teamID, on, autoResponse))
	return t, notFound(err, "team")
}

// TeamRules are the routing settings tests and admins change directly.
type TeamRules struct {
	OfferTimeoutSeconds  int
	WrapUpTimeoutSeconds int
	Capacity             int
	WrapUpReasons        []string
}

// SetTeamRules updates routing rules and replaces the wrap-up reasons (zero values
// leave a setting unchanged; nil reasons leave the list unchanged).
func (s *Store) SetTeamRules(ctx context.Context, teamID string, r TeamRules) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE teams SET
			offer_timeout_seconds = coalesce(nullif($2, 0), offer_timeout_seconds),
			wrap_up_timeout_seconds = coalesce(nullif($3, 0), wrap_up_timeout_seconds),
			capacity = coalesce(nullif($4, 0), capacity), updated_at = now()
		WHERE id = $1`, teamID, r.OfferTimeoutSeconds, r.WrapUpTimeoutSeconds, r.Capacity); err != nil {
		return err
	}
	if r.WrapUpReasons != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM wrap_up_reasons WHERE team_id = $1`, teamID); err != nil {
			return err
		}
		for i, reason := range r.WrapUpReasons {
			if _, err := tx.Exec(ctx, `INSERT INTO wrap_up_reasons (team_id, reason, position) VALUES ($1, $2, $3)`, teamID, reason, i); err != nil {
				return err
			}
		}
	}
	return tx.Commit(ctx)
}

// CreateTeam inserts a team with its numbers (E.164) in one transaction; a number a
// team owns already is a conflict.
func (s *Store) CreateTeam(ctx context.Context, name string, chatOn bool, autoResponse string, numbers []string) (Team, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Team{}, err
	}
	defer tx.Rollback(ctx)
	var id string
	if err := tx.QueryRow(ctx, `INSERT INTO teams (name, chat_on, auto_response) VALUES ($1, $2, $3) RETURNING id`,
		name, chatOn, autoResponse).Scan(&id); err != nil {
		return Team{}, err
	}
	for _, n := range numbers {
		if _, err := tx.Exec(ctx, `INSERT INTO team_numbers (number, team_id) VALUES ($1, $2)`, n, id); err != nil {
			return Team{}, numberConflict(err, n)
		}
	}
	t, err := scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	if err != nil {
		return Team{}, err
	}
	return t, tx.Commit(ctx)
}
