//! `ioc seed`: the deterministic national dataset ([`generate`]) written into the store.
//!
//! The generator runs on a blocking thread and hands batches of rows over a bounded channel to
//! the async loader, so generation and insertion overlap on the two cores. A batch always holds
//! parents before children, which keeps foreign keys valid at every commit.

pub mod generate;

pub use generate::{Params, Sink, Val};

use crate::store::{self, Store};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use queries::schema::Table;
use std::fmt;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Rows buffered by the generator before a batch is handed to the loader.
const BATCH_ROWS: usize = 50_000;
/// Batches in flight between generator and loader (bounded: the generator waits).
const QUEUE_BATCHES: usize = 4;

/// Failures of `ioc seed`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database already holds data; run again with --force to replace it (nothing was changed)")]
    NotEmpty,
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("the data generator stopped unexpectedly")]
    Generator,
}

/// What a seed run wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub rows: Vec<(Table, u64)>,
    pub elapsed: Duration,
    pub database_bytes: i64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<22} {:>12}", "table", "rows")?;
        for (table, n) in &self.rows {
            writeln!(f, "{:<22} {:>12}", table.name(), n)?;
        }
        let total: u64 = self.rows.iter().map(|(_, n)| n).sum();
        writeln!(f, "{:<22} {:>12}", "total", total)?;
        write!(
            f,
            "seeded in {:.1} s; database size {:.1} MiB",
            self.elapsed.as_secs_f64(),
            self.database_bytes as f64 / (1024.0 * 1024.0)
        )
    }
}

enum Msg {
    Expect(Table, u64),
    Rows(Table, Vec<Vec<Val>>),
}

/// Generates the dataset for `params` and loads it into `store`.
///
/// # Errors
/// [`Error::NotEmpty`] when the store holds data and `force` is false (nothing is changed);
/// a store error when loading fails.
pub async fn run(store: &Store, params: &Params, force: bool) -> Result<Summary, Error> {
    let started = Instant::now();
    if store.has_data().await? {
        if !force {
            return Err(Error::NotEmpty);
        }
        tracing::info!("--force: deleting existing data");
        store.clear_all().await?;
    }
    let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE_BATCHES);
    let gen_params = *params;
    let generator = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink::new(tx);
        generate::generate(&gen_params, &mut sink).and_then(|()| sink.flush())
    });

    let mut bars = Bars::new();
    let mut loader = store.bulk_loader().await?;
    let mut counts = [0u64; Table::ALL.len()];
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Expect(table, n) => bars.expect(table, n),
            Msg::Rows(table, rows) => {
                loader.insert(table, &rows).await?;
                counts[table as usize] += rows.len() as u64;
                bars.inc(table, rows.len() as u64);
            }
        }
    }
    drop(loader);
    // The channel closed: the generator finished or failed.
    match generator.await {
        Ok(Ok(())) => {}
        Ok(Err(Closed)) | Err(_) => return Err(Error::Generator),
    }
    bars.finish();
    store
        .set_meta("as_of", &params.as_of.format("%Y-%m-%d").to_string())
        .await?;
    store.set_meta("seed", &params.seed.to_string()).await?;
    store.set_meta("scale", &params.scale.to_string()).await?;
    store.finish_bulk_load().await?;
    Ok(Summary {
        rows: Table::ALL
            .iter()
            .map(|&t| (t, counts[t as usize]))
            .collect(),
        elapsed: started.elapsed(),
        database_bytes: store.database_size_bytes().await?,
    })
}

/// The loader went away (it failed); the generator stops.
#[derive(Debug)]
struct Closed;

/// Buffers generated rows per table and sends them, parents first, in batches.
struct ChannelSink {
    tx: mpsc::Sender<Msg>,
    buffers: Vec<Vec<Vec<Val>>>,
    pending: usize,
}

impl ChannelSink {
    fn new(tx: mpsc::Sender<Msg>) -> Self {
        ChannelSink {
            tx,
            buffers: vec![Vec::new(); Table::ALL.len()],
            pending: 0,
        }
    }

    /// Sends every buffered row, tables in parent-first order.
    fn flush(&mut self) -> Result<(), Closed> {
        for table in Table::ALL {
            let rows = std::mem::take(&mut self.buffers[table as usize]);
            if !rows.is_empty() {
                self.tx
                    .blocking_send(Msg::Rows(table, rows))
                    .map_err(|_| Closed)?;
            }
        }
        self.pending = 0;
        Ok(())
    }
}

impl Sink for ChannelSink {
    type Error = Closed;

    fn expect(&mut self, table: Table, rows: u64) {
        // If the loader is gone, the next `row` reports it.
        let _ = self.tx.blocking_send(Msg::Expect(table, rows));
    }

    fn row(&mut self, table: Table, values: Vec<Val>) -> Result<(), Closed> {
        self.buffers[table as usize].push(values);
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }
}

/// One progress bar per table, added when the table's first rows are announced (drawn on
/// stderr when it is a terminal).
struct Bars {
    multi: MultiProgress,
    style: ProgressStyle,
    bars: Vec<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template(
            "{prefix:>20} [{bar:30}] {human_pos:>10}/{human_len:<10} {elapsed:>4}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        Bars {
            multi,
            style,
            bars: vec![None; Table::ALL.len()],
        }
    }

    fn bar(&mut self, table: Table) -> &ProgressBar {
        let (multi, style) = (&self.multi, &self.style);
        self.bars[table as usize].get_or_insert_with(|| {
            multi.add(
                ProgressBar::new(0)
                    .with_style(style.clone())
                    .with_prefix(table.name()),
            )
        })
    }

    fn expect(&mut self, table: Table, n: u64) {
        self.bar(table).inc_length(n);
    }

    fn inc(&mut self, table: Table, n: u64) {
        let bar = self.bar(table);
        let needed = bar.position() + n;
        if needed > bar.length().unwrap_or(0) {
            bar.set_length(needed);
        }
        bar.inc(n);
    }

    fn finish(&self) {
        for bar in self.bars.iter().flatten() {
            bar.finish();
        }
    }
}
