-- +goose Up

-- Restricted conversations: a conversation whose visible_to is not empty is seen only
-- by those users (and admins), in every list, search, history and event. The workflow
-- owns the list (PUT /v1/conversations/{id}/visibility is an update); this column is
-- its mirror, as the rest of the row is.
ALTER TABLE conversations ADD COLUMN visible_to uuid[] NOT NULL DEFAULT '{}';

-- A contact's default for its new conversations (a VIP, a staff member's relative).
ALTER TABLE contacts ADD COLUMN default_visible_to uuid[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE contacts DROP COLUMN default_visible_to;
ALTER TABLE conversations DROP COLUMN visible_to;
