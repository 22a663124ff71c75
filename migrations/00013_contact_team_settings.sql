-- +goose Up

-- What one team decides about a shared contact (issue 13): its default visibility and
-- assignees for the team's new conversations, whether the team blocks it, and its
-- consent to texts from the team's numbers. Twilio's opt-out is per sender (a number
-- or a Messaging Service) and a team owns its numbers and services, so a STOP sent to
-- one of a team's numbers opts the contact out of that team only; START to the same
-- team (or an admin) lifts it. No row: nothing decided (visible to the team, routed,
-- not blocked, not opted out).
CREATE TABLE contact_team_settings (
    contact_id         uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    team_id            uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    default_visible_to uuid[] NOT NULL DEFAULT '{}',
    default_assignees  uuid[] NOT NULL DEFAULT '{}',
    blocked            boolean NOT NULL DEFAULT false,
    opted_out          boolean NOT NULL DEFAULT false,
    consent_changed_at timestamptz,
    consent_reason     text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contact_id, team_id)
);
CREATE INDEX contact_team_settings_team ON contact_team_settings (team_id);

-- Existing contact-wide flags. An opt-out and a block become every team's: we cannot
-- tell which sender a past STOP was for, and lifting consent is the customer's (or an
-- admin's) to do, never a side effect of a migration. A default visibility or
-- assignment is kept only for the teams it named a member of: a list naming nobody in
-- a team is exactly the cross-team tampering this migration ends (it hid the team's
-- conversations from the team), and it never assigned anyone there.
INSERT INTO contact_team_settings (contact_id, team_id, blocked, opted_out, consent_changed_at, consent_reason,
        default_visible_to, default_assignees)
SELECT ct.id, t.id, ct.blocked, ct.opted_out, ct.consent_changed_at, ct.consent_reason,
    CASE WHEN EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = ANY (ct.default_visible_to))
        THEN ct.default_visible_to ELSE '{}' END,
    CASE WHEN EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = ANY (ct.default_assignees))
         AND (ct.default_visible_to = '{}'
              OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = ANY (ct.default_visible_to)))
        THEN ct.default_assignees ELSE '{}' END
FROM contacts ct CROSS JOIN teams t
WHERE ct.opted_out OR ct.blocked OR ct.consent_changed_at IS NOT NULL
   OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id
              AND (m.user_id = ANY (ct.default_visible_to) OR m.user_id = ANY (ct.default_assignees)));

-- The contact-wide columns go, so nothing can read a flag that no longer decides.
ALTER TABLE contacts DROP COLUMN opted_out, DROP COLUMN blocked, DROP COLUMN consent_changed_at,
    DROP COLUMN consent_reason, DROP COLUMN default_visible_to, DROP COLUMN default_assignees;

-- A sender that is not a phone number (a short code's digits, an alphanumeric sender
-- id) is a contact too, so its texts are stored and shown rather than refused. It never
-- starts with "+", so it cannot collide with an E.164 number.
ALTER TABLE contacts DROP CONSTRAINT contacts_phone_check;
ALTER TABLE contacts ADD CONSTRAINT contacts_phone_check
    CHECK (phone ~ '^\+[1-9][0-9]{6,14}$' OR phone ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$');

-- Who was on a conversation when it closed (conversation_assignees keeps only the open
-- ones'): unarchiving is theirs or an admin's, as archiving was (issue 13). Conversations
-- closed before this migration get the last agent who wrote in them.
ALTER TABLE conversations ADD COLUMN last_assignees uuid[] NOT NULL DEFAULT '{}';
UPDATE conversations c SET last_assignees = ARRAY[m.author_id]
FROM (SELECT DISTINCT ON (conversation_id) conversation_id, author_id FROM messages
      WHERE author_id IS NOT NULL ORDER BY conversation_id, created_at DESC) m
WHERE m.conversation_id = c.id AND c.status = 'closed';

-- +goose Down
ALTER TABLE conversations DROP COLUMN last_assignees;
ALTER TABLE contacts DROP CONSTRAINT contacts_phone_check;
-- NOT VALID: senders stored meanwhile stay (their messages refer to them).
ALTER TABLE contacts ADD CONSTRAINT contacts_phone_check CHECK (phone ~ '^\+[1-9][0-9]{6,14}$') NOT VALID;
ALTER TABLE contacts
    ADD COLUMN opted_out boolean NOT NULL DEFAULT false,
    ADD COLUMN blocked boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_changed_at timestamptz,
    ADD COLUMN consent_reason text,
    ADD COLUMN default_visible_to uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN default_assignees uuid[] NOT NULL DEFAULT '{}';
-- Back to contact-wide: any team's opt-out or block is everyone's (the safe side).
UPDATE contacts ct SET opted_out = s.opted_out, blocked = s.blocked
FROM (SELECT contact_id, bool_or(opted_out) AS opted_out, bool_or(blocked) AS blocked
      FROM contact_team_settings GROUP BY contact_id) s
WHERE s.contact_id = ct.id;
DROP TABLE contact_team_settings;
