package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Token is an API token as listed: never its secret, which only its hash is stored of.
type Token struct {
	ID        string     `json:"id"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// ExpiresAt: refused from then on (nil: never). LastUsedAt: to the minute (nil:
	// never used).
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

const tokenColumns = `id, label, created_at, revoked_at, expires_at, last_used_at` //nolint:gosec // G101: column names, not a credential

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	err := row.Scan(&t.ID, &t.Label, &t.CreatedAt, &t.RevokedAt, &t.ExpiresAt, &t.LastUsedAt)
	return t, err
}

// UserByID loads one user with their teams.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	if !validUUID(id) {
		return User{}, conversation.Errorf(conversation.ENotFound, "user not found")
	}
	var u User
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.email, u.role,
			coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}')
		FROM users u WHERE u.id = $1`, id).Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.TeamIDs)
	return u, notFound(err, "user")
}

// CreateUser inserts a user in teamIDs, in one transaction. An email already in use
// is a conflict; an unknown team is invalid (it names the team).
func (s *Store) CreateUser(ctx context.Context, name, email, role string, teamIDs []string) (User, error) {
	var id string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = createUser(ctx, tx, name, email, role, teamIDs)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id)
}

func createUser(ctx context.Context, tx pgx.Tx, name, email, role string, teamIDs []string) (string, error) {
	for _, id := range teamIDs {
		if !validUUID(id) {
			return "", conversation.Errorf(conversation.EInvalid, "team_ids: %q is not a team id (a UUID)", id)
		}
	}
	var id string
	err := tx.QueryRow(ctx, `INSERT INTO users (name, email, role) VALUES ($1, $2, $3) RETURNING id`, name, email, role).Scan(&id)
	if isUniqueViolation(err, "users_email_key") {
		return "", conversation.Errorf(conversation.EConflict, "a user with email %q exists already", email)
	}
	if err != nil {
		return "", err
	}
	var known []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id::text), '{}') FROM teams WHERE id = ANY($1::uuid[])`, teamIDs).Scan(&known); err != nil {
		return "", err
	}
	for _, t := range teamIDs {
		if !slices.Contains(known, t) {
			return "", conversation.Errorf(conversation.EInvalid, "team_ids: team %s does not exist", t)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, t, id); err != nil {
			return "", err
		}
	}
	return id, nil
}

// RemoveTeamMember takes a user out of a team; not a member is not found.
func (s *Store) RemoveTeamMember(ctx context.Context, teamID, userID string) error {
	if !validUUID(teamID) || !validUUID(userID) {
		return conversation.Errorf(conversation.ENotFound, "the user is not a member of the team")
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "the user is not a member of the team")
	}
	return err
}

// ClaimTeamNumber gives an E.164 number to a team; a number a team owns already (this
// one or another) is a conflict. Unlike AddTeamNumber, which webhooks call for numbers
// joining a Messaging Service's pool, it never passes a conflict over in silence.
func (s *Store) ClaimTeamNumber(ctx context.Context, teamID, number string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO team_numbers (number, team_id) VALUES ($1, $2)`, number, teamID)
	if isUniqueViolation(err, "team_numbers_pkey") {
		var owner string
		if s.pool.QueryRow(ctx, `SELECT team_id::text FROM team_numbers WHERE number = $1`, number).Scan(&owner) == nil && owner == teamID {
			return conversation.Errorf(conversation.EConflict, "number %s is one of this team's numbers already", number)
		}
	}
	return numberConflict(err, number)
}

func numberConflict(err error, number string) error {
	if isUniqueViolation(err, "team_numbers_pkey") {
		return conversation.Errorf(conversation.EConflict, "number %s already belongs to another team", number)
	}
	return err
}

// RemoveTeamNumber takes a number from a team; a number the team does not own is not
// found.
func (s *Store) RemoveTeamNumber(ctx context.Context, teamID, number string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM team_numbers WHERE team_id = $1 AND number = $2`, teamID, number)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "number %s is not one of the team's numbers", number)
	}
	return err
}

// IssueToken creates a token for userID, valid until expires (nil: until revoked),
// and returns it with its secret, which is not stored (only its hash is) and cannot be
// shown again.
func (s *Store) IssueToken(ctx context.Context, userID, label string, expires *time.Time) (Token, string, error) {
	if !validUUID(userID) {
		return Token{}, "", conversation.Errorf(conversation.ENotFound, "user not found")
	}
	secret := NewToken()
	var t Token
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, token_hash, label, expires_at)
			SELECT id, $2, $3, $4 FROM users WHERE id = $1 RETURNING `+tokenColumns,
			userID, HashToken(secret), label, expires))
		if err != nil {
			return err
		}
		return auditIn(ctx, tx, t.ID)
	})
	return t, secret, notFound(err, "user")
}

// Tokens lists a user's tokens, oldest first, revoked ones included.
func (s *Store) Tokens(ctx context.Context, userID string) ([]Token, error) {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) { return scanToken(row) })
	if tokens == nil {
		tokens = []Token{}
	}
	return tokens, err
}

// RevokeToken revokes a user's token at once (revoking it again changes nothing).
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID string) error {
	if !validUUID(userID) || !validUUID(tokenID) {
		return conversation.Errorf(conversation.ENotFound, "token not found")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
			WHERE id = $1 AND user_id = $2 RETURNING id`, tokenID, userID).Scan(&id); err != nil {
			return err
		}
		return auditIn(ctx, tx, "")
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return conversation.Errorf(conversation.ENotFound, "token not found among the user's tokens")
	}
	return err
}
