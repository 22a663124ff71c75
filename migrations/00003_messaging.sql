-- +goose Up

-- Messaging correctness: segments and encoding per message, MMS media, the per-sender
-- send schedule, exactly-once hand-off bookkeeping and consent changes.
ALTER TABLE messages
    -- 'GSM-7' or 'UCS-2' as sms.Segments counts the body; NULL for notes.
    ADD COLUMN encoding          text CHECK (encoding IN ('GSM-7', 'UCS-2')),
    ADD COLUMN num_media         integer NOT NULL DEFAULT 0 CHECK (num_media >= 0),
    -- The slot reserved on the sender's schedule; retries of the send reuse it.
    ADD COLUMN send_slot_at      timestamptz,
    -- The first hand-off attempt and how many there were. An attempt without a stored
    -- SID may have reached Twilio: the next attempt reconciles before sending.
    ADD COLUMN send_attempted_at timestamptz,
    ADD COLUMN send_attempts     integer NOT NULL DEFAULT 0,
    -- Which activity (workflow run + activity id) stored an inbound message, so its own
    -- retry is not mistaken for a retried webhook.
    ADD COLUMN recorded_by       text;

-- Messages recorded before this migration are never put on a schedule.
UPDATE messages SET send_slot_at = created_at WHERE direction = 'outbound';

-- The reservation looks for a sender's messages that have no slot yet, oldest first.
CREATE INDEX messages_unslotted ON messages (from_number, created_at, id)
    WHERE direction = 'outbound' AND send_slot_at IS NULL AND twilio_sid IS NULL;

-- Media of inbound MMS, keyed by Twilio's MessageSid: the webhook stores them before
-- the conversation workflow stores the message (messages.twilio_sid is unique).
CREATE TABLE message_media (
    message_sid  text NOT NULL,
    position     integer NOT NULL CHECK (position BETWEEN 0 AND 9),
    url          text NOT NULL,
    content_type text NOT NULL DEFAULT '',
    PRIMARY KEY (message_sid, position)
);

-- Each sender (a From number or Messaging Service) hands Twilio at most its rate of
-- segments per second; next_slot_at is when its next segment may go.
CREATE TABLE sender_schedule (
    sender       text PRIMARY KEY,
    next_slot_at timestamptz NOT NULL
);

-- Per-number rate in segments per second (e.g. 100 for a short code); NULL uses the
-- worker's SMS_DEFAULT_SEND_RATE (1/s, a long code).
ALTER TABLE team_numbers ADD COLUMN send_rate numeric CHECK (send_rate > 0);

-- A team's Messaging Services: an inbound message to any number of a service's sender
-- pool reaches the team (and the number joins the team's numbers).
CREATE TABLE team_messaging_services (
    sid        text PRIMARY KEY CHECK (sid ~ '^MG[0-9a-fA-F]{32}$'),
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_messaging_services_team ON team_messaging_services (team_id);

-- The last consent change (STOP/START keyword, Twilio's 21610) and why.
ALTER TABLE contacts
    ADD COLUMN consent_changed_at timestamptz,
    ADD COLUMN consent_reason     text;

-- +goose Down
ALTER TABLE contacts DROP COLUMN consent_changed_at, DROP COLUMN consent_reason;
DROP TABLE team_messaging_services;
ALTER TABLE team_numbers DROP COLUMN send_rate;
DROP TABLE sender_schedule;
DROP TABLE message_media;
DROP INDEX messages_unslotted;
ALTER TABLE messages DROP COLUMN encoding, DROP COLUMN num_media, DROP COLUMN send_slot_at,
    DROP COLUMN send_attempted_at, DROP COLUMN send_attempts, DROP COLUMN recorded_by;
