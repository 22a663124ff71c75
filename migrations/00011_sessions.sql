-- +goose Up

-- Sign-in with a password and browser sessions (issue 11). Passwords are argon2id
-- hashes in PHC form; a user without one (invited, link not used yet) cannot sign in.
-- A disabled user can do nothing: every credential of theirs is refused.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
-- Sign-in looks users up by email whatever its case.
CREATE INDEX users_email_lower ON users (lower(email));

-- A browser session: the cookie holds a random secret, this table its SHA-256 hash.
-- It ends when revoked (the row is deleted), at expires_at (created + the lifetime at
-- sign-in), or after the idle timeout since last_used_at (bumped at most once a minute).
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time set-password links (invitations and resets): only the secret's hash is kept.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Failed sign-ins (and wrong current passwords) per key ("account:<email>" or
-- "addr:<client address>"), shared by every api replica. After a few free failures a
-- key is blocked until blocked_until, for longer at each further failure.
CREATE TABLE login_throttle (
    key             text PRIMARY KEY,
    failures        int NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    blocked_until   timestamptz
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE password_resets;
DROP TABLE sessions;
DROP INDEX users_email_lower;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE users DROP COLUMN password_hash;
