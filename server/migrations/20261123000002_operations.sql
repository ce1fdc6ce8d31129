-- Operational tables of the IOC itself (not part of the canonical data contract). Portable:
-- ids are assigned by the application, timestamps are RFC 3339 UTC text.

-- Facts about the loaded data, e.g. ('as_of', '2026-11-20'), ('seed', '42').
CREATE TABLE app_meta (
  khoa     TEXT PRIMARY KEY,
  gia_tri  TEXT NOT NULL
);

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  display_name   TEXT NOT NULL,
  access         TEXT NOT NULL CHECK (access IN ('national', 'province', 'office', 'own', 'kiosk')),
  don_vi_id      INTEGER REFERENCES don_vi(id),
  can_bo_id      INTEGER REFERENCES can_bo(id),
  password_hash  TEXT NOT NULL,
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at     TEXT NOT NULL
);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX ix_sessions_user ON sessions(user_id);

-- Append-only. `id` sorts in time order (microseconds since the epoch, then a random suffix).
CREATE TABLE audit_log (
  id        TEXT PRIMARY KEY,
  at        TEXT NOT NULL,
  user_id   INTEGER REFERENCES users(id),
  action    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  outcome   TEXT NOT NULL
);
CREATE INDEX ix_audit_at ON audit_log(at);

-- Domain events accepted by the ingest API; the event id makes ingest idempotent.
CREATE TABLE ingested_events (
  event_id     TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  payload      TEXT NOT NULL
);
