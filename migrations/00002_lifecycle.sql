-- +goose Up

-- Team rules for routing, wrap-up and auto-responses.
ALTER TABLE teams
    ADD COLUMN offer_timeout_seconds        integer NOT NULL DEFAULT 30 CHECK (offer_timeout_seconds BETWEEN 1 AND 3600),
    ADD COLUMN wrap_up_timeout_seconds      integer NOT NULL DEFAULT 600 CHECK (wrap_up_timeout_seconds BETWEEN 1 AND 86400),
    ADD COLUMN inactivity_days              integer NOT NULL DEFAULT 7 CHECK (inactivity_days BETWEEN 1 AND 365),
    ADD COLUMN capacity                     integer NOT NULL DEFAULT 5 CHECK (capacity BETWEEN 1 AND 100),
    ADD COLUMN auto_response_interval_hours integer NOT NULL DEFAULT 24 CHECK (auto_response_interval_hours BETWEEN 0 AND 8760),
    ADD COLUMN default_wrap_up_reason       text NOT NULL DEFAULT 'No reason given',
    -- business_hours: {"mon": [["09:00","17:00"]], ...}; NULL means chat_on alone decides.
    ADD COLUMN business_hours               jsonb,
    ADD COLUMN time_zone                    text NOT NULL DEFAULT 'UTC',
    ADD COLUMN help_text                    text NOT NULL DEFAULT '';

CREATE TABLE wrap_up_reasons (
    team_id  uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    reason   text NOT NULL CHECK (reason <> ''),
    position integer NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, reason)
);

-- Presence is per user; routing picks Available agents with free capacity, longest idle first.
CREATE TABLE agent_presence (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    state      text NOT NULL DEFAULT 'offline' CHECK (state IN ('available', 'away', 'rona', 'offline')),
    changed_at timestamptz NOT NULL DEFAULT now(),
    -- idle_since: when the agent last became Available or was last offered a conversation.
    idle_since timestamptz NOT NULL DEFAULT now()
);

-- Who is on a conversation: its owner, conferenced members, and the agent it is
-- offered to. Open rows count against the agent's capacity. The workflow mirrors its
-- state here; routing inserts the 'offered' row atomically with the capacity check.
CREATE TABLE conversation_assignees (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'member', 'offered')),
    offer_kind      text CHECK (offer_kind IN ('route', 'transfer', 'conference')),
    offered_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    offered_at      timestamptz,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_assignees_user ON conversation_assignees (user_id);

ALTER TABLE conversations DROP CONSTRAINT conversations_status_check;
ALTER TABLE conversations
    ADD CONSTRAINT conversations_status_check CHECK (status IN ('outbound', 'new', 'missed', 'active', 'wrap_up', 'closed')),
    ADD COLUMN close_reason   text,
    ADD COLUMN wrap_up_reason text,
    ADD COLUMN deleted_at     timestamptz;
CREATE INDEX conversations_waiting ON conversations (team_id, opened_at) WHERE status IN ('new', 'missed');

ALTER TABLE messages DROP CONSTRAINT messages_direction_check;
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages
    ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound', 'internal')),
    ADD CONSTRAINT messages_kind_check CHECK (kind IN ('text', 'auto_response', 'scheduled', 'closing', 'note')),
    ADD CONSTRAINT messages_status_check CHECK (status IN ('received', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'note'));

-- Messages queued for later. The workflow holds the timer; this table is what the API
-- lists and what the send re-checks (a cancelled row is never sent).
CREATE TABLE scheduled_messages (
    id              uuid PRIMARY KEY,
    team_id         uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    contact_id      uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    author_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    body            text NOT NULL,
    send_at         timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'cancelled', 'failed')),
    reason          text,
    message_id      uuid,
    idempotency_key text,
    request_hash    bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_messages_conversation ON scheduled_messages (conversation_id, send_at) WHERE status = 'pending';
CREATE UNIQUE INDEX scheduled_messages_idempotency ON scheduled_messages (team_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- What agents are told (offers, expiries, transfers); the event stream reads it.
CREATE TABLE agent_events (
    id              bigserial PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    text            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_events_user ON agent_events (user_id, id);

-- +goose Down
DROP TABLE agent_events;
DROP TABLE scheduled_messages;
ALTER TABLE messages DROP CONSTRAINT messages_direction_check, DROP CONSTRAINT messages_kind_check, DROP CONSTRAINT messages_status_check;
ALTER TABLE messages
    ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound')),
    ADD CONSTRAINT messages_kind_check CHECK (kind IN ('text', 'auto_response')),
    ADD CONSTRAINT messages_status_check CHECK (status IN ('received', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'));
DROP INDEX conversations_waiting;
ALTER TABLE conversations DROP COLUMN close_reason, DROP COLUMN wrap_up_reason, DROP COLUMN deleted_at,
    DROP CONSTRAINT conversations_status_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_status_check CHECK (status IN ('new', 'missed', 'active', 'wrap_up', 'closed'));
DROP TABLE conversation_assignees;
DROP TABLE agent_presence;
DROP TABLE wrap_up_reasons;
ALTER TABLE teams DROP COLUMN offer_timeout_seconds, DROP COLUMN wrap_up_timeout_seconds, DROP COLUMN inactivity_days,
    DROP COLUMN capacity, DROP COLUMN auto_response_interval_hours, DROP COLUMN default_wrap_up_reason,
    DROP COLUMN business_hours, DROP COLUMN time_zone, DROP COLUMN help_text;
