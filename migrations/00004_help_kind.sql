-- +goose Up
-- Answers to HELP/INFO keywords are their own kind of system message.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('text', 'auto_response', 'help', 'scheduled', 'closing', 'note'));

-- +goose Down
DELETE FROM messages WHERE kind = 'help';
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('text', 'auto_response', 'scheduled', 'closing', 'note'));
