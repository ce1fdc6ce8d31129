//! The change feed: after a transaction commits, the keys of the rows it changed are published
//! here, and every consumer (the Polars projection, later other instances through PostgreSQL
//! `LISTEN/NOTIFY`) re-reads those rows from the store.
//!
//! Bounded: a consumer that falls behind gets `RecvError::Lagged` and must rebuild from the
//! store instead of applying a partial history.

use queries::schema::Table;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Change sets buffered per consumer before it lags.
const FEED_CAPACITY: usize = 1024;

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
    /// Set on change sets that another instance committed (relayed in by [`pg`]); they are
    /// not relayed out again.
    #[serde(default)]
    pub from_peer: bool,
}

impl ChangeSet {
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

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.ids.is_empty())
    }
}

/// Publisher side of the feed; clone it freely.
#[derive(Debug, Clone)]
pub struct Feed {
    tx: broadcast::Sender<Arc<ChangeSet>>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed::new()
    }
}

impl Feed {
    /// A feed with no consumers yet.
    pub fn new() -> Feed {
        Feed {
            tx: broadcast::channel(FEED_CAPACITY).0,
        }
    }

    /// Announces a committed change. Call only after the commit succeeded.
    pub fn publish(&self, changes: ChangeSet) {
        if !changes.is_empty() {
            // No consumer is not an error: nothing needs to be told.
            let _ = self.tx.send(Arc::new(changes));
        }
    }

    /// A new consumer, receiving every change set published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ChangeSet>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_deduplicates_per_table() {
        let mut cs = ChangeSet::default();
        assert!(cs.is_empty());
        cs.touch(Table::ViecThiHanh, 7);
        cs.touch(Table::ViecThiHanh, 7);
        cs.touch(Table::BienLai, 1);
        assert_eq!(cs.rows.len(), 2);
        assert_eq!(cs.rows[0].ids, vec![7]);
    }

    #[tokio::test]
    async fn subscribers_receive_published_changes() {
        let feed = Feed::new();
        let mut rx = feed.subscribe();
        let mut cs = ChangeSet::default();
        cs.touch(Table::DonThu, 3);
        feed.publish(cs.clone());
        feed.publish(ChangeSet::default());
        assert_eq!(*rx.recv().await.expect("change"), cs);
        assert!(
            rx.try_recv().is_err(),
            "empty change sets are not published"
        );
    }
}

/// Cross-instance relay over PostgreSQL `LISTEN/NOTIFY` (PostgreSQL-only SQL lives here).
///
/// Every instance forwards the change sets it committed as notifications on [`CHANNEL`] and
/// publishes the notifications of other instances on its own feed, so every instance's Polars
/// projection re-reads the rows another one wrote. Payloads stay under PostgreSQL's 8,000-byte
/// limit by splitting large change sets.
pub mod pg {
    use super::{ChangeSet, ChangedRows, Feed};
    use serde::{Deserialize, Serialize};
    use sqlx::postgres::PgListener;
    use sqlx::PgPool;
    use tokio_util::sync::CancellationToken;

    /// The notification channel.
    pub const CHANNEL: &str = "ioc_changes";
    /// Ids per notification (keeps the JSON payload well under 8,000 bytes).
    const IDS_PER_NOTIFY: usize = 400;

    #[derive(Debug, Serialize, Deserialize)]
    struct Notice {
        origin: u64,
        changes: ChangeSet,
    }

    /// An id for this process, different for every instance.
    fn instance_id() -> u64 {
        use std::hash::BuildHasher;
        // RandomState is seeded randomly per process; mixing in the pid and time guards
        // against two instances started with the same seed.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()))
    }

    /// Splits a change set into pieces of at most [`IDS_PER_NOTIFY`] ids.
    fn split(changes: &ChangeSet) -> Vec<ChangeSet> {
        let mut out = Vec::new();
        for rows in &changes.rows {
            for ids in rows.ids.chunks(IDS_PER_NOTIFY) {
                out.push(ChangeSet {
                    rows: vec![ChangedRows {
                        table: rows.table,
                        ids: ids.to_vec(),
                    }],
                    from_peer: false,
                });
            }
        }
        out
    }

    /// Runs the relay in both directions until `token` is cancelled.
    ///
    /// # Errors
    /// When the listening connection cannot be opened.
    pub async fn spawn_relay(
        pool: PgPool,
        feed: Feed,
        token: CancellationToken,
    ) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
        let origin = instance_id();
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let mut local = feed.subscribe();
        Ok(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    msg = local.recv() => match msg {
                        Ok(cs) if !cs.from_peer => {
                            for piece in split(&cs) {
                                let Ok(payload) = serde_json::to_string(&Notice { origin, changes: piece }) else { continue };
                                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&pool).await {
                                    tracing::error!(error = %e, "pg_notify failed; peers will miss a change");
                                }
                            }
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                    note = listener.recv() => match note {
                        Ok(n) => match serde_json::from_str::<Notice>(n.payload()) {
                            Ok(notice) if notice.origin != origin => {
                                feed.publish(ChangeSet { from_peer: true, ..notice.changes });
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "ignoring a malformed change notification"),
                        },
                        // PgListener reconnects by itself on the next recv.
                        Err(e) => tracing::warn!(error = %e, "change notification listener"),
                    },
                }
            }
        }))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use queries::schema::Table;

        #[test]
        fn large_change_sets_are_split_under_the_payload_limit() {
            let mut cs = ChangeSet::default();
            for id in 0..1000 {
                cs.touch(Table::ViecThiHanh, 1_000_000_000 + id);
            }
            cs.touch(Table::BienLai, 1);
            let pieces = split(&cs);
            assert_eq!(pieces.len(), 4);
            for p in &pieces {
                let json = serde_json::to_string(&Notice {
                    origin: u64::MAX,
                    changes: p.clone(),
                })
                .expect("json");
                assert!(json.len() < 8000, "{}", json.len());
            }
            let total: usize = pieces.iter().map(|p| p.rows[0].ids.len()).sum();
            assert_eq!(total, 1001);
        }
    }
}
