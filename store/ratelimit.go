package store

import (
	"context"
	"time"
)

// Hit counts one request against key in the current fixed window of length window and
// returns the count so far in it and how long until the window ends. The counter is
// one upserted row, so every api replica shares it.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (n int, reset time.Duration, err error) {
	secs := window.Seconds()
	var left float64
	err = s.pool.QueryRow(ctx, `INSERT INTO rate_counters AS c (key, window_start, n)
		VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
		ON CONFLICT (key, window_start) DO UPDATE SET n = c.n + 1
		RETURNING n, extract(epoch FROM window_start + make_interval(secs => $2) - now())`, key, secs).Scan(&n, &left)
	return n, time.Duration(left * float64(time.Second)), err
}
