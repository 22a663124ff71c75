package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Session is a browser's signed-in session, as listed: never its secret.
type Session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"-"`
	UserAgent  string    `json:"user_agent"`
	CSRFToken  string    `json:"-"`
}

// sessionPrefix marks session secrets, as tokenPrefix marks API tokens.
const sessionPrefix = "tds_"

func randomSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

const maxUserAgent = 300

// CreateSession starts a session for userID ending at the latest after lifetime and
// returns it with its secret (the cookie's value), which only its hash is stored of.
func (s *Store) CreateSession(ctx context.Context, userID, userAgent string, lifetime time.Duration) (Session, string, error) {
	// Headers may carry any bytes; Postgres text takes valid UTF-8 without NUL only.
	userAgent = strings.ReplaceAll(strings.ToValidUTF8(userAgent, "\uFFFD"), "\x00", "")
	if r := []rune(userAgent); len(r) > maxUserAgent {
		userAgent = string(r[:maxUserAgent])
	}
	secret := randomSecret(sessionPrefix)
	ses := Session{UserID: userID, UserAgent: userAgent, CSRFToken: randomSecret("")}
	err := s.pool.QueryRow(ctx, `INSERT INTO sessions (user_id, token_hash, csrf_token, user_agent, expires_at)
		VALUES ($1, $2, $3, $4, now() + $5::interval) RETURNING id, created_at, last_used_at, expires_at`,
		userID, HashToken(secret), ses.CSRFToken, userAgent, lifetime).Scan(&ses.ID, &ses.CreatedAt, &ses.LastUsedAt, &ses.ExpiresAt)
	return ses, secret, err
}

// UserBySession finds the live session with this secret (not expired, used within
// idle, its user not disabled) and its user.
func (s *Store) UserBySession(ctx context.Context, secret string, idle time.Duration) (User, Session, error) {
	var u User
	var ses Session
	if len(secret) != len(sessionPrefix)+43 || secret[:len(sessionPrefix)] != sessionPrefix {
		return u, ses, notFound(pgx.ErrNoRows, "session")
	}
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.email, u.role,
			coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}'),
			s.id, s.created_at, s.last_used_at, s.expires_at, s.user_agent, s.csrf_token
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_used_at > now() - $2::interval
			AND u.disabled_at IS NULL`, HashToken(secret), idle).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.TeamIDs, &ses.ID, &ses.CreatedAt, &ses.LastUsedAt, &ses.ExpiresAt, &ses.UserAgent, &ses.CSRFToken)
	ses.UserID = u.ID
	return u, ses, notFound(err, "session")
}

// TouchSessions marks sessions used now, skipping those marked within the last
// minute: the idle timeout needs no finer clock, and most requests then write nothing.
func (s *Store) TouchSessions(ctx context.Context, ids []string) error {
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET last_used_at = now()
		WHERE id = ANY($1::uuid[]) AND last_used_at < now() - interval '1 minute'`, ids)
	return err
}

// Sessions lists a user's live sessions, most recently used first.
func (s *Store) Sessions(ctx context.Context, userID string, idle time.Duration) ([]Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, created_at, last_used_at, expires_at, user_agent FROM sessions
		WHERE user_id = $1 AND expires_at > now() AND last_used_at > now() - $2::interval
		ORDER BY last_used_at DESC, id`, userID, idle)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Session, error) {
		ses := Session{UserID: userID}
		err := row.Scan(&ses.ID, &ses.CreatedAt, &ses.LastUsedAt, &ses.ExpiresAt, &ses.UserAgent)
		return ses, err
	})
}

// DeleteSession ends one of userID's sessions; another user's, or none, is not found.
func (s *Store) DeleteSession(ctx context.Context, userID, id string) error {
	if !validUUID(id) {
		return conversation.Errorf(conversation.ENotFound, "session not found")
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if err == nil && tag.RowsAffected() == 0 {
		err = conversation.Errorf(conversation.ENotFound, "session not found among your sessions")
	}
	return err
}

// EndSessions ends every session of userID but keep (keep "" ends them all).
func (s *Store) EndSessions(ctx context.Context, userID, keep string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND ($2 = '' OR id::text <> $2)`, userID, keep)
	return err
}

// RevokeAllCredentials ends every session of a user and revokes every API token of
// theirs, in one transaction.
func (s *Store) RevokeAllCredentials(ctx context.Context, userID string) error {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
			return err
		}
		return auditIn(ctx, tx, "")
	})
}

// LiveCredentials returns which of these session and token ids still let their user
// in (same rules as UserBySession and UserByToken), in one query: open event streams
// are re-checked together with it, not one query each.
func (s *Store) LiveCredentials(ctx context.Context, sessionIDs, tokenIDs []string, idle time.Duration) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.id::text FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.id = ANY($1::uuid[]) AND s.expires_at > now() AND s.last_used_at > now() - $3::interval AND u.disabled_at IS NULL
		UNION ALL
		SELECT t.id::text FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.id = ANY($2::uuid[]) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
				AND u.disabled_at IS NULL`, sessionIDs, tokenIDs, idle)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	live := make(map[string]bool, len(ids))
	for _, id := range ids {
		live[id] = true
	}
	return live, err
}

// PruneAuth deletes what can no longer let anyone in: sessions past their lifetime,
// set-password links used or expired a day ago, and sign-in failures forgotten (an
// hour without any, not blocked). It returns how many rows went.
func (s *Store) PruneAuth(ctx context.Context) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM sessions WHERE expires_at < now()`,
		`DELETE FROM password_resets WHERE coalesce(used_at, expires_at) < now() - interval '1 day'`,
		`DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 hour' AND coalesce(blocked_until, now()) <= now()`,
		`DELETE FROM rate_counters WHERE window_start < now() - interval '1 hour'`,
	} {
		tag, err := s.pool.Exec(ctx, q)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
	}
	return total, nil
}
