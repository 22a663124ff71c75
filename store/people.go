package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Member is a team member as a transfer picker or a supervisor's board shows them.
type Member struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Email    string         `json:"email"`
	Role     string         `json:"role"` // team role: agent or supervisor
	Presence MemberPresence `json:"presence"`
	// OpenConversations counts what takes their capacity: conversations not closed
	// they own, are conferenced on or have a pending offer of (as routing counts).
	OpenConversations int `json:"open_conversations"`
	Capacity          int `json:"capacity"` // the team's per-agent capacity
}

// MemberPresence is a member's presence and since when (null: never set).
type MemberPresence struct {
	State string     `json:"state"`
	Since *time.Time `json:"since"`
}

// TeamMembers lists a team's members by name.
func (s *Store) TeamMembers(ctx context.Context, teamID string) ([]Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.name, u.email, m.role,
			coalesce(p.state, 'offline'), p.changed_at,
			(SELECT count(*) FROM conversation_assignees a JOIN conversations c ON c.id = a.conversation_id
				WHERE a.user_id = u.id AND c.status <> 'closed'),
			t.capacity
		FROM team_members m JOIN users u ON u.id = m.user_id JOIN teams t ON t.id = m.team_id
		LEFT JOIN agent_presence p ON p.user_id = u.id
		WHERE m.team_id = $1
		ORDER BY u.name, u.id`, teamID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		return m, r.Scan(&m.ID, &m.Name, &m.Email, &m.Role, &m.Presence.State, &m.Presence.Since, &m.OpenConversations, &m.Capacity)
	})
	if out == nil {
		out = []Member{}
	}
	return out, err
}
