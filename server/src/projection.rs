//! The live analytical projection: every canonical table in Polars (`queries::frames`), kept
//! current from the change log in micro-batches by the incremental KPI engine
//! (`queries::engine`), and each new KPI snapshot with its alerts published as a version.
//!
//! Flow: startup notes the change log's head position, then loads every table from the store
//! and computes the first snapshot. The updater wakes on [`Feed::wake`] (a local commit, or a
//! PostgreSQL notification from another instance) or every [`POLL`] in any case, waits until
//! the wake-ups are quiet for [`SETTLE`] (at most [`BATCH_WINDOW`]), reads the change sets
//! logged after the position it applied (`crate::feed::read_after`), re-reads those rows from
//! the store (the store is the truth, the log only carries keys), hands them to the engine
//! (which upserts them and updates its cached facts from the changed rows only), and publishes
//! the result. Nothing can be skipped: a missed wake-up is caught by the poll, and positions
//! the log pruned before they were read (a gap) trigger a full reload. A failed read is
//! retried from the same position; after a failed computation the next update (at the next
//! logged change) reloads every table. Polars work runs on blocking threads.
//!
//! Versions: a version is the log position it has applied, so version numbers grow across
//! restarts and mean the same place in the history on every instance; a version is published
//! only when the position advances. [`Published::instance`], random per process, tells this
//! process's versions from another's (the live stream resumes by deltas only within one
//! process: another process may have read a row at a later state than this one).
//!
//! Health: [`Projection::health`] says whether the updater can read the log and how far it
//! has applied; the live streams and `/api/health` report it.
//!
//! Publication: the latest version on a `watch` channel ([`Projection::latest`]), every version
//! on a bounded `broadcast` channel for the live streams ([`Projection::stream`]; a stream
//! that falls [`STREAM_BUFFER`] versions behind is told it lagged and sends a snapshot), and
//! the last [`HISTORY`] versions kept for `Last-Event-ID` resumption ([`Projection::since`]).
//! Each version carries the alerts it raised and the [`RECENT_ALERTS`] most recent ones.

use crate::feed::{self, ChangeSet, Feed, Position};
use crate::store::{self, Store};
use app::wire::{Alert, AlertKind};
use chrono::NaiveDate;
use futures::TryStreamExt;
use queries::alerts::{self, AlertConfig};
use queries::engine::KpiEngine;
use queries::frames::{ColumnData, Frames};
use queries::kpi::{self, KpiSnapshot};
use queries::schema::{ColType, Table};
use sqlx::Row;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

/// The updater reads the log at least this often, woken or not.
pub const POLL: Duration = Duration::from_secs(1);
/// Change sets read from the log per update at most (a long backlog is applied in steps).
pub const BATCH_LIMIT: i64 = 5_000;
/// The updater is stale when it has failed to read and apply the log for this long.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
/// The log is pruned about this often (by every instance; pruning is idempotent).
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Longest time a committed change waits before it is applied.
pub const BATCH_WINDOW: Duration = Duration::from_millis(250);
/// A batch closes when the feed has been quiet this long (or at [`BATCH_WINDOW`]).
pub const SETTLE: Duration = Duration::from_millis(20);
/// Alerts kept for new clients (oldest dropped first).
pub const RECENT_ALERTS: usize = 50;
/// Versions kept for resumption (each holds a whole snapshot: ~8 MB at scale 1.0).
pub const HISTORY: usize = 32;
/// Versions a live stream may fall behind before it skips to a snapshot.
pub const STREAM_BUFFER: usize = 16;

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
    /// The change-log position applied: grows with every publication, across restarts too.
    pub version: u64,
    /// A random id of the process that published it: versions of another process (or from
    /// before a restart) carry another.
    pub instance: u64,
    /// The version this one was computed from incrementally; `None` after a (re)load.
    pub base: Option<u64>,
    /// `None` while the store holds no data.
    pub kpi: Option<KpiSnapshot>,
    /// Time of the update that produced it (re-read rows excluded).
    pub compute_ms: f64,
    /// The alerts this version raised, oldest first.
    pub alerts: Vec<Alert>,
    /// The most recent alerts up to this version, oldest first (at most [`RECENT_ALERTS`]).
    pub recent_alerts: Arc<VecDeque<Alert>>,
    /// Serialised events of this version per scope, filled by the live streams on first use
    /// (1,000 clients of one scope serialise it once).
    pub cache: Mutex<HashMap<String, Arc<str>>>,
}

impl Published {
    fn new(version: u64, instance: u64, kpi: Option<KpiSnapshot>, compute_ms: f64) -> Published {
        Published {
            version,
            instance,
            base: None,
            kpi,
            compute_ms,
            alerts: Vec::new(),
            recent_alerts: Arc::new(VecDeque::new()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The cached text under `key`, computed by `make` on first use.
    pub fn cached(&self, key: &str, make: impl FnOnce() -> String) -> Arc<str> {
        if let Ok(mut cache) = self.cache.lock() {
            if let Some(text) = cache.get(key) {
                return text.clone();
            }
            let text: Arc<str> = Arc::from(make());
            cache.insert(key.to_owned(), text.clone());
            return text;
        }
        Arc::from(make())
    }
}

/// The frames and the engine that keeps their KPIs.
struct Inner {
    frames: Frames,
    engine: Option<KpiEngine>,
}

/// Whether the projection keeps up with the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHealth {
    /// Set while reading or applying the log fails: since when (UTC, RFC 3339) and why.
    pub failing: Option<(String, String)>,
    /// Whether it has failed for [`STALE_AFTER`] or longer: the figures may be out of date.
    pub stale: bool,
}

/// Handle to the projection; clone it freely.
#[derive(Clone)]
pub struct Projection {
    inner: Arc<Mutex<Inner>>,
    published: watch::Sender<Arc<Published>>,
    stream: broadcast::Sender<Arc<Published>>,
    history: Arc<Mutex<VecDeque<Arc<Published>>>>,
    health: watch::Sender<FeedHealth>,
    as_of: Option<NaiveDate>,
}

/// An ISO 8601 time of now in Vietnam (UTC+7), for alerts.
pub fn now_iso() -> String {
    let now = chrono::Utc::now();
    match chrono::FixedOffset::east_opt(7 * 3600) {
        Some(tz) => now
            .with_timezone(&tz)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

fn wire_alert(a: alerts::Alert, version: u64) -> Alert {
    Alert {
        id: a.id,
        kind: match a.kind {
            alerts::AlertKind::OverdueBreach => AlertKind::OverdueBreach,
            alerts::AlertKind::LargePayment => AlertKind::LargePayment,
            alerts::AlertKind::NewComplaint => AlertKind::NewComplaint,
        },
        ma_tinh: a.ma_tinh,
        ten_tinh: a.ten_tinh,
        title: a.title,
        detail: a.detail,
        amount: a.amount,
        at: a.at,
        version,
        raised_at_us: chrono::Utc::now().timestamp_micros(),
    }
}

impl Projection {
    /// Loads every canonical table from `store` and computes the first snapshot.
    ///
    /// # Errors
    /// A store read or a KPI computation failure.
    pub async fn load(store: &Store) -> Result<Projection, Error> {
        Self::load_with(store, AlertConfig::default()).await
    }

    /// [`Projection::load`] with alert thresholds.
    ///
    /// # Errors
    /// A store read or a KPI computation failure.
    pub async fn load_with(store: &Store, config: AlertConfig) -> Result<Projection, Error> {
        let started = Instant::now();
        let instance = feed::random_id();
        // The head first: rows committed during the load are re-read after it, never missed.
        let head = feed::head(store).await.map_err(store::Error::from)?;
        let (mut frames, as_of) = load_frames(store).await?;
        let loaded_s = started.elapsed().as_secs_f64();
        let (inner, first) = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let started = Instant::now();
            KpiEngine::prepare(&mut frames)?;
            let (engine, kpi) = match as_of {
                Some(as_of) => {
                    let (engine, snapshot) = KpiEngine::new(&frames, as_of, config)?;
                    (Some(engine), Some(snapshot))
                }
                None => (None, None),
            };
            let version = u64::try_from(head).unwrap_or(0);
            let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
            let first = Published::new(version, instance, kpi, elapsed_ms);
            Ok((Inner { frames, engine }, first))
        })
        .await
        .map_err(|_| Error::Join)??;
        tracing::info!(
            loaded_s,
            compute_ms = first.compute_ms,
            "analytical projection ready"
        );
        let first = Arc::new(first);
        let (published, _) = watch::channel(first.clone());
        Ok(Projection {
            inner: Arc::new(Mutex::new(inner)),
            published,
            stream: broadcast::channel(STREAM_BUFFER).0,
            history: Arc::new(Mutex::new(VecDeque::from([first]))),
            health: watch::channel(FeedHealth {
                failing: None,
                stale: false,
            })
            .0,
            as_of,
        })
    }

    /// Whether the updater keeps up with the change log, now and whenever that changes.
    pub fn health(&self) -> watch::Receiver<FeedHealth> {
        self.health.subscribe()
    }

    /// The latest snapshot and every later one (only the newest is kept).
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
        let guard = self.inner.lock().map_err(|_| Error::Join)?;
        Ok(f(&guard.frames, self.as_of))
    }

    /// Every version from now on (bounded: a receiver [`STREAM_BUFFER`] versions behind gets
    /// `Lagged`), and the latest version at the time of subscribing — nothing falls between.
    pub fn stream(&self) -> (broadcast::Receiver<Arc<Published>>, Arc<Published>) {
        let rx = self.stream.subscribe();
        (rx, self.latest())
    }

    /// Version `version` and every later one up to the latest, when all are still kept and
    /// each later one was computed from the one before; `None` otherwise (send a snapshot).
    pub fn since(&self, version: u64) -> Option<Vec<Arc<Published>>> {
        let history = self.history.lock().ok()?;
        let pos = history.iter().position(|p| p.version == version)?;
        let chain: Vec<Arc<Published>> = history.iter().skip(pos).cloned().collect();
        chain
            .windows(2)
            .all(|w| w[1].base == Some(w[0].version))
            .then_some(chain)
    }

    fn publish(&self, next: Published) {
        let next = Arc::new(next);
        if let Ok(mut history) = self.history.lock() {
            history.push_back(next.clone());
            while history.len() > HISTORY {
                history.pop_front();
            }
        }
        self.published.send_replace(next.clone());
        // No live stream is not an error.
        let _ = self.stream.send(next);
    }
    /// Applies the change log until `token` is cancelled (see the module doc).
    pub fn spawn_updater(
        &self,
        store: Store,
        feed: &Feed,
        token: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let feed = feed.clone();
        tokio::spawn(async move {
            // Set when a computation failed: the frames may be half-updated, so the next
            // update reloads every table.
            let mut reload = false;
            let mut failing_since: Option<(Instant, String)> = None;
            let mut pruned_at = Instant::now();
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    () = feed.woken() => settle(&feed).await,
                    () = tokio::time::sleep(POLL) => {}
                }
                loop {
                    match this.catch_up(&store, reload).await {
                        Ok(applied) => {
                            if applied.is_some() {
                                reload = false;
                            }
                            if failing_since.take().is_some() {
                                tracing::info!("projection reads the change log again");
                            }
                            this.report(None);
                            if applied != Some(true) {
                                break;
                            }
                        }
                        Err(e) => {
                            // A pending reload stays pending through read failures.
                            reload |= matches!(e, Error::Queries(_) | Error::Join);
                            if failing_since.is_none() {
                                tracing::error!(error = %e, reload, "projection update failed; retrying");
                                failing_since = Some((Instant::now(), now_iso()));
                            }
                            if let Some((since, at)) = &failing_since {
                                this.report(Some((since.elapsed(), at.clone(), e.to_string())));
                            }
                            break;
                        }
                    }
                }
                if pruned_at.elapsed() >= PRUNE_EVERY {
                    pruned_at = Instant::now();
                    if let Err(e) = feed::prune(&store).await {
                        tracing::warn!(error = %e, "pruning the change log");
                    }
                }
            }
        })
    }

    /// Publishes the updater's health when it changes.
    fn report(&self, failure: Option<(Duration, String, String)>) {
        let next = match failure {
            None => FeedHealth {
                failing: None,
                stale: false,
            },
            Some((elapsed, since, why)) => FeedHealth {
                stale: elapsed >= STALE_AFTER,
                failing: Some((since, why)),
            },
        };
        self.health.send_if_modified(|h| {
            let changed = *h != next;
            *h = next;
            changed
        });
    }

    /// Reads the log after the latest version and applies it: `None` when nothing was new,
    /// else whether more is waiting.
    async fn catch_up(&self, store: &Store, reload: bool) -> Result<Option<bool>, Error> {
        let from = i64::try_from(self.latest().version).unwrap_or(i64::MAX);
        let since = feed::read_after(store, from, BATCH_LIMIT)
            .await
            .map_err(store::Error::from)?;
        if since.to == from {
            return Ok(None);
        }
        if since.gap {
            tracing::warn!(
                from,
                to = since.to,
                "the change log was pruned past this instance's position; reloading"
            );
        }
        self.apply(store, &since.changes, reload || since.gap, since.to)
            .await?;
        Ok(Some(since.to - from >= BATCH_LIMIT))
    }

    /// Re-reads the changed rows (or everything), updates the KPIs and publishes version `to`.
    async fn apply(
        &self,
        store: &Store,
        batch: &ChangeSet,
        reload: bool,
        to: Position,
    ) -> Result<(), Error> {
        let mut updates = Vec::new();
        for table in Table::ALL {
            if reload {
                updates.push((table, read_rows(store, table, None).await?));
            } else if let Some(changed) = batch.rows.iter().find(|r| r.table == table) {
                updates.push((table, read_rows(store, table, Some(&changed.ids)).await?));
            }
        }
        let inner = self.inner.clone();
        let as_of = self.as_of;
        let at = now_iso();
        let (kpi, raised, incremental, compute_ms) =
            tokio::task::spawn_blocking(move || -> Result<_, Error> {
                let started = Instant::now();
                let mut guard = inner.lock().map_err(|_| Error::Join)?;
                let Inner { frames, engine } = &mut *guard;
                if reload {
                    for (table, columns) in updates {
                        frames.set_table(table, columns)?;
                    }
                    KpiEngine::prepare(frames)?;
                    let kpi = if let Some(engine) = engine.as_mut() {
                        Some(engine.rebuild(frames)?)
                    } else if let Some(as_of) = as_of {
                        let (new, kpi) = KpiEngine::new(frames, as_of, AlertConfig::default())?;
                        *engine = Some(new);
                        Some(kpi)
                    } else {
                        None
                    };
                    return Ok((kpi, Vec::new(), false, started.elapsed()));
                }
                match engine.as_mut() {
                    Some(engine) => {
                        let update = engine.apply(frames, updates, &at)?;
                        tracing::debug!(
                            frames_mib = frames.estimated_bytes() / (1 << 20),
                            "frames after an update"
                        );
                        Ok((
                            Some(update.snapshot),
                            update.alerts,
                            update.incremental,
                            started.elapsed(),
                        ))
                    }
                    None => {
                        for (table, columns) in updates {
                            frames.upsert(table, columns)?;
                        }
                        Ok((None, Vec::new(), false, started.elapsed()))
                    }
                }
            })
            .await
            .map_err(|_| Error::Join)??;
        let previous = self.latest();
        let version = u64::try_from(to).unwrap_or(previous.version);
        let alerts: Vec<Alert> = raised.into_iter().map(|a| wire_alert(a, version)).collect();
        let mut recent = (*previous.recent_alerts).clone();
        recent.extend(alerts.iter().cloned());
        while recent.len() > RECENT_ALERTS {
            recent.pop_front();
        }
        let compute_ms = compute_ms.as_secs_f64() * 1e3;
        tracing::debug!(
            version,
            compute_ms,
            incremental,
            alerts = alerts.len(),
            "KPI version"
        );
        self.publish(Published {
            base: incremental.then_some(previous.version),
            alerts,
            recent_alerts: Arc::new(recent),
            ..Published::new(version, previous.instance, kpi, compute_ms)
        });
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

/// Waits until the wake-ups have been quiet for [`SETTLE`], at most [`BATCH_WINDOW`]: a burst
/// of commits becomes one update.
async fn settle(feed: &Feed) {
    let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
    loop {
        let until = deadline.min(tokio::time::Instant::now() + SETTLE);
        if tokio::time::timeout_at(until, feed.woken()).await.is_err()
            || tokio::time::Instant::now() >= deadline
        {
            return;
        }
    }
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
    /// Reading every table from the store into Polars.
    pub load_s: f64,
    /// `kpi::compute_snapshot` from every row (the engine's first snapshot costs the same).
    pub scratch_ms_median: f64,
    /// Building the engine (facts from every row, then every level).
    pub engine_build_ms: f64,
    /// Building the row indexes a batch looks rows up with (once, at load).
    pub index_ms: f64,
    /// Every level, rate and series from the engine's cached facts (median of `runs`).
    pub recompute_ms_median: f64,
    pub recompute_ms_min: f64,
    /// Cases changed per micro-batch (spread over the whole country).
    pub batch_rows: usize,
    /// Applying one micro-batch and publishing the new snapshot: upsert, incremental facts,
    /// every level (median and max of `runs` batches).
    pub batch_ms_median: f64,
    pub batch_ms_max: f64,
    /// Median time of each phase of those batches (see `queries::engine::Update::phases`).
    pub batch_phases_ms: Vec<(&'static str, f64)>,
    /// A mixed micro-batch of 1,000 rows: 250 changed cases, 250 new cases, 250 new decisions
    /// and 250 new receipts of existing cases (median and max of `runs` batches).
    pub mixed_ms_median: f64,
    pub mixed_ms_max: f64,
    /// After every batch of both kinds, the engine's snapshot equals `compute_snapshot` (the
    /// all-Polars path) on the same frames.
    pub batch_equals_scratch: bool,
}

/// `so_tien_da_thi_hanh` raised by 1 đồng, so that re-read cases really change.
fn paid_one_more(mut rows: Vec<ColumnData>) -> Vec<ColumnData> {
    let paid = Table::ViecThiHanh
        .columns()
        .iter()
        .position(|c| c.name == "so_tien_da_thi_hanh");
    if let Some(ColumnData::Int(paid)) = paid.and_then(|i| rows.get_mut(i)) {
        for v in paid.iter_mut().flatten() {
            *v += 1;
        }
    }
    rows
}

/// 250 existing rows of `table`, spread over its ids (offset by `run`).
async fn spread_rows(
    store: &Store,
    frames: &Frames,
    table: Table,
    run: usize,
) -> Result<Vec<ColumnData>, Error> {
    let stride = i64::try_from(frames.height(table) / 250)
        .unwrap_or(1)
        .max(2);
    let offset = i64::try_from(run).unwrap_or(0) % (stride - 1) + 1;
    let ids: Vec<i64> = (0..250).map(|k| k * stride + offset).collect();
    read_rows(store, table, Some(&ids)).await
}

/// Copies of `rows` under new ids after `first` (and, for cases, new numbers).
fn as_new_rows(mut rows: Vec<ColumnData>, first: i64, tag: &str) -> Vec<ColumnData> {
    if let Some(ColumnData::Int(ids)) = rows.first_mut() {
        for (k, id) in (1..).zip(ids.iter_mut()) {
            *id = Some(first + k);
        }
    }
    if let Some(ColumnData::Text(numbers)) = rows.get_mut(1) {
        for n in numbers.iter_mut().flatten() {
            n.push_str(tag);
        }
    }
    rows
}

/// Run `run` of the mixed micro-batch (see [`BenchReport::mixed_ms_median`]).
async fn mixed_batch(
    store: &Store,
    frames: &Frames,
    run: usize,
) -> Result<Vec<(Table, Vec<ColumnData>)>, Error> {
    let offset = i64::try_from(run).unwrap_or(0) * 250;
    let mut out = vec![(
        Table::ViecThiHanh,
        paid_one_more(spread_rows(store, frames, Table::ViecThiHanh, run + 7).await?),
    )];
    for table in [Table::ViecThiHanh, Table::QuyetDinh, Table::BienLai] {
        let rows = spread_rows(store, frames, table, run).await?;
        let first = frames.max_int(table, "id")?.unwrap_or(0) + offset;
        out.push((table, as_new_rows(rows, first, &format!("-b{run}"))));
    }
    // One upsert per table: the changed and the new cases together.
    let new_cases = out.remove(1).1;
    if let Some((_, changed)) = out.first_mut() {
        for (column, extra) in changed.iter_mut().zip(new_cases) {
            match (column, extra) {
                (ColumnData::Int(a), ColumnData::Int(b)) => a.extend(b),
                (ColumnData::Text(a), ColumnData::Text(b)) => a.extend(b),
                (ColumnData::Date(a), ColumnData::Date(b)) => a.extend(b),
                (ColumnData::Float(a), ColumnData::Float(b)) => a.extend(b),
                _ => {}
            }
        }
    }
    Ok(out)
}

fn median(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    if n == 0 {
        return (0.0, 0.0, 0.0);
    }
    (times[n / 2], times[0], times[n - 1])
}

/// Loads the store into Polars; times `runs` from-scratch snapshots, the engine build, `runs`
/// recomputes from cached facts and `runs` micro-batches of 1,000 changed cases (re-read from
/// the store, `so_tien_da_thi_hanh` raised by 1 đồng so each batch really changes them).
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
    let cases = frames.height(Table::ViecThiHanh);
    let stride = i64::try_from(cases / 1000).unwrap_or(1).max(1);
    let mut batches = Vec::with_capacity(runs);
    for run in 0..runs {
        let offset = i64::try_from(run).unwrap_or(0) % stride + 1;
        let ids: Vec<i64> = (0..1000).map(|k| k * stride + offset).collect();
        batches.push(vec![(
            Table::ViecThiHanh,
            paid_one_more(read_rows(store, Table::ViecThiHanh, Some(&ids)).await?),
        )]);
    }
    let mut mixed = Vec::with_capacity(runs);
    for run in 0..runs {
        mixed.push(mixed_batch(store, &frames, run).await?);
    }
    tokio::task::spawn_blocking(move || {
        let mut scratch = Vec::with_capacity(runs);
        for _ in 0..runs {
            scratch.push(kpi::bench_recompute(&frames, as_of)?.1.as_secs_f64() * 1e3);
        }
        let t = Instant::now();
        let (mut engine, _) = KpiEngine::new(&frames, as_of, AlertConfig::default())?;
        let engine_build_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        KpiEngine::prepare(&mut frames)?;
        let index_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut recompute = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            engine.recompute(&frames)?;
            recompute.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let batch_rows = batches
            .first()
            .and_then(|b| b.first())
            .and_then(|(_, rows)| rows.first())
            .map_or(0, ColumnData::len);
        let mut phases: Vec<(&'static str, Vec<f64>)> = Vec::new();
        let mut timed = |batches: Vec<Vec<(Table, Vec<ColumnData>)>>,
                         phases: &mut Vec<(&'static str, Vec<f64>)>|
         -> Result<_, Error> {
            let mut times = Vec::with_capacity(batches.len());
            let mut last = None;
            for changes in batches {
                let t = Instant::now();
                let update = engine.apply(&mut frames, changes, &now_iso())?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
                for (name, d) in update.phases {
                    let ms = d.as_secs_f64() * 1e3;
                    match phases.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, v)) => v.push(ms),
                        None => phases.push((name, vec![ms])),
                    }
                }
                last = Some(update.snapshot);
            }
            Ok((times, last))
        };
        let (batch_times, _) = timed(batches, &mut phases)?;
        let batch_phases_ms = phases
            .into_iter()
            .map(|(name, v)| (name, median(v).0))
            .collect();
        let (mixed_times, last) = timed(mixed, &mut Vec::new())?;
        let batch_equals_scratch = match last {
            Some(mut snap) => {
                let mut scratch = kpi::compute_snapshot(&frames, as_of)?;
                snap.version = 0;
                scratch.version = 0;
                snap == scratch
            }
            None => false,
        };
        let (scratch_ms_median, _, _) = median(scratch);
        let (recompute_ms_median, recompute_ms_min, _) = median(recompute);
        let (batch_ms_median, _, batch_ms_max) = median(batch_times);
        let (mixed_ms_median, _, mixed_ms_max) = median(mixed_times);
        Ok(BenchReport {
            cases,
            load_s,
            scratch_ms_median,
            engine_build_ms,
            index_ms,
            recompute_ms_median,
            recompute_ms_min,
            batch_rows,
            batch_ms_median,
            batch_ms_max,
            batch_phases_ms,
            mixed_ms_median,
            mixed_ms_max,
            batch_equals_scratch,
        })
    })
    .await
    .map_err(|_| Error::Join)?
}
