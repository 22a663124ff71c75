package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// Account is a user as admins list them: with whether they are disabled.
type Account struct {
	User
	Disabled bool `json:"disabled"`
}

const accountColumns = `u.id, u.name, u.email, u.role,
	coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m WHERE m.user_id = u.id), '{}'),
	u.disabled_at IS NOT NULL`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	err := row.Scan(&a.ID, &a.Name, &a.Email, &a.Role, &a.TeamIDs, &a.Disabled)
	return a, err
}

// Accounts lists every user by name.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM users u ORDER BY lower(u.name), u.email`)
	if err != nil {
		return nil, err
	}
	accounts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Account, error) { return scanAccount(row) })
	if accounts == nil {
		accounts = []Account{}
	}
	return accounts, err
}

// AccountByID loads one user as admins see them.
func (s *Store) AccountByID(ctx context.Context, id string) (Account, error) {
	if !validUUID(id) {
		return Account{}, conversation.Errorf(conversation.ENotFound, "user not found")
	}
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users u WHERE u.id = $1`, id))
	return a, notFound(err, "user")
}

// SetDisabled disables a user (ending their sessions: enabling them again does not
// bring those back; their API tokens work again) or enables them.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) (Account, error) {
	if _, err := s.AccountByID(ctx, id); err != nil {
		return Account{}, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := auditIn(ctx, tx, ""); err != nil {
			return err
		}
		if !disabled {
			_, err := tx.Exec(ctx, `UPDATE users SET disabled_at = NULL WHERE id = $1`, id)
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		return err
	})
	if err != nil {
		return Account{}, err
	}
	return s.AccountByID(ctx, id)
}

// InviteUser creates a user (as CreateUser) with a one-time set-password secret valid
// for ttl, in one transaction; it returns the secret and its expiry.
func (s *Store) InviteUser(ctx context.Context, name, email, role string, teamIDs []string, ttl time.Duration) (User, string, time.Time, error) {
	var secret string
	var expires time.Time
	var id string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if id, err = createUser(ctx, tx, name, email, role, teamIDs); err != nil {
			return err
		}
		if secret, expires, err = createPasswordReset(ctx, tx, id, ttl); err != nil {
			return err
		}
		return auditIn(ctx, tx, id)
	})
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	u, err := s.UserByID(ctx, id)
	return u, secret, expires, err
}
