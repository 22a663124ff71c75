package store

import (
	"context"
	"time"
)

// Throttle rules: a key (an account or a client address) may fail Free times in a
// row; each further failure blocks it for Base, doubled at each one, at most Max. A
// key's count starts over after Forget without failures, and an account's at a
// successful sign-in. The state is in Postgres so that every api replica sees it.
type Throttle struct {
	Free      int
	Base, Max time.Duration
	Forget    time.Duration
}

// Blocked returns how long the first of keys that is blocked stays blocked (0: none).
func (s *Store) Blocked(ctx context.Context, keys ...string) (time.Duration, error) {
	var secs float64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0)
		FROM login_throttle WHERE key = ANY($1) AND blocked_until > now()`, keys).Scan(&secs)
	return time.Duration(secs * float64(time.Second)), err
}

// Delay is how long a key is blocked after its nth failure in a row.
func (t Throttle) Delay(n int) time.Duration {
	if n <= t.Free {
		return 0
	}
	d := t.Base
	for i := t.Free + 1; i < n && d < t.Max; i++ {
		d *= 2
	}
	return min(d, t.Max)
}

// Failed counts a failure against key and blocks it for t.Delay(failures in a row).
func (s *Store) Failed(ctx context.Context, key string, t Throttle) error {
	var n int
	err := s.pool.QueryRow(ctx, `INSERT INTO login_throttle AS l (key, failures, last_failure_at) VALUES ($1, 1, now())
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN l.last_failure_at < now() - $2::interval THEN 1 ELSE l.failures + 1 END,
			last_failure_at = now()
		RETURNING failures`, key, t.Forget).Scan(&n)
	if err != nil {
		return err
	}
	if d := t.Delay(n); d > 0 {
		_, err = s.pool.Exec(ctx, `UPDATE login_throttle SET blocked_until = greatest(blocked_until, now() + $2::interval)
			WHERE key = $1`, key, d)
	}
	return err
}

// Succeeded forgets key's failures.
func (s *Store) Succeeded(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}
