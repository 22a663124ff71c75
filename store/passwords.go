package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Login is what sign-in needs to know of the user with an email.
type Login struct {
	User
	PasswordHash string // "" when no password is set yet
	Disabled     bool
}

// LoginByEmail finds the user with this email, whatever its case.
func (s *Store) LoginByEmail(ctx context.Context, email string) (Login, error) {
	var l Login
	var hash *string
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.email, u.role,
			coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}'),
			u.password_hash, u.disabled_at IS NOT NULL
		FROM users u WHERE lower(u.email) = lower($1) ORDER BY u.email = $1 DESC LIMIT 1`, email).
		Scan(&l.ID, &l.Name, &l.Email, &l.Role, &l.TeamIDs, &hash, &l.Disabled)
	if hash != nil {
		l.PasswordHash = *hash
	}
	return l, notFound(err, "user")
}

// PasswordHash is a user's password hash ("" if none is set).
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var hash *string
	err := s.pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash)
	if hash == nil {
		return "", notFound(err, "user")
	}
	return *hash, notFound(err, "user")
}

// SetPassword stores a user's new password hash and ends their sessions but keep
// ("" ends them all), in one transaction.
func (s *Store) SetPassword(ctx context.Context, userID, hash, keep string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return setPassword(ctx, tx, userID, hash, keep)
	})
}

func setPassword(ctx context.Context, tx pgx.Tx, userID, hash, keep string) error {
	tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	if err == nil && tag.RowsAffected() == 0 {
		return conversation.Errorf(conversation.ENotFound, "user not found")
	}
	if err == nil {
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND ($2 = '' OR id::text <> $2)`, userID, keep)
	}
	return err
}

// resetPrefix marks set-password secrets.
const resetPrefix = "tdr_"

// CreatePasswordReset issues a one-time set-password secret for userID, valid for
// ttl, and returns it (only its hash is stored) with its expiry.
func (s *Store) CreatePasswordReset(ctx context.Context, userID string, ttl time.Duration) (string, time.Time, error) {
	if !validUUID(userID) {
		return "", time.Time{}, conversation.Errorf(conversation.ENotFound, "user not found")
	}
	return createPasswordReset(ctx, s.pool, userID, ttl)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func createPasswordReset(ctx context.Context, q querier, userID string, ttl time.Duration) (string, time.Time, error) {
	secret := randomSecret(resetPrefix)
	var expires time.Time
	err := q.QueryRow(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at)
		SELECT $1, id, now() + $3::interval FROM users WHERE id = $2 RETURNING expires_at`,
		HashToken(secret), userID, ttl).Scan(&expires)
	return secret, expires, notFound(err, "user")
}

// PasswordReset is the user a usable (unused, unexpired) set-password secret is for.
func (s *Store) PasswordReset(ctx context.Context, secret string) (User, time.Time, error) {
	var expires time.Time
	var userID string
	err := s.pool.QueryRow(ctx, `SELECT user_id, expires_at FROM password_resets
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`, HashToken(secret)).Scan(&userID, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, expires, errResetUnusable
	}
	if err != nil {
		return User{}, expires, err
	}
	u, err := s.UserByID(ctx, userID)
	return u, expires, err
}

var errResetUnusable = conversation.Errorf(conversation.ENotFound,
	"this set-password link is unknown, used already or expired; ask an admin for a new one")

// UsePasswordReset spends a set-password secret: it sets the user's password and ends
// all their sessions, in one transaction. A secret used, expired or unknown is not
// found (two concurrent uses: one wins).
func (s *Store) UsePasswordReset(ctx context.Context, secret, hash string) (User, error) {
	var userID string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE password_resets SET used_at = now()
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`, HashToken(secret)).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errResetUnusable
		}
		if err != nil {
			return err
		}
		return setPassword(ctx, tx, userID, hash, "")
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}
