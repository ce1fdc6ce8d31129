//! The system of record: one store over SQLite (the zero-set-up default) or PostgreSQL.
//!
//! Queries are written once, in portable SQL with runtime-checked `sqlx::query*` (the
//! compile-time macros check against one database kind only, launchbadge/sqlx#916), and run on
//! either pool through `on_pool!`. SQL that only PostgreSQL speaks (`COPY`) lives in
//! [`bulk`] beside its SQLite counterpart.

pub mod bulk;
mod sql;

pub use sql::{Arg, Row, WriteTx};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Failures of the store, in its own words.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unsupported database URL {0:?}: expected sqlite:PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot create directory for {path}: {source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Statements slower than this are logged as warnings. Whole-table reads at startup (the
/// analytical projection) legitimately take seconds at national scale.
const SLOW_STATEMENT: Duration = Duration::from_secs(30);

/// How long a statement waits for a pool connection or a lock before the database counts as
/// busy: a request then gets a prompt 503 with `Retry-After` instead of hanging.
pub const WAIT: Duration = Duration::from_secs(2);

/// Seconds a client is told to wait (`Retry-After`) when the database is unavailable.
pub const RETRY_AFTER_S: u64 = 5;

/// Whether `e` is the database's temporary state rather than a fault of the request or the
/// code: busy or locked, unreachable, shutting down, read-only or full. Such errors answer 503
/// with `Retry-After`. When SQLite reports a read-only file this also retires the pool's
/// current connections (see [`Store::connect`]), so a file made writable again is used again
/// without a restart.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if let Ok(extended) = code.parse::<i32>() {
                // SQLite: BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
                let primary = extended & 0xff;
                if primary == 8 {
                    reopen::after_read_only();
                }
                return matches!(primary, 5 | 6 | 8 | 10 | 13 | 14);
            }
            // PostgreSQL: connection exceptions, operator intervention (shutdown), insufficient
            // resources, a read-only (standby) transaction, a lock not granted in time.
            code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || code == "25006"
                || code == "55P03"
        }
        _ => false,
    }
}

/// SQLite opens a file it may not write read-only, silently, and a pooled connection stays
/// read-only after the file becomes writable. Connections opened before the last read-only
/// error are closed instead of reused ([`keep`]).
mod reopen {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Milliseconds since [`origin`] of the last read-only error.
    static READ_ONLY_AT_MS: AtomicU64 = AtomicU64::new(0);

    fn origin() -> Instant {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        *ORIGIN.get_or_init(Instant::now)
    }

    fn now_ms() -> u64 {
        u64::try_from(origin().elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(super) fn after_read_only() {
        // +1: a connection opened in this very millisecond is retired too.
        READ_ONLY_AT_MS.fetch_max(now_ms() + 1, Ordering::Relaxed);
    }

    /// Whether a connection of age `age` may be reused.
    pub(super) fn keep(age: Duration) -> bool {
        let opened = now_ms().saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX));
        opened >= READ_ONLY_AT_MS.load(Ordering::Relaxed)
    }
}

/// Result of store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to the system of record.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression on whichever pool the store holds: `on_pool!(store, pool => expr)`.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The embedded migrations of `server/migrations/`, portable to both backends.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens a pool for `url` (`sqlite:PATH`, `sqlite::memory:`, `postgres://…`). A SQLite file
    /// and its directory are created when missing; SQLite runs in WAL mode with foreign keys on.
    /// Waits for a connection or a lock at most [`WAIT`]; SQLite connections opened before a
    /// read-only error are not reused (see [`unavailable`]).
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for another scheme, [`Error::Connect`] when the database
    /// cannot be opened.
    pub async fn connect(url: &str) -> Result<Store> {
        let connect_err = |source| Error::Connect {
            url: redact(url),
            source,
        };
        match Backend::of_url(url)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(WAIT)
                    .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
                if let Some(dir) = opts.get_filename().parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|source| Error::Dir {
                            path: dir.display().to_string(),
                            source,
                        })?;
                    }
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(WAIT)
                    .before_acquire(|_, meta| Box::pin(async move { Ok(reopen::keep(meta.age)) }))
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Store::Sqlite(pool))
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    // A statement waits for a lock at most WAIT (then 55P03: a 503).
                    .options([("lock_timeout", format!("{}ms", WAIT.as_millis()))])
                    .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(WAIT)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the pending migrations (idempotent).
    ///
    /// # Errors
    /// [`Error::Migrate`] when a migration fails or the applied ones were edited.
    pub async fn migrate(&self) -> Result<()> {
        on_pool!(self, pool => MIGRATOR.run(pool).await?);
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }

    /// Checks that the store can be read and written, changing nothing (a write rolled back).
    ///
    /// # Errors
    /// [`Error::Sql`] when either fails.
    pub async fn probe(&self) -> Result<()> {
        const WRITE: &str = "UPDATE app_meta SET gia_tri = gia_tri WHERE khoa = 'as_of'";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT 1").execute(&mut *tx).await?;
            sqlx::query(WRITE).execute(&mut *tx).await?;
            tx.rollback().await?;
        });
        Ok(())
    }

    /// Whether any canonical data is present.
    ///
    /// # Errors
    /// [`Error::Sql`] when the query fails (e.g. migrations not applied).
    pub async fn has_data(&self) -> Result<bool> {
        const SQL: &str = "SELECT (SELECT COUNT(*) FROM don_vi) + (SELECT COUNT(*) FROM viec_thi_hanh) + (SELECT COUNT(*) FROM lich)";
        let n: i64 = on_pool!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await?);
        Ok(n > 0)
    }

    /// Reads a value of `app_meta`.
    ///
    /// # Errors
    /// [`Error::Sql`] when the query fails.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        const SQL: &str = "SELECT gia_tri FROM app_meta WHERE khoa = $1";
        Ok(on_pool!(self, pool => sqlx::query_scalar(SQL).bind(key).fetch_optional(pool).await?))
    }

    /// Writes a value of `app_meta` (insert or replace).
    ///
    /// # Errors
    /// [`Error::Sql`] when the statement fails.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        const SQL: &str = "INSERT INTO app_meta (khoa, gia_tri) VALUES ($1, $2) \
                           ON CONFLICT (khoa) DO UPDATE SET gia_tri = excluded.gia_tri";
        on_pool!(self, pool => sqlx::query(SQL).bind(key).bind(value).execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Headline national counts for the home page.
    ///
    /// # Errors
    /// [`Error::Sql`] when the query fails.
    pub async fn national_totals(&self) -> Result<NationalCounts> {
        const SQL: &str = "SELECT \
            (SELECT COUNT(*) FROM tinh) AS provinces, \
            (SELECT COUNT(*) FROM don_vi WHERE cap = 'khu_vuc') AS regional_offices, \
            (SELECT COUNT(*) FROM can_bo WHERE la_chap_hanh_vien = 1 AND dang_cong_tac = 1) AS active_officers, \
            (SELECT COUNT(*) FROM viec_thi_hanh) AS cases, \
            (SELECT COUNT(*) FROM viec_thi_hanh WHERE trang_thai NOT IN ('xong', 'dinh_chi', 'uy_thac')) AS open_cases, \
            (SELECT CAST(COALESCE(SUM(so_tien), 0) AS BIGINT) FROM bien_lai WHERE trang_thai = 'hop_le') AS receipts_dong";
        let counts =
            on_pool!(self, pool => sqlx::query_as::<_, NationalCounts>(SQL).fetch_one(pool).await?);
        Ok(counts)
    }

    /// Row count of a table of the canonical schema.
    ///
    /// # Errors
    /// [`Error::Sql`] when the query fails.
    pub async fn count_rows(&self, table: queries::schema::Table) -> Result<i64> {
        // The table name comes from the schema enum, never from input.
        let sql = format!("SELECT COUNT(*) FROM {}", table.name());
        Ok(on_pool!(self, pool => sqlx::query_scalar(&sql).fetch_one(pool).await?))
    }
}

/// Headline counts read by [`Store::national_totals`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NationalCounts {
    pub provinces: i64,
    pub regional_offices: i64,
    pub active_officers: i64,
    pub cases: i64,
    pub open_cases: i64,
    pub receipts_dong: i64,
}

impl Backend {
    /// The backend a database URL names.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for any other scheme.
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::UnsupportedUrl(redact(url)))
        }
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(
            Backend::of_url("sqlite:data/ioc.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgres://postgres@127.0.0.1/test").ok(),
            Some(Backend::Postgres)
        );
        assert!(matches!(
            Backend::of_url("mysql://x"),
            Err(Error::UnsupportedUrl(_))
        ));
        assert!(matches!(
            Backend::of_url("data/ioc.db"),
            Err(Error::UnsupportedUrl(_))
        ));
    }

    #[test]
    fn unavailability_is_told_from_faults() {
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(!unavailable(&sqlx::Error::RowNotFound));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:data/ioc.db"), "sqlite:data/ioc.db");
    }
}
