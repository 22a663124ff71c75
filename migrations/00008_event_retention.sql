-- +goose Up

-- Agent events are kept for a while (TEXTDESK_EVENT_RETENTION) and then pruned by the
-- worker. Rows arrive in time order, so a BRIN index on created_at finds the old ones
-- for a fraction of a b-tree's size and upkeep.
CREATE INDEX agent_events_created ON agent_events USING brin (created_at);

-- +goose Down
DROP INDEX agent_events_created;
