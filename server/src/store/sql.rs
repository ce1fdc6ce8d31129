//! One way to run a statement on either backend: arguments as [`Arg`] values bound in order to
//! `$1, $2, …`, rows decoded by `sqlx::FromRow` ([`Row`]), on the pool ([`Store::all`],
//! [`Store::optional`], [`Store::one`], [`Store::exec`], each statement its own transaction) or inside a write transaction
//! ([`Store::write_tx`], [`WriteTx`]) that appends its change set to the change log before it
//! commits.

use super::{Backend, Store};
use crate::feed::{self, ChangeSet, Position};
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Postgres, Sqlite, Transaction};

/// One bound parameter. `From` conversions cover the types the canonical schema stores.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
    OptInt(Option<i64>),
    OptText(Option<String>),
    OptDate(Option<NaiveDate>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Arg {
        Arg::Float(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_owned())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(v.clone())
    }
}
impl From<NaiveDate> for Arg {
    fn from(v: NaiveDate) -> Arg {
        Arg::Date(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::OptInt(v)
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::OptText(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::OptText(v.map(str::to_owned))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::OptText(v.clone())
    }
}
impl From<Option<NaiveDate>> for Arg {
    fn from(v: Option<NaiveDate>) -> Arg {
        Arg::OptDate(v)
    }
}

/// A row type both backends can decode (derive `sqlx::FromRow`, or a tuple of such columns).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// `sqlx::query…(sql)` with `args` bound in order.
macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Float(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Date(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::OptDate(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// The four ways to run a statement, on any executor of either backend.
macro_rules! statements {
    ($on:ident, [$($recv:tt)*], $exec:expr) => {
        /// The rows of `sql`.
        ///
        /// # Errors
        /// The statement's error.
        pub async fn all<T: Row>($($recv)*, sql: &str, args: &[Arg]) -> Result<Vec<T>, sqlx::Error> {
            $on!($exec, e => bound!(sqlx::query_as::<_, T>(sql), args).fetch_all(e).await)
        }

        /// The first row of `sql`, if any.
        ///
        /// # Errors
        /// The statement's error.
        pub async fn optional<T: Row>($($recv)*, sql: &str, args: &[Arg]) -> Result<Option<T>, sqlx::Error> {
            $on!($exec, e => bound!(sqlx::query_as::<_, T>(sql), args).fetch_optional(e).await)
        }

        /// The one row of `sql`.
        ///
        /// # Errors
        /// The statement's error, or `RowNotFound`.
        pub async fn one<T: Row>($($recv)*, sql: &str, args: &[Arg]) -> Result<T, sqlx::Error> {
            $on!($exec, e => bound!(sqlx::query_as::<_, T>(sql), args).fetch_one(e).await)
        }

        /// The first column of the first row of `sql`; `None` for no row or a null.
        ///
        /// # Errors
        /// The statement's error.
        pub async fn scalar<T>($($recv)*, sql: &str, args: &[Arg]) -> Result<Option<T>, sqlx::Error>
        where
            (Option<T>,): Row,
        {
            Ok($exec.optional::<(Option<T>,)>(sql, args).await?.and_then(|r| r.0))
        }

        /// Runs `sql`; the number of rows it changed.
        ///
        /// # Errors
        /// The statement's error.
        pub async fn exec($($recv)*, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
            $on!($exec, e => bound!(sqlx::query(sql), args).execute(e).await.map(|r| r.rows_affected()))
        }
    };
}

/// A pool as an executor (`&Pool` is one).
macro_rules! on_pool_ref {
    ($store:expr, $e:ident => $body:expr) => {
        match $store {
            Store::Sqlite(pool) => {
                let $e = &*pool;
                $body
            }
            Store::Postgres(pool) => {
                let $e = &*pool;
                $body
            }
        }
    };
}

/// A transaction as an executor.
macro_rules! on_tx {
    ($tx:expr, $e:ident => $body:expr) => {
        match $tx {
            WriteTx::Sqlite(tx) => {
                let $e = &mut **tx;
                $body
            }
            WriteTx::Postgres(tx) => {
                let $e = &mut **tx;
                $body
            }
        }
    };
}

impl Store {
    // Statements on the pool, each in its own implicit transaction (reads, single writes).
    statements!(on_pool_ref, [&self], self);

    /// Begins a write transaction. SQLite takes the database's write lock up front
    /// (`BEGIN IMMEDIATE`); on PostgreSQL `serialize` names a table locked in `EXCLUSIVE` mode
    /// (readers are not blocked), which serialises the writers of that table so `MAX(id) + 1`
    /// ids are safe.
    ///
    /// # Errors
    /// The store's error (busy: see [`super::WAIT`]).
    pub async fn write_tx(&self, serialize: Option<&'static str>) -> Result<WriteTx, sqlx::Error> {
        Ok(match self {
            Store::Sqlite(pool) => WriteTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                if let Some(table) = serialize {
                    // The name is a constant of the code, never input.
                    sqlx::query(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
                        .execute(&mut *tx)
                        .await?;
                }
                WriteTx::Postgres(tx)
            }
        })
    }
}

/// A write transaction on either backend; dropped without [`WriteTx::commit`], it rolls back.
pub enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    statements!(on_tx, [&mut self], self);

    /// The engine of this transaction, for the few statements written per backend.
    pub fn backend(&self) -> Backend {
        match self {
            WriteTx::Sqlite(_) => Backend::Sqlite,
            WriteTx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Appends `changes` to the change log and commits: the change and its log entry become
    /// visible together. The log position, `None` when nothing changed.
    ///
    /// # Errors
    /// The store's error; nothing is committed then.
    pub async fn commit_with(
        mut self,
        changes: &ChangeSet,
    ) -> Result<Option<Position>, sqlx::Error> {
        let position = match &mut self {
            WriteTx::Sqlite(tx) => feed::record_sqlite(tx, changes).await?,
            WriteTx::Postgres(tx) => feed::record_pg(tx, changes).await?,
        };
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await?,
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(position)
    }

    /// Commits a transaction that changed no table the projection reads (accounts, sessions,
    /// tokens); any other writer uses [`WriteTx::commit_with`].
    ///
    /// # Errors
    /// The store's error; nothing is committed then.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_with(&ChangeSet::default()).await.map(drop)
    }

    /// Rolls back everything done in this transaction.
    ///
    /// # Errors
    /// The store's error.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.rollback().await,
            WriteTx::Postgres(tx) => tx.rollback().await,
        }
    }
}
