package store

import (
	"context"
)

// Team is a group of agents sharing numbers and a chat switch.
type Team struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	ChatOn        bool     `json:"chat_on"`
	AutoResponse  string   `json:"auto_response"`
	DefaultRegion string   `json:"default_region"`
	Numbers       []string `json:"numbers"`
}

const teamColumns = `t.id, t.name, t.chat_on, t.auto_response, t.default_region,
	coalesce((SELECT array_agg(n.number ORDER BY n.number) FROM team_numbers n WHERE n.team_id = t.id), '{}')`

func scanTeam(row interface{ Scan(...any) error }) (Team, error) {
	var t Team
	err := row.Scan(&t.ID, &t.Name, &t.ChatOn, &t.AutoResponse, &t.DefaultRegion, &t.Numbers)
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
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	return t, notFound(err, "team")
}

// SetChat turns a team's chat on or off; a nil autoResponse leaves the text unchanged.
func (s *Store) SetChat(ctx context.Context, teamID string, on bool, autoResponse *string) (Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `UPDATE teams t SET chat_on = $2,
			auto_response = coalesce($3, t.auto_response), updated_at = now()
		WHERE t.id = $1 RETURNING `+teamColumns, teamID, on, autoResponse))
	return t, notFound(err, "team")
}

// CreateTeam inserts a team with its numbers (E.164) in one transaction.
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
			return Team{}, err
		}
	}
	t, err := scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	if err != nil {
		return Team{}, err
	}
	return t, tx.Commit(ctx)
}
