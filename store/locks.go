package store

import "context"

// TryLock takes the session advisory lock named key, on a connection of its own, if
// no other session holds it (ok false: someone does). unlock releases it and the
// connection; a process that dies releases it with its connection.
func (s *Store) TryLock(ctx context.Context, key string) (unlock func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, key).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, err
	}
	return func() {
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, key); err != nil {
			_ = conn.Conn().Close(context.Background()) // the lock goes with the session
		}
		conn.Release()
	}, true, nil
}
