-- The change feed's durable log (server/src/feed.rs). Every transaction that changes canonical
-- or task rows appends one row here before it commits, so a change and its position commit
-- together: `pos` is assigned as MAX(pos) + 1 while the writer holds the log's lock (SQLite:
-- the write lock; PostgreSQL: an advisory lock), which makes positions dense and committed in
-- order. `changes` is the JSON list of {table, ids} the transaction inserted or updated.
-- Old rows are pruned; the newest row is always kept, so positions never repeat.
CREATE TABLE change_log (
  pos           BIGINT PRIMARY KEY,
  changes       TEXT NOT NULL,
  committed_at  TEXT NOT NULL
);
