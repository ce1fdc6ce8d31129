//! The `ioc` command line: one binary, one subcommand per job.

use crate::config::{Config, ConfigError};
use crate::seed::{self, Params};
use crate::store;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// THADS IOC — Trung tâm điều hành thi hành án dân sự.
#[derive(Debug, Parser)]
#[command(name = "ioc", version, about, propagate_version = true)]
pub struct Cli {
    /// Database URL: `sqlite:PATH` or `postgres://USER@HOST/DB` (default: $DATABASE_URL, else sqlite:data/ioc.db).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application.
    Serve(ServeArgs),
    /// Write the deterministic demo/national dataset into the database.
    Seed(SeedArgs),
    /// Measure a part of the system; prints the numbers docs/BENCHMARKS.md records.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Send a realistic stream of domain events to a running server's ingest API.
    Simulate(SimulateArgs),
    /// Answer one question in Vietnamese (the analyst console's pipeline, on this store).
    Ask(crate::eval::AskArgs),
    /// Score the question pipeline on a question set (execution accuracy, latency).
    Eval(crate::eval::EvalArgs),
    /// Manage accounts (add, reset-password).
    #[command(subcommand)]
    User(crate::auth::cli::UserCommand),
    /// Manage the wall display's kiosk tokens (create, revoke, list).
    #[command(subcommand)]
    KioskToken(crate::auth::cli::KioskCommand),
}

/// Options of `ioc simulate` (cases and offices are read from --database-url, read-only).
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Base URL of the running server.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Events per second.
    #[arg(long, default_value_t = 50.0, value_parser = parse_rate)]
    pub rate: f64,
    /// Stop after this many events (default: until Ctrl-C).
    #[arg(long)]
    pub count: Option<u64>,
    /// Bearer token of the ingest API.
    #[arg(long, env = "IOC_INGEST_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Events per request.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// Simulated events per working day (how fast the simulated calendar runs).
    #[arg(long, default_value_t = 400.0, value_parser = parse_rate)]
    pub events_per_day: f64,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let x: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if x.is_finite() && x > 0.0 && x <= 100_000.0 {
        Ok(x)
    } else {
        Err("must be in (0, 100000]".into())
    }
}

/// What `ioc bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load the GGUF, prefill a fixed ~800-token prompt and generate 128 tokens greedily.
    Model(BenchModelArgs),
    /// Load the store into Polars, time full KPI recomputes and a 1,000-case micro-batch.
    Kpi(BenchKpiArgs),
    /// Open SSE clients on a running server, post events, time their delivery (or, with
    /// `--posts 0`, hold idle clients and report the server's memory).
    Live(BenchLiveArgs),
}

/// Options of `ioc bench live`.
#[derive(Debug, Args)]
pub struct BenchLiveArgs {
    /// `host:port` of the running server.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// SSE clients to open.
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Events to post (one new case each); 0 only holds the clients.
    #[arg(long, default_value_t = 30)]
    pub posts: usize,
    /// Milliseconds between posts.
    #[arg(long, default_value_t = 1000)]
    pub interval_ms: u64,
    /// Seconds to hold the clients at the end.
    #[arg(long, default_value_t = 3)]
    pub hold_s: u64,
    /// The server's process id (its resident memory is read from /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Bearer token of the ingest API.
    #[arg(long, env = "IOC_INGEST_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A kiosk token (`ioc kiosk-token create`): the SSE clients read `/api/live` with it.
    #[arg(long, env = "IOC_KIOSK_TOKEN", hide_env_values = true)]
    pub kiosk_token: Option<String>,
}

/// Options of `ioc bench kpi`.
#[derive(Debug, Args)]
pub struct BenchKpiArgs {
    /// Full recomputes to time (the median and the minimum are printed).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

/// Options of `ioc bench model`.
#[derive(Debug, Args)]
pub struct BenchModelArgs {
    /// GGUF file (default: $IOC_MODEL_PATH, else the default model in the cache).
    #[arg(long, value_name = "PATH")]
    pub model: Option<std::path::PathBuf>,
    /// Compute threads (default: the model crate's choice).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object (the only output format; accepted for scripts).
    #[arg(long)]
    pub json: bool,
}

/// Options of `ioc serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
}

/// Options of `ioc seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seed of the pseudo-random generator: same seed and scale give identical data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The data's "today" (YYYY-MM-DD); no row is dated after it.
    #[arg(long, default_value = "2026-11-20")]
    pub as_of: NaiveDate,
    /// Share of the national volume (1.0 ≈ 1.75 M cases).
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    pub scale: f64,
    /// Replace the data of a non-empty database.
    #[arg(long, conflicts_with = "if_empty")]
    pub force: bool,
    /// Do nothing, successfully, when the database already holds data.
    #[arg(long)]
    pub if_empty: bool,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let x: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if x.is_finite() && x > 0.0 && x <= 4.0 {
        Ok(x)
    } else {
        Err("scale must be in (0, 4]".into())
    }
}

/// Failures of a subcommand, shown as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Seed(#[from] seed::Error),
    #[error(transparent)]
    Projection(#[from] crate::projection::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("model: {0}")]
    Model(#[from] model::Error),
    #[error("model: no model path; set IOC_MODEL_PATH or pass --model")]
    NoModelPath,
    #[error("the benchmark thread failed")]
    Join,
    #[error("cannot print the report: {0}")]
    Json(#[from] serde_json::Error),
    #[error("simulate: {0}")]
    Simulate(#[from] crate::ingest::simulate::Error),
    #[error("{0}")]
    Account(#[from] crate::auth::accounts::Error),
    #[error("bench live: {0}")]
    Bench(String),
    #[error("{0}")]
    Ask(#[from] crate::eval::Error),
}

/// Parses the command line, runs the subcommand, and maps failure to exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
        .and_then(|rt| {
            let result = rt.block_on(dispatch(cli));
            // Work left on blocking threads (a language model still loading) must not hold
            // up the exit: it has nothing to save.
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            result
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ioc: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command.
///
/// # Errors
/// The subcommand's failure.
pub async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let mut cfg = Config::from_env()?;
    if let Some(url) = cli.database_url {
        cfg.database_url = url;
    }
    match cli.command {
        Command::Serve(args) => serve(&cfg, args).await,
        Command::Ask(args) => Ok(crate::eval::ask(&cfg, args).await?),
        Command::Eval(args) => Ok(crate::eval::eval(&cfg, args).await?),
        Command::Bench(BenchCommand::Kpi(args)) => {
            let store = store::Store::connect(&cfg.database_url).await?;
            let report = crate::projection::bench(&store, args.runs.max(1)).await;
            store.close().await;
            println!("{}", serde_json::to_string(&report?)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Live(args)) => {
            let opts = crate::live_bench::Options {
                addr: args.addr,
                clients: args.clients,
                posts: args.posts,
                interval: std::time::Duration::from_millis(args.interval_ms),
                token: args.token.or(cfg.ingest_token).unwrap_or_default(),
                kiosk_token: args.kiosk_token,
                server_pid: args.server_pid,
                hold: std::time::Duration::from_secs(args.hold_s),
            };
            let report = crate::live_bench::run(&opts)
                .await
                .map_err(CliError::Bench)?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Bench(BenchCommand::Model(args)) => {
            let path = args.model.or(cfg.model_path).ok_or(CliError::NoModelPath)?;
            let report =
                tokio::task::spawn_blocking(move || model::bench::run(&path, args.threads))
                    .await
                    .map_err(|_| CliError::Join)??;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Simulate(args) => {
            let store = store::Store::connect(&cfg.database_url).await?;
            let opts = crate::ingest::simulate::Options {
                url: args.url,
                token: args.token.or(cfg.ingest_token).unwrap_or_default(),
                rate: args.rate,
                count: args.count,
                batch: usize::from(args.batch),
                seed: args.seed,
                events_per_day: args.events_per_day,
            };
            let result = crate::ingest::simulate::run(&store, &opts).await;
            store.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::User(cmd) => {
            let store = store::Store::connect(&cfg.database_url).await?;
            store.migrate().await?;
            let result = crate::auth::cli::user(&store, cmd).await;
            store.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::KioskToken(cmd) => {
            let store = store::Store::connect(&cfg.database_url).await?;
            store.migrate().await?;
            let result = crate::auth::cli::kiosk(&store, cmd).await;
            store.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Seed(args) => {
            let store = store::Store::connect(&cfg.database_url).await?;
            store.migrate().await?;
            let params = Params {
                seed: args.seed,
                as_of: args.as_of,
                scale: args.scale,
            };
            let result = seed::run(&store, &params, args.force).await;
            // The demo accounts of the README (one per role), also into an already seeded
            // database that lacks them.
            let accounts = match &result {
                Ok(_) | Err(seed::Error::NotEmpty) => Some(crate::auth::demo::create(&store).await),
                Err(_) => None,
            };
            store.close().await;
            if let Some(created) = accounts {
                let created = created?;
                if !created.is_empty() {
                    println!("demo accounts: {}", created.join(", "));
                }
            }
            match result {
                Ok(summary) => println!("{summary}"),
                Err(seed::Error::NotEmpty) if args.if_empty => {
                    println!("ioc seed: the database already holds data; kept it")
                }
                Err(e) => return Err(e.into()),
            }
            Ok(())
        }
    }
}

async fn serve(cfg: &Config, args: ServeArgs) -> Result<(), CliError> {
    let state = crate::build_state(cfg).await?;
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(|source| CliError::Listen {
            addr: args.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| CliError::Listen {
        addr: args.addr,
        source,
    })?;
    tracing::info!(%addr, database = %store::redact(&cfg.database_url), "listening");
    println!("THADS IOC: http://{addr}/");
    let token = CancellationToken::new();
    tokio::spawn(cancel_on_signal(token.clone()));
    let store = state.store.clone();
    let served = crate::run(listener, state, token).await;
    store.close().await;
    served.map_err(CliError::Serve)
}

/// Cancels `token` on Ctrl-C or SIGTERM.
async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
    token.cancel();
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // A second initialisation (tests) is harmless; ignore it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_subcommand_and_flag_are_usage_errors() {
        assert!(Cli::try_parse_from(["ioc", "fly"]).is_err());
        assert!(Cli::try_parse_from(["ioc", "seed", "--bogus"]).is_err());
        assert!(Cli::try_parse_from(["ioc", "seed", "--scale", "0"]).is_err());
        assert!(Cli::try_parse_from(["ioc", "seed", "--as-of", "20/11/2026"]).is_err());
        let ok = Cli::try_parse_from([
            "ioc",
            "--database-url",
            "sqlite:x.db",
            "seed",
            "--scale",
            "0.01",
        ]);
        assert!(
            matches!(ok.map(|c| c.command), Ok(Command::Seed(SeedArgs { scale, .. })) if (scale - 0.01).abs() < 1e-12)
        );
    }

    #[test]
    fn simulate_needs_a_url_and_a_sane_rate() {
        assert!(Cli::try_parse_from(["ioc", "simulate"]).is_err());
        assert!(
            Cli::try_parse_from(["ioc", "simulate", "--url", "http://x", "--rate", "0"]).is_err()
        );
        let ok = Cli::try_parse_from(["ioc", "simulate", "--url", "http://x", "--count", "5"]);
        assert!(matches!(
            ok.map(|c| c.command),
            Ok(Command::Simulate(SimulateArgs {
                count: Some(5),
                batch: 10,
                ..
            }))
        ));
    }
}
