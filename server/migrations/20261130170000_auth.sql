-- Users, roles and scope (issue 8). Portable SQL for SQLite and PostgreSQL.

-- The role of an account (queries::access::Role codes); `access` stays the kind of scope.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'phan_tich';

-- Long-lived, revocable tokens that open the wall display without a keyboard. Only the
-- SHA-256 of a token is stored.
CREATE TABLE kiosk_tokens (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  label       TEXT NOT NULL,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);

-- A session opened with a kiosk token ends when the token is revoked.
ALTER TABLE sessions ADD COLUMN kiosk_token_id INTEGER REFERENCES kiosk_tokens(id);
CREATE INDEX ix_sessions_kiosk ON sessions(kiosk_token_id);

-- Who did it (the login typed, also for failed logins with no user) and from where.
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_audit_action ON audit_log(action, id);
CREATE INDEX ix_audit_actor ON audit_log(actor, id);
