//! The live analytical projection: every canonical table in Polars (`queries::frames`), kept
//! current from the change feed in micro-batches, and the KPI snapshot (`queries::kpi`)
//! recomputed after each batch and published on a `watch` channel.
//!
//! Flow: startup loads every table from the store; the updater collects change sets for at
//! most [`BATCH_WINDOW`], re-reads those rows from the store (the store is the truth, the feed
//! only carries keys), upserts them, recomputes, publishes. A consumer that lagged on the feed
//! triggers a full reload instead of a partial history. Polars work runs on blocking threads.

use crate::feed::{ChangeSet, Feed};
use crate::store::{self, Store};
use chrono::NaiveDate;
use futures::TryStreamExt;
use queries::frames::{ColumnData, Frames};
use queries::kpi::{self, KpiSnapshot};
use queries::schema::{ColType, Table};
use sqlx::Row;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

/// Longest time a committed change waits before it is applied.
pub const BATCH_WINDOW: Duration = Duration::from_millis(250);

/// Failures of the projection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("reading {table}: {source}")]
    Read {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Queries(#[from] queries::Error),
    #[error("the KPI computation stopped unexpectedly")]
    Join,
}

/// One published state of the KPIs.
#[derive(Debug)]
pub struct Published {
    /// Increases with every publication.
    pub version: u64,
    /// `None` while the store holds no data.
    pub kpi: Option<KpiSnapshot>,
    /// Time of the recompute that produced it.
    pub compute_ms: f64,
}

/// Handle to the projection; clone it freely.
#[derive(Clone)]
pub struct Projection {
    frames: Arc<Mutex<Frames>>,
    published: watch::Sender<Arc<Published>>,
    as_of: Option<NaiveDate>,
}

impl Projection {
    /// Loads every canonical table from `store` and computes the first snapshot.
    ///
    /// # Errors
    /// A store read or a KPI computation failure.
    pub async fn load(store: &Store) -> Result<Projection, Error> {
        let started = Instant::now();
        let (frames, as_of) = load_frames(store).await?;
        let loaded_s = started.elapsed().as_secs_f64();
        let frames = Arc::new(Mutex::new(frames));
        let first = compute(frames.clone(), as_of, 1).await?;
        tracing::info!(
            loaded_s,
            compute_ms = first.compute_ms,
            "analytical projection ready"
        );
        let (published, _) = watch::channel(Arc::new(first));
        Ok(Projection {
            frames,
            published,
            as_of,
        })
    }

    /// The latest snapshot and every later one.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Published>> {
        self.published.subscribe()
    }

    /// The latest snapshot.
    pub fn latest(&self) -> Arc<Published> {
        self.published.borrow().clone()
    }

    /// Runs `f` on the current frames and the data's as-of date, holding the frames' lock:
    /// call it from a blocking thread (Polars work), and keep `f` short — the updater waits.
    ///
    /// # Errors
    /// [`Error::Join`] when the lock is poisoned.
    pub fn with_frames<R>(
        &self,
        f: impl FnOnce(&Frames, Option<NaiveDate>) -> R,
    ) -> Result<R, Error> {
        let guard = self.frames.lock().map_err(|_| Error::Join)?;
        Ok(f(&guard, self.as_of))
    }

    /// Applies the change feed until `token` is cancelled.
    pub fn spawn_updater(
        &self,
        store: Store,
        feed: &Feed,
        token: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let mut rx = feed.subscribe();
        tokio::spawn(async move {
            // Set when an update failed: its rows are not re-sent, so the next update reloads.
            let mut failed = false;
            loop {
                let first = tokio::select! {
                    () = token.cancelled() => return,
                    msg = rx.recv() => msg,
                };
                let mut batch = ChangeSet::default();
                let mut reload = failed;
                match first {
                    Ok(cs) => merge(&mut batch, &cs),
                    Err(broadcast::error::RecvError::Lagged(_)) => reload = true,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                // Collect what else arrives within the window.
                let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
                while let Ok(msg) = tokio::time::timeout_at(deadline, rx.recv()).await {
                    match msg {
                        Ok(cs) => merge(&mut batch, &cs),
                        Err(broadcast::error::RecvError::Lagged(_)) => reload = true,
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
                failed = match this.apply(&store, &batch, reload).await {
                    Ok(()) => false,
                    Err(e) => {
                        tracing::error!(error = %e, "projection update failed; the next update reloads every table");
                        true
                    }
                };
            }
        })
    }

    /// Re-reads the changed rows (or everything after a lag), upserts and republishes.
    async fn apply(&self, store: &Store, batch: &ChangeSet, reload: bool) -> Result<(), Error> {
        let mut updates = Vec::new();
        for table in Table::ALL {
            if reload {
                updates.push((table, read_rows(store, table, None).await?, true));
            } else if let Some(changed) = batch.rows.iter().find(|r| r.table == table) {
                updates.push((
                    table,
                    read_rows(store, table, Some(&changed.ids)).await?,
                    false,
                ));
            }
        }
        let frames = self.frames.clone();
        tokio::task::spawn_blocking(move || -> Result<(), Error> {
            let mut guard = frames.lock().map_err(|_| Error::Join)?;
            for (table, columns, whole) in updates {
                if whole {
                    guard.set_table(table, columns)?;
                } else {
                    guard.upsert(table, columns)?;
                }
            }
            Ok(())
        })
        .await
        .map_err(|_| Error::Join)??;
        let version = self.published.borrow().version + 1;
        let next = compute(self.frames.clone(), self.as_of, version).await?;
        self.published.send_replace(Arc::new(next));
        Ok(())
    }
}

/// Every canonical table of `store` as Polars frames, and the data's as-of date (`None` for an
/// empty store).
///
/// # Errors
/// A store read failure or rows that do not fit the schema.
pub async fn load_frames(store: &Store) -> Result<(Frames, Option<NaiveDate>), Error> {
    let as_of = store
        .meta("as_of")
        .await?
        .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let mut frames = Frames::new();
    for table in Table::ALL {
        let columns = read_rows(store, table, None).await?;
        frames.set_table(table, columns)?;
    }
    Ok((frames, as_of))
}

fn merge(into: &mut ChangeSet, from: &ChangeSet) {
    for rows in &from.rows {
        for &id in &rows.ids {
            into.touch(rows.table, id);
        }
    }
}

async fn compute(
    frames: Arc<Mutex<Frames>>,
    as_of: Option<NaiveDate>,
    version: u64,
) -> Result<Published, Error> {
    let Some(as_of) = as_of else {
        return Ok(Published {
            version,
            kpi: None,
            compute_ms: 0.0,
        });
    };
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let guard = frames.lock().map_err(|_| Error::Join)?;
        let kpi = kpi::compute_snapshot(&guard, as_of)?;
        Ok(Published {
            version,
            kpi: Some(kpi),
            compute_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    })
    .await
    .map_err(|_| Error::Join)?
}

/// Reads a table (or the rows with the given ids) into driver-neutral columns. Every column is
/// cast to a type both drivers decode the same way.
///
/// # Errors
/// [`Error::Read`] when the query fails.
pub async fn read_rows(
    store: &Store,
    table: Table,
    ids: Option<&[i64]>,
) -> Result<Vec<ColumnData>, Error> {
    let select: Vec<String> = table
        .columns()
        .iter()
        .map(|c| match c.ty {
            ColType::Int | ColType::BigInt => format!("CAST({} AS BIGINT)", c.name),
            ColType::Rate => format!("CAST({} AS DOUBLE PRECISION)", c.name),
            ColType::Text | ColType::Date => c.name.to_string(),
        })
        .collect();
    let mut sql = format!("SELECT {} FROM {}", select.join(", "), table.name());
    if let Some(ids) = ids {
        // Ids are integers from our own feed, never user text.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" WHERE id IN ({})", list.join(",")));
    }
    let read_err = |source| Error::Read {
        table: table.name(),
        source,
    };
    let mut columns: Vec<ColumnData> = table
        .columns()
        .iter()
        .map(|c| match c.ty {
            ColType::Int | ColType::BigInt => ColumnData::Int(Vec::new()),
            ColType::Rate => ColumnData::Float(Vec::new()),
            ColType::Text => ColumnData::Text(Vec::new()),
            ColType::Date => ColumnData::Date(Vec::new()),
        })
        .collect();
    macro_rules! fill {
        ($rows:expr) => {
            let mut rows = $rows;
            while let Some(row) = rows.try_next().await.map_err(read_err)? {
                for (i, col) in columns.iter_mut().enumerate() {
                    match col {
                        ColumnData::Int(v) => v.push(row.try_get(i).map_err(read_err)?),
                        ColumnData::Float(v) => v.push(row.try_get(i).map_err(read_err)?),
                        ColumnData::Text(v) => v.push(row.try_get(i).map_err(read_err)?),
                        ColumnData::Date(v) => v.push(row.try_get(i).map_err(read_err)?),
                    }
                }
            }
        };
    }
    match store {
        Store::Sqlite(pool) => {
            fill!(sqlx::query(&sql).fetch(pool));
        }
        Store::Postgres(pool) => {
            fill!(sqlx::query(&sql).fetch(pool));
        }
    }
    Ok(columns)
}

/// What `ioc bench kpi` measured.
#[derive(Debug, serde::Serialize)]
pub struct BenchReport {
    pub cases: usize,
    pub load_s: f64,
    pub recompute_ms_median: f64,
    pub recompute_ms_min: f64,
    pub batch_rows: usize,
    pub batch_upsert_ms: f64,
    pub batch_recompute_ms: f64,
}

/// Loads the store into Polars, times `runs` full snapshots, then upserts 1,000 cases (re-read
/// from the store) and recomputes.
///
/// # Errors
/// Store reads, an empty store, or KPI failures.
pub async fn bench(store: &Store, runs: usize) -> Result<BenchReport, Error> {
    let started = Instant::now();
    let (mut frames, as_of) = load_frames(store).await?;
    let load_s = started.elapsed().as_secs_f64();
    let as_of = as_of.ok_or(Error::Queries(queries::Error::DateRange(
        "the store holds no data".into(),
    )))?;
    let ids: Vec<i64> = (1..=1000).collect();
    let batch = read_rows(store, Table::ViecThiHanh, Some(&ids)).await?;
    tokio::task::spawn_blocking(move || {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            times.push(kpi::bench_recompute(&frames, as_of)?.1.as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let cases = frames.height(Table::ViecThiHanh);
        let batch_rows = batch.first().map_or(0, ColumnData::len);
        let (upsert, recompute) =
            kpi::bench_upsert_and_recompute(&mut frames, Table::ViecThiHanh, batch, as_of)?;
        Ok(BenchReport {
            cases,
            load_s,
            recompute_ms_median: times[times.len() / 2],
            recompute_ms_min: times[0],
            batch_rows,
            batch_upsert_ms: upsert.as_secs_f64() * 1e3,
            batch_recompute_ms: recompute.as_secs_f64() * 1e3,
        })
    })
    .await
    .map_err(|_| Error::Join)?
}
