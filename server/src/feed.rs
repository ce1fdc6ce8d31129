//! The change feed: a durable, ordered log of the keys every committed transaction changed,
//! and the wake-ups that tell consumers to read it.
//!
//! - **The log is the data.** A writer appends its [`ChangeSet`] to `change_log` inside its own
//!   transaction ([`record`]), so a change and its [`Position`] commit together or not at all.
//!   Positions are dense and commit in order: each is `MAX(pos) + 1` taken under the log's lock
//!   (SQLite's write lock; a PostgreSQL advisory lock held to the commit).
//! - **Consumers read by position** ([`read_after`]): the Polars projection remembers the last
//!   position it applied and asks the store for everything after it. A missed wake-up, a
//!   listener reconnect, a crash between commit and notify or another instance's write can
//!   delay a change, never lose it; a consumer behind the pruned part of the log sees a gap
//!   and reloads.
//! - **Wake-ups are only hints** ([`Feed::wake`]): a local commit wakes this process at once;
//!   on PostgreSQL the same transaction sends `NOTIFY` (delivered at commit) to wake the other
//!   instances ([`pg::spawn_listener`]). Consumers also poll, so a lost hint costs latency only.

use crate::store::Store;
use queries::schema::Table;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, SqliteConnection};
use std::sync::Arc;
use tokio::sync::Notify;

/// A place in the change log: every committed change set has one, dense and in commit order.
/// `0` is "before any logged change".
pub type Position = i64;

/// Change sets kept in the log behind the newest one; a consumer further behind reloads.
pub const KEEP: i64 = 100_000;

/// The ids of rows of one table that a commit inserted or updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedRows {
    pub table: Table,
    pub ids: Vec<i64>,
}

/// Everything one committed transaction changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub rows: Vec<ChangedRows>,
}

impl ChangeSet {
    /// The change of one row.
    pub fn of(table: Table, id: i64) -> ChangeSet {
        let mut cs = ChangeSet::default();
        cs.touch(table, id);
        cs
    }

    /// Records that `id` of `table` changed (idempotent).
    pub fn touch(&mut self, table: Table, id: i64) {
        match self.rows.iter_mut().find(|r| r.table == table) {
            Some(r) if r.ids.contains(&id) => {}
            Some(r) => r.ids.push(id),
            None => self.rows.push(ChangedRows {
                table,
                ids: vec![id],
            }),
        }
    }

    /// Adds everything `other` changed.
    pub fn merge(&mut self, other: &ChangeSet) {
        for rows in &other.rows {
            for &id in &rows.ids {
                self.touch(rows.table, id);
            }
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.ids.is_empty())
    }
}

/// The PostgreSQL advisory lock key that orders log positions (any constant unique to the log).
const LOG_LOCK: i64 = 0x10C_FEED;

const NEXT_AND_APPEND: &str = "INSERT INTO change_log (pos, changes, committed_at) \
     SELECT COALESCE(MAX(pos), 0) + 1, $1, $2 FROM change_log RETURNING pos";

fn log_row(changes: &ChangeSet) -> Result<(String, String), sqlx::Error> {
    let json = serde_json::to_string(&changes.rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    Ok((json, at))
}

/// Appends `changes` to the log inside the caller's SQLite transaction (which must hold the
/// write lock: `BEGIN IMMEDIATE`). `None` when nothing changed.
///
/// # Errors
/// The statement's error; the caller's transaction then rolls back.
pub async fn record_sqlite(
    tx: &mut SqliteConnection,
    changes: &ChangeSet,
) -> Result<Option<Position>, sqlx::Error> {
    if changes.is_empty() {
        return Ok(None);
    }
    let (json, at) = log_row(changes)?;
    let pos: i64 = sqlx::query_scalar(NEXT_AND_APPEND)
        .bind(json)
        .bind(at)
        .fetch_one(tx)
        .await?;
    Ok(Some(pos))
}

/// Appends `changes` to the log inside the caller's PostgreSQL transaction and wakes the other
/// instances when it commits. Takes the log's lock, held until the commit: take it last.
///
/// # Errors
/// The statement's error; the caller's transaction then rolls back.
pub async fn record_pg(
    tx: &mut PgConnection,
    changes: &ChangeSet,
) -> Result<Option<Position>, sqlx::Error> {
    if changes.is_empty() {
        return Ok(None);
    }
    let (json, at) = log_row(changes)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOG_LOCK)
        .execute(&mut *tx)
        .await?;
    let pos: i64 = sqlx::query_scalar(NEXT_AND_APPEND)
        .bind(json)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
    // Transactional: delivered only if (and when) the change commits.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(pg::CHANNEL)
        .bind(pos.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(Some(pos))
}

/// Appends `changes` in a transaction of its own (tools and tests; request handlers record
/// inside the transaction that made the change).
///
/// # Errors
/// The store's error; nothing is logged then.
pub async fn append(store: &Store, changes: &ChangeSet) -> Result<Option<Position>, sqlx::Error> {
    store.write_tx(None).await?.commit_with(changes).await
}

/// The newest position in the log (`0` when nothing was logged).
///
/// # Errors
/// The store's error.
pub async fn head(store: &Store) -> Result<Position, sqlx::Error> {
    const SQL: &str = "SELECT CAST(COALESCE(MAX(pos), 0) AS BIGINT) FROM change_log";
    crate::store::on_pool!(store, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)
}

/// What a consumer reads after its position.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Since {
    /// Everything the read change sets changed, merged.
    pub changes: ChangeSet,
    /// The last position read (the consumer's own when nothing is new).
    pub to: Position,
    /// Whether positions between the consumer's and the first one read were pruned: the
    /// consumer must reload everything.
    pub gap: bool,
}

/// The change sets after `from`, at most `limit` of them, merged.
///
/// # Errors
/// The store's error, or a log row that is not a change set.
pub async fn read_after(store: &Store, from: Position, limit: i64) -> Result<Since, sqlx::Error> {
    const SQL: &str = "SELECT CAST(pos AS BIGINT), changes FROM change_log \
                       WHERE pos > $1 ORDER BY pos LIMIT $2";
    let rows: Vec<(i64, String)> = crate::store::on_pool!(store, pool => {
        sqlx::query_as(SQL).bind(from).bind(limit).fetch_all(pool).await?
    });
    let mut since = Since {
        to: from,
        ..Since::default()
    };
    if let Some((first, _)) = rows.first() {
        since.gap = *first != from + 1;
    }
    for (pos, json) in rows {
        let rows: Vec<ChangedRows> =
            serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))?;
        since.changes.merge(&ChangeSet { rows });
        since.to = pos;
    }
    Ok(since)
}

/// Deletes log rows more than [`KEEP`] behind the newest (never the newest itself).
///
/// # Errors
/// The store's error.
pub async fn prune(store: &Store) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM change_log WHERE pos <= (SELECT MAX(pos) FROM change_log) - $1";
    crate::store::on_pool!(store, pool => {
        Ok(sqlx::query(SQL).bind(KEEP).execute(pool).await?.rows_affected())
    })
}

/// The wake-up side of the feed; clone it freely. Wake-ups coalesce: many commits before the
/// consumer looks wake it once, and it reads them all from the log.
#[derive(Debug, Clone, Default)]
pub struct Feed {
    notify: Arc<Notify>,
}

impl Feed {
    /// A feed with no consumer yet.
    pub fn new() -> Feed {
        Feed::default()
    }

    /// Tells the consumer that the log may hold something new. Call after a commit.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Waits for the next wake-up (one pending wake-up is kept while nobody waits).
    pub async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// A random id, different for every call and every process.
pub fn random_id() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        use std::hash::BuildHasher;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return std::collections::hash_map::RandomState::new()
            .hash_one((nanos, std::process::id()));
    }
    u64::from_le_bytes(bytes)
}

/// Wake-ups from other instances over PostgreSQL `LISTEN/NOTIFY` (PostgreSQL-only SQL lives
/// here and in [`record_pg`]).
pub mod pg {
    use super::Feed;
    use sqlx::postgres::PgListener;
    use sqlx::PgPool;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    /// The notification channel; a payload is the committed position (informative only).
    pub const CHANNEL: &str = "ioc_changes";
    /// First wait before reconnecting a lost listener; doubles up to [`MAX_BACKOFF`].
    const FIRST_BACKOFF: Duration = Duration::from_millis(250);
    const MAX_BACKOFF: Duration = Duration::from_secs(15);

    async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        // Reconnection is ours (with backoff and a catch-up), not the listener's silent one.
        listener.ignore_pool_close_event(false);
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }

    /// Wakes `feed` on every notification until `token` is cancelled. A lost connection is
    /// logged once, retried with exponential backoff, and followed by a wake-up so the consumer
    /// reads whatever was committed meanwhile.
    pub fn spawn_listener(
        pool: PgPool,
        feed: Feed,
        token: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backoff = FIRST_BACKOFF;
            let mut down_since: Option<std::time::Instant> = None;
            loop {
                let connected = tokio::select! {
                    () = token.cancelled() => return,
                    l = listen(&pool) => l,
                };
                let mut listener = match connected {
                    Ok(l) => l,
                    Err(e) => {
                        if down_since.is_none() {
                            tracing::warn!(error = %e, "change listener cannot connect; retrying with backoff");
                            down_since = Some(std::time::Instant::now());
                        }
                        tokio::select! {
                            () = token.cancelled() => return,
                            () = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                };
                if let Some(since) = down_since.take() {
                    tracing::info!(
                        down_s = since.elapsed().as_secs_f64(),
                        "change listener reconnected"
                    );
                }
                backoff = FIRST_BACKOFF;
                // Whatever was committed while nobody listened.
                feed.wake();
                loop {
                    let note = tokio::select! {
                        () = token.cancelled() => return,
                        n = listener.try_recv() => n,
                    };
                    match note {
                        Ok(Some(_)) => feed.wake(),
                        Ok(None) | Err(_) => {
                            tracing::warn!("change listener lost its connection");
                            down_since = Some(std::time::Instant::now());
                            feed.wake();
                            break;
                        }
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_deduplicates_per_table_and_merge_unites() {
        let mut cs = ChangeSet::default();
        assert!(cs.is_empty());
        cs.touch(Table::ViecThiHanh, 7);
        cs.touch(Table::ViecThiHanh, 7);
        cs.touch(Table::BienLai, 1);
        assert_eq!(cs.rows.len(), 2);
        assert_eq!(cs.rows[0].ids, vec![7]);
        let mut other = ChangeSet::default();
        other.touch(Table::ViecThiHanh, 8);
        other.touch(Table::ViecThiHanh, 7);
        cs.merge(&other);
        assert_eq!(cs.rows[0].ids, vec![7, 8]);
    }

    async fn sqlite() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("feed.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        (dir, store)
    }

    #[tokio::test]
    async fn positions_are_dense_and_read_in_order() {
        let (_dir, store) = sqlite().await;
        assert_eq!(head(&store).await.expect("head"), 0);
        assert_eq!(
            append(&store, &ChangeSet::default()).await.expect("empty"),
            None,
            "nothing changed, nothing logged"
        );
        for id in 1..=3 {
            let pos = append(&store, &ChangeSet::of(Table::DonThu, id))
                .await
                .expect("append");
            assert_eq!(pos, Some(id));
        }
        let since = read_after(&store, 1, 10).await.expect("read");
        assert_eq!(since.to, 3);
        assert!(!since.gap);
        assert_eq!(since.changes.rows[0].ids, vec![2, 3]);
        let limited = read_after(&store, 0, 2).await.expect("read");
        assert_eq!(limited.to, 2);
        let nothing = read_after(&store, 3, 10).await.expect("read");
        assert_eq!((nothing.to, nothing.changes.is_empty()), (3, true));
    }

    #[tokio::test]
    async fn pruning_keeps_the_newest_and_a_consumer_behind_it_sees_a_gap() {
        let (_dir, store) = sqlite().await;
        for id in 1..=3 {
            append(&store, &ChangeSet::of(Table::DonThu, id))
                .await
                .expect("append");
        }
        // Prune as if KEEP were 1 to see both rules at small size.
        let deleted = crate::store::on_pool!(&store, pool => {
            sqlx::query("DELETE FROM change_log WHERE pos <= (SELECT MAX(pos) FROM change_log) - 1")
                .execute(pool)
                .await
                .expect("prune")
                .rows_affected()
        });
        assert_eq!(deleted, 2);
        assert_eq!(prune(&store).await.expect("prune"), 0, "KEEP rows stay");
        let since = read_after(&store, 1, 10).await.expect("read");
        assert!(since.gap, "position 2 is gone: reload");
        assert_eq!(since.to, 3);
        assert_eq!(
            append(&store, &ChangeSet::of(Table::DonThu, 9))
                .await
                .expect("append"),
            Some(4),
            "positions never repeat after pruning"
        );
    }

    #[tokio::test]
    async fn a_rolled_back_change_leaves_no_position() {
        let (_dir, store) = sqlite().await;
        let Store::Sqlite(pool) = &store else {
            unreachable!("sqlite store")
        };
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
        let pos = record_sqlite(&mut tx, &ChangeSet::of(Table::BienLai, 1))
            .await
            .expect("record");
        assert_eq!(pos, Some(1));
        tx.rollback().await.expect("rollback");
        assert_eq!(head(&store).await.expect("head"), 0);
        assert_eq!(
            append(&store, &ChangeSet::of(Table::BienLai, 2))
                .await
                .expect("append"),
            Some(1)
        );
    }

    #[tokio::test]
    async fn wake_ups_coalesce_and_are_kept_until_awaited() {
        let feed = Feed::new();
        feed.wake();
        feed.wake();
        tokio::time::timeout(std::time::Duration::from_secs(5), feed.woken())
            .await
            .expect("a pending wake-up is kept");
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), feed.woken())
                .await
                .is_err(),
            "two wake-ups before the consumer looked count once"
        );
    }
}
