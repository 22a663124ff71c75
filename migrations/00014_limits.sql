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

-- +goose Down
DROP TABLE team_sends;
ALTER TABLE teams DROP COLUMN allowed_countries, DROP COLUMN daily_send_quota;
DROP TABLE rate_counters;
