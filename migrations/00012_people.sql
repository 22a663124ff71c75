-- +goose Up

-- Team-scoped roles: a supervisor of a team sees its people and metrics, assigns its
-- conversations to any member and edits its chat switch, auto-response and templates.
ALTER TABLE team_members ADD COLUMN role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor'));

-- Whether the team's agents (not only supervisors and admins) may turn chat on and off.
ALTER TABLE teams ADD COLUMN agents_can_toggle_chat boolean NOT NULL DEFAULT true;

-- Team-wide events: the team they concern, whether the client should alert the user
-- (decided at insert by agent_events_alert below), and details for the client.
ALTER TABLE agent_events ADD COLUMN team_id uuid, ADD COLUMN alert boolean NOT NULL DEFAULT false, ADD COLUMN data jsonb;

-- inbox_counts_changed events supersede each other: a new one deletes the user's
-- previous one for the team (store.fanOut), found through this index.
CREATE INDEX agent_events_counts ON agent_events (user_id, team_id) WHERE kind = 'inbox_counts_changed';

-- A user's alert preferences; no row means every default (true).
CREATE TABLE user_preferences (
    user_id                    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    missed_conversation_alerts boolean NOT NULL DEFAULT true,
    your_conversation_alerts   boolean NOT NULL DEFAULT true,
    new_conversation_alerts    boolean NOT NULL DEFAULT true,
    sound                      boolean NOT NULL DEFAULT true,
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- How far each user has read each conversation: the (created_at, id) of the last
-- message read. It only moves forward (store.MarkRead). Inbound messages after it are
-- the user's unread ones.
CREATE TABLE conversation_reads (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    read_at         timestamptz NOT NULL,
    message_id      uuid NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX conversation_reads_conversation ON conversation_reads (conversation_id);

-- Unread counts read a conversation's inbound messages after a position.
CREATE INDEX messages_inbound ON messages (conversation_id, created_at, id) WHERE direction = 'inbound';

-- The alert flag is decided when an event is written, from the user's preferences at
-- that moment, so every client (and every reconnect) agrees on it. One trigger covers
-- every writer (store, activities) and every kind.
-- +goose StatementBegin
CREATE FUNCTION agent_events_alert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wants boolean;
BEGIN
    IF NEW.kind IN ('missed', 'conversation_new', 'offer', 'assigned', 'new_message') THEN
        SELECT CASE NEW.kind
                WHEN 'missed' THEN p.missed_conversation_alerts
                WHEN 'conversation_new' THEN p.new_conversation_alerts
                ELSE p.your_conversation_alerts END
            INTO wants FROM user_preferences p WHERE p.user_id = NEW.user_id;
        NEW.alert := coalesce(wants, true);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER agent_events_alert BEFORE INSERT ON agent_events
    FOR EACH ROW EXECUTE FUNCTION agent_events_alert();

-- +goose Down
DROP TRIGGER agent_events_alert ON agent_events;
DROP FUNCTION agent_events_alert();
DROP INDEX messages_inbound;
DROP TABLE conversation_reads;
DROP TABLE user_preferences;
DROP INDEX agent_events_counts;
ALTER TABLE agent_events DROP COLUMN data, DROP COLUMN alert, DROP COLUMN team_id;
ALTER TABLE teams DROP COLUMN agents_can_toggle_chat;
ALTER TABLE team_members DROP COLUMN role;
