-- +goose Up

-- A contact's timeline (GET /v1/contacts/{id}/history) merges its conversations, the
-- web chats handed off to text and the entries agents log by hand, newest first. Each
-- belongs to a team: only that team's members see it.

-- A web chat handed off to text: the customer agreed (in the chat) to be texted.
-- consent_by and consent_at record who took that consent and when. id comes from the
-- request's Idempotency-Key when given; request_hash tells a retry (same body) from a
-- different request under the same key.
CREATE TABLE chat_handoffs (
    id           uuid PRIMARY KEY,
    team_id      uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    contact_id   uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    name         text NOT NULL,
    chat_ref     text NOT NULL CHECK (chat_ref <> ''),
    transcript   text NOT NULL DEFAULT '',
    consent_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    consent_at   timestamptz NOT NULL,
    request_hash bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_handoffs_contact ON chat_handoffs (contact_id, created_at DESC, id DESC);

-- What happened outside textdesk, logged by an agent ("called, left voicemail").
CREATE TABLE contact_log (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    author_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    kind       text NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'call', 'email', 'meeting', 'other')),
    body       text NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_log_contact ON contact_log (contact_id, created_at DESC, id DESC);

-- Who may see a contact: a handoff or log entry in one of their teams counts, as a
-- conversation does.
CREATE INDEX chat_handoffs_team_contact ON chat_handoffs (team_id, contact_id);
CREATE INDEX contact_log_team_contact ON contact_log (team_id, contact_id);

-- Team metrics count the conversations that were ever missed. The status column only
-- holds the latest status (a missed conversation becomes new when chat turns on), so
-- the first time a row becomes 'missed' is kept here, set by a trigger in the same
-- statement (and transaction) as the workflow's status mirror write.
ALTER TABLE conversations ADD COLUMN missed_at timestamptz;
-- Before this migration: the conversations missed now, or that got an auto-response
-- (sent only to missed ones), are known to have been missed.
UPDATE conversations c SET missed_at = coalesce(
        (SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'auto_response'),
        c.updated_at)
    WHERE c.status = 'missed'
       OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'auto_response');

-- +goose StatementBegin
CREATE FUNCTION conversations_keep_missed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'missed' AND NEW.missed_at IS NULL THEN
        NEW.missed_at := now();
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER conversations_keep_missed_at BEFORE INSERT OR UPDATE OF status ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversations_keep_missed_at();

-- +goose Down
DROP TRIGGER conversations_keep_missed_at ON conversations;
DROP FUNCTION conversations_keep_missed_at();
ALTER TABLE conversations DROP COLUMN missed_at;
DROP TABLE contact_log;
DROP TABLE chat_handoffs;
