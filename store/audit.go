package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/textdesk/textdesk/conversation"
)

// AuditEvent is one recorded change: who (actor: their user id and email, or a
// command-line tool), what (action, e.g. "token.revoke"), on what (target type and
// id), when, and details (what was set; never a secret).
type AuditEvent struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *string        `json:"actor_id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Details    map[string]any `json:"details"`
}

// pgxExecer is a pool or a transaction.
type pgxExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type auditKey struct{}

// WithAudit returns ctx carrying ev: the store methods that change users and tokens
// (InviteUser, SetDisabled, RevokeAllCredentials, IssueToken, RevokeToken) record it
// in the change's own transaction, so there is no change without its record. They
// fill in the target's id when it is created there.
func WithAudit(ctx context.Context, ev AuditEvent) context.Context {
	return context.WithValue(ctx, auditKey{}, ev)
}

// auditIn records ctx's audit event, if any, in tx; targetID, if not empty, is the
// target's id.
func auditIn(ctx context.Context, tx pgx.Tx, targetID string) error {
	ev, ok := ctx.Value(auditKey{}).(AuditEvent)
	if !ok {
		return nil
	}
	if targetID != "" {
		ev.TargetID = targetID
	}
	return insertAudit(ctx, tx, ev)
}

// RecordAudit stores an audit event (ID and At are set by the database).
func (s *Store) RecordAudit(ctx context.Context, ev AuditEvent) error {
	return insertAudit(ctx, s.pool, ev)
}

func insertAudit(ctx context.Context, q pgxExecer, ev AuditEvent) error {
	details := ev.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_events (actor_id, actor, action, target_type, target_id, details)
		VALUES ($1, $2, $3, $4, $5, $6)`, ev.ActorID, ev.Actor, ev.Action, ev.TargetType, ev.TargetID, raw)
	return err
}

// AuditFilter narrows AuditEvents; empty fields match everything.
type AuditFilter struct {
	ActorID, TargetID, Action string
	// Before is a cursor: the next_cursor of the previous page ("" for the newest).
	Before string
	Limit  int
}

// AuditEvents lists audit events newest first, keyset-paginated on their id; the
// cursor is the id to continue below ("" when there is no further page).
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, string, error) {
	var before int64
	if f.Before != "" {
		n, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || n <= 0 {
			return nil, "", conversation.Errorf(conversation.EInvalid, "cursor is not valid; pass back the next_cursor of a previous page")
		}
		before = n
	}
	if f.ActorID != "" && !validUUID(f.ActorID) {
		return nil, "", conversation.Errorf(conversation.EInvalid, "actor_id %q is not a user id (a UUID)", f.ActorID)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor_id::text, actor, action, target_type, target_id, details
		FROM audit_events
		WHERE ($1 = 0 OR id < $1) AND ($2 = '' OR actor_id = $2::uuid) AND ($3 = '' OR target_id = $3) AND ($4 = '' OR action = $4)
		ORDER BY id DESC LIMIT $5`, before, f.ActorID, f.TargetID, f.Action, f.Limit+1)
	if err != nil {
		return nil, "", err
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEvent, error) {
		var ev AuditEvent
		var id int64
		err := row.Scan(&id, &ev.At, &ev.ActorID, &ev.Actor, &ev.Action, &ev.TargetType, &ev.TargetID, &ev.Details)
		ev.ID = strconv.FormatInt(id, 10)
		return ev, err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > f.Limit {
		events = events[:f.Limit]
		next = events[len(events)-1].ID
	}
	if events == nil {
		events = []AuditEvent{}
	}
	return events, next, nil
}
