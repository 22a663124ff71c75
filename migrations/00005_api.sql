-- +goose Up

-- The agent and scheduler API: inboxes, contacts, templates, the event stream.

-- Contacts carry a reference of the organisation's own (a CRM or account id).
ALTER TABLE contacts ADD COLUMN ref text NOT NULL DEFAULT '';

-- Contact search (GET /v1/contacts?q=): a phone number or its prefix, a ref, or part of
-- a name. Phone prefixes are ranges in byte order, whatever the database's collation.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_phone_prefix ON contacts ((phone COLLATE "C"));
CREATE INDEX contacts_ref ON contacts (ref) WHERE ref <> '';
CREATE INDEX contacts_name_trgm ON contacts USING gin (name gin_trgm_ops);

-- Inboxes (GET /v1/conversations?inbox=), each keyset-paginated in its own order.
-- All conversations and new/missed, newest first:
CREATE INDEX conversations_team_opened ON conversations (team_id, opened_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX conversations_team_status_opened ON conversations (team_id, status, opened_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- Archived, most recently closed first:
CREATE INDEX conversations_team_archived ON conversations (team_id, closed_at DESC, id DESC)
    WHERE status = 'closed' AND deleted_at IS NULL;
-- In progress (team, mine), oldest waiting for an agent first, then oldest waiting for
-- the customer, then the rest (wrap-up). The expression must match store.actionRank.
CREATE INDEX conversations_team_in_progress ON conversations
    (team_id, (CASE next_action WHEN 'agent' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END), next_action_since, id)
    WHERE status IN ('active', 'wrap_up') AND deleted_at IS NULL;
-- A contact's history and who may see the contact (a conversation in one of their teams).
CREATE INDEX conversations_contact ON conversations (contact_id, opened_at DESC, id DESC)
    WHERE deleted_at IS NULL;

-- Reply templates of a team; bodies may hold {{variable}} placeholders.
CREATE TABLE message_templates (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name <> ''),
    body       text NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_templates_team_name UNIQUE (team_id, name)
);

-- The event stream (GET /v1/events) reads a user's events by id and resumes after the
-- last id the client saw. For that to leave no gap, a user's events must become visible
-- in id order: an id taken by a transaction that commits after a later id is read would
-- be skipped. So each insert takes a per-user lock held until commit and only then
-- draws its id; the next event for that user waits for the commit (or rollback). The
-- insert also wakes the API's listeners (delivered on commit).
-- +goose StatementBegin
CREATE FUNCTION agent_events_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1952540269, hashtext(NEW.user_id::text));
    NEW.id := nextval('agent_events_id_seq');
    PERFORM pg_notify('agent_events', NEW.user_id::text);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER agent_events_in_commit_order BEFORE INSERT ON agent_events
    FOR EACH ROW EXECUTE FUNCTION agent_events_in_commit_order();

-- +goose Down
DROP TRIGGER agent_events_in_commit_order ON agent_events;
DROP FUNCTION agent_events_in_commit_order();
DROP TABLE message_templates;
DROP INDEX conversations_contact;
DROP INDEX conversations_team_in_progress;
DROP INDEX conversations_team_archived;
DROP INDEX conversations_team_status_opened;
DROP INDEX conversations_team_opened;
DROP INDEX contacts_name_trgm;
DROP INDEX contacts_ref;
DROP INDEX contacts_phone_prefix;
ALTER TABLE contacts DROP COLUMN ref;
