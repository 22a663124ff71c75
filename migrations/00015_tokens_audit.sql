-- +goose Up

-- API tokens may expire (NULL: never) and record when they were last used (kept to
-- the minute: at most one write per token per minute).
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz, ADD COLUMN last_used_at timestamptz;

-- What admins (and users, for their own tokens) changed: who, what, on what, when.
-- actor_id has no foreign key: the trail outlives the users it names. actor is the
-- actor's email at the time (or "create-admin" for the command line).
CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor       text NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
-- Listed newest first, keyset on id, optionally by actor, target or action.
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id);
CREATE INDEX audit_events_action ON audit_events (action, id);

-- +goose Down
DROP TABLE audit_events;
ALTER TABLE api_tokens DROP COLUMN expires_at, DROP COLUMN last_used_at;
