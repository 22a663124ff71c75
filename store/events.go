package store

import (
	"context"
	"time"
)

// LastAgentEventID is the id of the user's newest event (0 if none): a stream that
// starts now resumes after it.
func (s *Store) LastAgentEventID(ctx context.Context, userID string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM agent_events WHERE user_id = $1`, userID).Scan(&id)
	return id, err
}

// ListenAgentEvents calls wake with the user id of every agent event committed while
// it runs (Postgres LISTEN/NOTIFY; the insert trigger notifies), until ctx is done or
// the connection fails. The connection it listens on is closed afterwards, never
// returned to the pool still listening.
func (s *Store) ListenAgentEvents(ctx context.Context, listening func(), wake func(userID string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, `LISTEN agent_events`); err != nil {
		return err
	}
	if listening != nil {
		listening()
	}
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wake(n.Payload)
	}
}

// PruneAgentEvents deletes agent events created before cutoff, at most batch of them,
// and says how many went. Callers repeat it until fewer than batch go, so no single
// statement holds locks on a large backlog.
func (s *Store) PruneAgentEvents(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM agent_events WHERE id IN (
		SELECT id FROM agent_events WHERE created_at < $1 LIMIT $2)`, cutoff, batch)
	return tag.RowsAffected(), err
}
