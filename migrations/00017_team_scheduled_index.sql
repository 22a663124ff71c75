-- +goose NO TRANSACTION
-- +goose Up
-- A team's scheduled messages, soonest first (GET /v1/teams/{id}/scheduled-messages),
-- keyset-paged on (send_at, id). A failed concurrent build leaves an INVALID index
-- behind; drop it so a re-run builds it.
DROP INDEX CONCURRENTLY IF EXISTS scheduled_messages_team_send_at;
CREATE INDEX CONCURRENTLY scheduled_messages_team_send_at ON scheduled_messages (team_id, send_at, id);
-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS scheduled_messages_team_send_at;
