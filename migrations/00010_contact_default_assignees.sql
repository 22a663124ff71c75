-- +goose Up

-- A contact's default assignment: its new conversations go straight to these users
-- (those of them who are members of the conversation's team and may see it) instead of
-- being offered to the team. Every id was a user's when it was set; the list stays
-- within default_visible_to whenever that is not empty (PATCH /v1/contacts/{id}).
ALTER TABLE contacts ADD COLUMN default_assignees uuid[] NOT NULL DEFAULT '{}';

-- The contact's default assignees who qualified when the conversation was created
-- (members of its team, on its visible_to if restricted), in the contact's order. The
-- workflow's start input carries them and it assigns them when the conversation opens;
-- after that the workflow owns the assignees (conversation_assignees), and this column
-- is only a record of the creation-time choice.
ALTER TABLE conversations ADD COLUMN default_assignees uuid[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE conversations DROP COLUMN default_assignees;
ALTER TABLE contacts DROP COLUMN default_assignees;
