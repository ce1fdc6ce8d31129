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
