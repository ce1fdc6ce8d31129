//! Fast bulk loading of canonical rows: multi-row `INSERT`s in one transaction per batch on
//! SQLite, `COPY … FROM STDIN` on PostgreSQL.

use super::{Result, Store};
use crate::seed::generate::Val;
use queries::schema::Table;
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};
use std::fmt::Write as _;

/// SQLite allows 32,766 bound parameters per statement; stay well below.
const SQLITE_MAX_PARAMS: usize = 16_000;
/// Rows per multi-row `INSERT` on SQLite.
const SQLITE_MAX_ROWS: usize = 500;

/// One connection held for a whole load.
pub enum BulkLoader {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Store {
    /// A connection dedicated to bulk loading.
    ///
    /// # Errors
    /// [`super::Error::Sql`] when no connection can be had.
    pub async fn bulk_loader(&self) -> Result<BulkLoader> {
        Ok(match self {
            Store::Sqlite(pool) => BulkLoader::Sqlite(pool.acquire().await?),
            Store::Postgres(pool) => BulkLoader::Postgres(pool.acquire().await?),
        })
    }

    /// Deletes every row of the canonical and operational tables (children first).
    ///
    /// # Errors
    /// [`super::Error::Sql`] when a statement fails; nothing is deleted then.
    pub async fn clear_all(&self) -> Result<()> {
        let mut tables: Vec<&str> = vec![
            "nhiem_vu_cap_nhat",
            "nhiem_vu_ho_so",
            "sessions",
            "kiosk_tokens",
            "audit_log",
            "users",
            "ingested_events",
            "app_meta",
        ];
        tables.extend(Table::ALL.iter().rev().map(|t| t.name()));
        match self {
            Store::Postgres(pool) => {
                sqlx::query(&format!("TRUNCATE {}", tables.join(", ")))
                    .execute(pool)
                    .await?;
            }
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for t in tables {
                    sqlx::query(&format!("DELETE FROM {t}"))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
    /// Refreshes planner statistics after a load and, on SQLite, folds the WAL back into the
    /// database file.
    ///
    /// # Errors
    /// [`super::Error::Sql`] when a statement fails.
    pub async fn finish_bulk_load(&self) -> Result<()> {
        match self {
            Store::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await?;
            }
            Store::Postgres(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Size of the database in bytes.
    ///
    /// # Errors
    /// [`super::Error::Sql`] when the query fails.
    pub async fn database_size_bytes(&self) -> Result<i64> {
        Ok(match self {
            Store::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(pool)
                .await?
            }
            Store::Postgres(pool) => {
                sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(pool)
                    .await?
            }
        })
    }
}

impl BulkLoader {
    /// Inserts `rows` (values in the column order of `table`) in one transaction.
    ///
    /// # Errors
    /// [`super::Error::Sql`] when the database rejects a row (constraint, type); the whole
    /// batch is rolled back.
    pub async fn insert(&mut self, table: Table, rows: &[Vec<Val>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            BulkLoader::Sqlite(conn) => insert_sqlite(conn, table, rows).await,
            BulkLoader::Postgres(conn) => copy_postgres(conn, table, rows).await,
        }
    }
}

async fn insert_sqlite(
    conn: &mut PoolConnection<Sqlite>,
    table: Table,
    rows: &[Vec<Val>],
) -> Result<()> {
    let ncols = table.columns().len();
    let per_stmt = (SQLITE_MAX_PARAMS / ncols).clamp(1, SQLITE_MAX_ROWS);
    let head = insert_head(table);
    let mut tx = sqlx::Connection::begin(&mut **conn).await?;
    for chunk in rows.chunks(per_stmt) {
        let sql = values_sql(&head, ncols, chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                query = match v {
                    Val::Null => query.bind(None::<i64>),
                    Val::Int(i) => query.bind(*i),
                    Val::Text(s) => query.bind(s.as_str()),
                    Val::Str(s) => query.bind(*s),
                    Val::Date(d) => query.bind(*d),
                    Val::Num(x) => query.bind(*x),
                };
            }
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn insert_head(table: Table) -> String {
    let cols: Vec<&str> = table.column_names().collect();
    format!("INSERT INTO {} ({}) VALUES ", table.name(), cols.join(", "))
}

fn values_sql(head: &str, ncols: usize, nrows: usize) -> String {
    let one = format!("({})", vec!["?"; ncols].join(","));
    let mut sql = String::with_capacity(head.len() + nrows * (one.len() + 1));
    sql.push_str(head);
    for i in 0..nrows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&one);
    }
    sql
}

async fn copy_postgres(
    conn: &mut PoolConnection<Postgres>,
    table: Table,
    rows: &[Vec<Val>],
) -> Result<()> {
    let cols: Vec<&str> = table.column_names().collect();
    let stmt = format!(
        "COPY {} ({}) FROM STDIN (FORMAT text)",
        table.name(),
        cols.join(", ")
    );
    let mut buf = String::with_capacity(rows.len() * 96);
    for row in rows {
        copy_text_row(&mut buf, row);
    }
    let mut copy = conn.copy_in_raw(&stmt).await?;
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Appends one row in PostgreSQL's COPY text format (tab-separated, `\N` for NULL).
fn copy_text_row(buf: &mut String, row: &[Val]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        // Writing into a String cannot fail.
        let _ = match v {
            Val::Null => {
                buf.push_str("\\N");
                Ok(())
            }
            Val::Int(n) => write!(buf, "{n}"),
            Val::Text(s) => {
                copy_escape(buf, s);
                Ok(())
            }
            Val::Str(s) => {
                copy_escape(buf, s);
                Ok(())
            }
            Val::Date(d) => write!(buf, "{}", d.format("%Y-%m-%d")),
            Val::Num(x) => write!(buf, "{x}"),
        };
    }
    buf.push('\n');
}

fn copy_escape(buf: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '\\' => buf.push_str("\\\\"),
            '\t' => buf.push_str("\\t"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            c => buf.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn copy_rows_escape_and_mark_nulls() {
        let mut buf = String::new();
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        copy_text_row(
            &mut buf,
            &[
                Val::Int(7),
                Val::Text("a\tb\\c\nd".into()),
                Val::Null,
                Val::Date(d),
                Val::Str("Hà Nội"),
            ],
        );
        assert_eq!(buf, "7\ta\\tb\\\\c\\nd\t\\N\t2026-11-20\tHà Nội\n");
    }

    #[test]
    fn values_sql_has_one_group_per_row() {
        let sql = values_sql("INSERT INTO t (a, b) VALUES ", 2, 3);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?)");
    }
}
