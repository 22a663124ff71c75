-- +goose Up

-- A team owns one or more Twilio numbers and decides whether chat is on.
CREATE TABLE teams (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (name <> ''),
    chat_on       boolean NOT NULL DEFAULT true,
    auto_response text NOT NULL DEFAULT '',
    default_region text NOT NULL DEFAULT 'US',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A number (E.164) belongs to exactly one team; inbound webhooks find the team by it.
CREATE TABLE team_numbers (
    number     text PRIMARY KEY CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_numbers_team ON team_numbers (team_id);

CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (name <> ''),
    email      text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('admin', 'agent')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- API tokens are random 256-bit secrets; only their SHA-256 is stored.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- A contact is a customer's phone number (E.164), shared by every team it texts.
CREATE TABLE contacts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phone      text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name       text NOT NULL DEFAULT '',
    opted_out  boolean NOT NULL DEFAULT false,
    blocked    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per conversation; the workflow "conversation-<id>" owns every change to it
-- after the API creates it.
CREATE TABLE conversations (
    id                uuid PRIMARY KEY,
    team_id           uuid NOT NULL REFERENCES teams (id),
    contact_id        uuid NOT NULL REFERENCES contacts (id),
    team_number       text NOT NULL,
    status            text NOT NULL CHECK (status IN ('new', 'missed', 'active', 'wrap_up', 'closed')),
    next_action       text NOT NULL DEFAULT 'agent' CHECK (next_action IN ('agent', 'customer', 'none')),
    next_action_since timestamptz NOT NULL DEFAULT now(),
    last_message_at   timestamptz,
    opened_at         timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    -- version is the workflow state's version; older snapshots never overwrite newer ones.
    version           bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Invariant: at most one open conversation per (team, contact).
CREATE UNIQUE INDEX conversations_one_open ON conversations (team_id, contact_id) WHERE status <> 'closed';
CREATE INDEX conversations_team_recent ON conversations (team_id, last_message_at DESC NULLS LAST, id);

CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind            text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'auto_response')),
    author_id       uuid REFERENCES users (id),
    from_number     text NOT NULL,
    to_number       text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('received', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed')),
    twilio_sid      text UNIQUE,
    segments        integer NOT NULL DEFAULT 1 CHECK (segments >= 0),
    error_code      integer,
    error_message   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

-- +goose Down
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
DROP TABLE api_tokens;
DROP TABLE team_members;
DROP TABLE users;
DROP TABLE team_numbers;
DROP TABLE teams;
