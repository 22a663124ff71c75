package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Team-scoped roles (team_members.role). Admins are global (users.role) and act as
// supervisors of every team.
const (
	TeamRoleAgent      = "agent"
	TeamRoleSupervisor = "supervisor"
)

// TeamRef is a team the user works in and their role there.
type TeamRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// UserTeams lists the user's teams by name with their role; an admin gets every team,
// as a supervisor.
func (s *Store) UserTeams(ctx context.Context, u User) ([]TeamRef, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.name,
			CASE WHEN $2 THEN 'supervisor' ELSE m.role END
		FROM teams t LEFT JOIN team_members m ON m.team_id = t.id AND m.user_id = $1
		WHERE $2 OR m.user_id IS NOT NULL
		ORDER BY t.name, t.id`, u.ID, u.Role == RoleAdmin)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TeamRef, error) {
		var t TeamRef
		return t, r.Scan(&t.ID, &t.Name, &t.Role)
	})
	if out == nil {
		out = []TeamRef{}
	}
	return out, err
}

// TeamRole is the user's role in a team: "" when not a member.
func (s *Store) TeamRole(ctx context.Context, teamID, userID string) (string, error) {
	if !validUUID(teamID) || !validUUID(userID) {
		return "", nil
	}
	var role string
	err := s.pool.QueryRow(ctx, `SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return role, err
}

// AllTeamIDs lists every team's id: what an admin sees.
func (s *Store) AllTeamIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM teams`).Scan(&ids)
	return ids, err
}

// PutTeamMember puts a user in a team with role ("" keeps the role of a member, and
// makes a new member an agent).
func (s *Store) PutTeamMember(ctx context.Context, teamID, userID, role string) error {
	if role != "" && role != TeamRoleAgent && role != TeamRoleSupervisor {
		return conversation.Errorf(conversation.EInvalid, `role must be "agent" or "supervisor"`)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, coalesce(nullif($3, ''), 'agent'))
		ON CONFLICT (team_id, user_id) DO UPDATE SET role = coalesce(nullif($3, ''), team_members.role)`, teamID, userID, role)
	return err
}
