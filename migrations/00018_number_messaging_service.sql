-- +goose Up

-- The Messaging Service a team number belongs to (set when an inbound message reached
-- the number through the service, or by an admin): the number's sends go out with that
-- MessagingServiceSid. Unlinking the service from the team clears it. No index: a
-- service's numbers are listed per team (team_numbers_team), and deleting a service
-- row is an admin's rare act on a table of a few rows per team.
ALTER TABLE team_numbers ADD COLUMN messaging_service_sid text
    REFERENCES team_messaging_services (sid) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE team_numbers DROP COLUMN messaging_service_sid;
