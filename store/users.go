package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Roles.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// User is an agent or admin with the teams they belong to.
type User struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Role    string   `json:"role"`
	TeamIDs []string `json:"team_ids"`
}

// tokenPrefix makes textdesk tokens recognisable to people and secret scanners.
const tokenPrefix = "tdk_"

// NewToken returns a fresh random API token.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how tokens are stored. Tokens carry 256 random bits, so a fast hash is
// enough: there is nothing to brute-force that a slow hash would protect.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// UserByToken finds the user owning an unrevoked token.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	u, _, err := s.AuthByToken(ctx, token)
	return u, err
}

// AuthByToken finds the user owning a live token (not revoked, not expired, its
// user not disabled), and the token's id. It marks the token used, at most once a
// minute, in the same round trip: most requests write nothing.
func (s *Store) AuthByToken(ctx context.Context, token string) (User, string, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return User{}, "", notFound(pgx.ErrNoRows, "token")
	}
	var u User
	var id string
	err := s.pool.QueryRow(ctx, `WITH t AS (
			SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
				AND u.disabled_at IS NULL
		), touched AS (
			UPDATE api_tokens a SET last_used_at = now() FROM t
			WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
		)
		SELECT u.id, u.name, u.email, u.role,
			coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}'),
			t.id
		FROM t JOIN users u ON u.id = t.user_id`, HashToken(token)).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.TeamIDs, &id)
	return u, id, notFound(err, "token")
}

// UpsertUser creates a user or updates the name and role of the one with that email.
func (s *Store) UpsertUser(ctx context.Context, name, email, role string) (User, error) {
	u := User{Name: name, Email: email, Role: role}
	err := s.pool.QueryRow(ctx, `INSERT INTO users (name, email, role) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role RETURNING id`,
		name, email, role).Scan(&u.ID)
	return u, err
}

// AddTeamMember puts a user in a team (no-op if already there).
func (s *Store) AddTeamMember(ctx context.Context, teamID, userID string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, teamID, userID)
	return err
}

// AddToken stores the hash of token for userID (no-op if that token is already stored).
func (s *Store) AddToken(ctx context.Context, userID, token, label string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3)
		ON CONFLICT (token_hash) DO NOTHING`, userID, HashToken(token), label)
	return err
}

// TeamMemberIDs lists the ids of a team's members.
func (s *Store) TeamMemberIDs(ctx context.Context, teamID string) ([]string, error) {
	var ids []string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(user_id::text), '{}') FROM team_members WHERE team_id = $1`, teamID).Scan(&ids)
	return ids, err
}
