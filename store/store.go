// Package store is textdesk's Postgres layer: pgx queries and the read models the API
// lists and searches. Workflows never call it directly; activities and the API do.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/exaring/otelpgx"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/textdesk/textdesk/conversation"
)

// Store wraps a connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// Option changes how Open connects.
type Option func(*pgxpool.Config)

// WithTracing makes each query a span (OpenTelemetry, the global tracer provider) when
// its context holds a span: queries outside any trace (pollers, pruning) make none.
// Spans carry the SQL text, never its arguments: they hold phone numbers and texts.
// Pool acquisitions are not traced (one more span per query, saying little).
func WithTracing() Option {
	return func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = otelpgx.NewTracer(otelpgx.WithDisableAcquireTracer())
	}
}

// Open connects to databaseURL and checks the connection.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open Postgres pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to Postgres: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether Postgres answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// notFound turns pgx.ErrNoRows into a domain not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return conversation.Errorf(conversation.ENotFound, "%s not found", what)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint violation on constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

func validUUID(s string) bool { return uuid.Validate(s) == nil }
