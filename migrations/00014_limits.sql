-- +goose Up

-- API rate limits: one counter per key (a credential and a route class) and fixed
-- window. In Postgres so that every api replica counts against the same limit; old
-- windows are pruned with the other auth state (store.PruneAuth).
CREATE TABLE rate_counters (
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    n            integer     NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Outbound abuse limits (SMS toll fraud). allowed_countries: ISO regions a team may
-- text (NULL: only its default region). daily_send_quota: messages a team may hand
-- Twilio per UTC day (NULL: the configured default).
ALTER TABLE teams ADD COLUMN allowed_countries text[],
    ADD COLUMN daily_send_quota integer CHECK (daily_send_quota IS NULL OR daily_send_quota >= 0);

-- One row per message handed to Twilio, counted against its team's daily quota
-- (store.ClaimDailySend); the message id makes a retried send count once.
CREATE TABLE team_sends (
    message_id uuid PRIMARY KEY,
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    day        date NOT NULL
);
CREATE INDEX team_sends_day ON team_sends (team_id, day);

-- Inbound texts that reached no conversation (store.ParkInbound): from a blocked
-- contact (kept, never offered), or past a number's intake limit for new conversations
-- (released later, in arrival order, by the worker: store.ParkedToRelease).
CREATE TABLE parked_inbound (
    message_sid  text PRIMARY KEY,
    team_id      uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    contact_id   uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    from_number  text NOT NULL,
    to_number    text NOT NULL,
    body         text NOT NULL,
    num_segments integer NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('blocked', 'intake')),
    released_at  timestamptz
);
CREATE INDEX parked_inbound_waiting ON parked_inbound (to_number, received_at) WHERE reason = 'intake' AND released_at IS NULL;
CREATE INDEX parked_inbound_contact ON parked_inbound (contact_id, team_id) WHERE reason = 'intake' AND released_at IS NULL;

-- +goose Down
DROP TABLE parked_inbound;
DROP TABLE team_sends;
ALTER TABLE teams DROP COLUMN allowed_countries, DROP COLUMN daily_send_quota;
DROP TABLE rate_counters;
