package store

import "context"

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
