//! Process configuration, read once from `IOC_*` environment variables at startup.
//!
//! Nothing else in the workspace reads `std::env`. Every field has a default that works on a
//! laptop; a malformed value fails startup naming the variable.

use std::path::PathBuf;
use std::time::Duration;

use queries::sql::Limits;

/// The default SQLite database, relative to the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/ioc.db";

/// The default large-payment alert threshold: 1 tỷ đồng.
pub const DEFAULT_LARGE_PAYMENT_DONG: i64 = 1_000_000_000;

/// A configuration error, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

/// Everything the server process needs to know about its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite:PATH` (default `sqlite:data/ioc.db`) or `postgres://…`.
    pub database_url: String,
    /// `IOC_SITE_ROOT`: folder with the built site (`pkg/`: the wasm bundle and the stylesheets); default `target/site`.
    pub site_root: PathBuf,
    /// `IOC_MODEL_PATH`: the GGUF weights; default: the default model in the cache that
    /// `scripts/fetch-model.sh` fills (`$IOC_CACHE_DIR`, else `~/.cache/thads-ioc`); `off`:
    /// run without a model (dashboards only; questions answer that the model is not loaded).
    pub model_path: Option<PathBuf>,
    /// `IOC_INGEST_TOKEN`: bearer token of `POST /api/events`; unset disables ingest.
    pub ingest_token: Option<String>,
    /// `IOC_SECURE_COOKIES` (`1`/`true`): mark the session cookie `Secure` (set it when a TLS
    /// proxy serves the site; requests with `X-Forwarded-Proto: https` get it anyway).
    pub secure_cookies: bool,
    /// `IOC_ALERT_LARGE_PAYMENT`: a valid receipt of at least this many đồng raises a
    /// large-payment alert on the live stream; default 1,000,000,000 (1 tỷ đồng).
    pub alert_large_payment_dong: i64,
    /// The budget of every console, model, plan, export and task query
    /// ([`queries::sql::Limits`], defaults in its docs): `IOC_SQL_TIMEOUT_S` (seconds, may be
    /// fractional) and `IOC_SQL_MAX_COMBINED_ROWS` (rows a join or union may produce, estimated
    /// before running) override two of its bounds.
    pub sql_budget: Limits,
}

impl Config {
    /// Reads the environment.
    ///
    /// # Errors
    /// [`ConfigError`] when a variable is set but unusable.
    pub fn from_env() -> Result<Config, ConfigError> {
        let database_url = var("DATABASE_URL")?.unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let site_root =
            var("IOC_SITE_ROOT")?.map_or_else(|| PathBuf::from("target/site"), PathBuf::from);
        let cache_dir = match var("IOC_CACHE_DIR")? {
            Some(dir) => Some(PathBuf::from(dir)),
            None => var("HOME")?.map(|home| PathBuf::from(home).join(".cache").join("thads-ioc")),
        };
        let model_path = match var("IOC_MODEL_PATH")? {
            Some(off) if off == "off" => None,
            Some(path) => Some(PathBuf::from(path)),
            None => cache_dir
                .map(|dir| model::ModelPath::in_cache(&dir, model::ModelPath::DEFAULT_FILE)),
        };
        Ok(Config {
            database_url,
            site_root,
            model_path,
            ingest_token: var("IOC_INGEST_TOKEN")?,
            secure_cookies: match var("IOC_SECURE_COOKIES")?.as_deref().map(str::trim) {
                None | Some("0" | "false" | "no") => false,
                Some("1" | "true" | "yes") => true,
                Some(other) => {
                    return Err(ConfigError {
                        var: "IOC_SECURE_COOKIES",
                        reason: format!("expected 1/true or 0/false, got {other:?}"),
                    })
                }
            },
            alert_large_payment_dong: match var("IOC_ALERT_LARGE_PAYMENT")? {
                None => DEFAULT_LARGE_PAYMENT_DONG,
                Some(v) => v.trim().parse().map_err(|_| ConfigError {
                    var: "IOC_ALERT_LARGE_PAYMENT",
                    reason: format!("not a whole number of đồng: {v}"),
                })?,
            },
            sql_budget: sql_budget()?,
        })
    }

    /// A configuration for tests: a SQLite file inside `dir`.
    pub fn for_tests(dir: &std::path::Path) -> Config {
        Config {
            database_url: format!("sqlite:{}", dir.join("ioc.db").display()),
            site_root: dir.join("site"),
            model_path: None,
            ingest_token: Some("test-ingest-token".into()),
            secure_cookies: false,
            alert_large_payment_dong: DEFAULT_LARGE_PAYMENT_DONG,
            sql_budget: Limits::default(),
        }
    }
}

/// The default budget with the `IOC_SQL_*` overrides.
fn sql_budget() -> Result<Limits, ConfigError> {
    let mut budget = Limits::default();
    if let Some(v) = var("IOC_SQL_TIMEOUT_S")? {
        budget.timeout = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| ConfigError {
                var: "IOC_SQL_TIMEOUT_S",
                reason: format!("expected seconds between 0 and 3600, got {v:?}"),
            })?;
    }
    if let Some(v) = var("IOC_SQL_MAX_COMBINED_ROWS")? {
        budget.max_combined_rows =
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError {
                    var: "IOC_SQL_MAX_COMBINED_ROWS",
                    reason: format!("expected a positive whole number of rows, got {v:?}"),
                })?;
    }
    Ok(budget)
}

/// A variable's value; unset or empty is `None`, non-UTF-8 is an error.
fn var(name: &'static str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError {
            var: name,
            reason: "not valid UTF-8".into(),
        }),
    }
}
