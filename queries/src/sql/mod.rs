//! The SQL guard and the Polars SQL executor of the question pipeline.
//!
//! Whatever SQL reaches this module — compiled from a query plan, written by the language model,
//! or edited by an analyst in the console — is untrusted. [`guard`] decides on the sqlparser AST
//! (never by matching strings) whether it is a single read-only query over the canonical schema,
//! and re-renders it from the checked AST with a `LIMIT`. [`execute`] (feature `analytics`) runs a
//! [`Guarded`] query on a fresh Polars `SQLContext` in which only the caller's scope-filtered
//! frames of the tables the query names are registered: the scope is applied to the data, not
//! trusted to the SQL; it runs under a budget (below).
//!
//! # What the guard accepts
//!
//! - Exactly one statement, and it is a query: `SELECT`, `WITH … SELECT`, `UNION [ALL]` /
//!   `EXCEPT` / `INTERSECT` of selects, parenthesised queries. No DDL/DML, `SET`, `PRAGMA`,
//!   `ATTACH`, `COPY`, `EXPLAIN`, `SHOW`, `VALUES`, `SELECT … INTO`, `WITH RECURSIVE`, locking
//!   clauses, `FETCH`, `TOP`, `QUALIFY`, `LATERAL`, named windows, `GROUP BY ROLLUP/CUBE/ALL`.
//! - Tables: only those of the canonical schema ([`crate::schema::Table`], DOMAIN.md §6) and the
//!   query's own CTE names (which may not reuse a table name). The operational tables (`users`,
//!   `sessions`, `audit_log`, `app_meta`, `ingested_events`) and system catalogues are refused by
//!   name. Unquoted identifiers are case-insensitive (folded to lowercase); quoted identifiers
//!   resolve exactly, so `"viec_thi_hanh"` works and a homoglyph of it is just an unknown table.
//! - Columns: every column reference must resolve to a column of a relation in scope (a table,
//!   a CTE, a derived table, or a correlated outer relation) or to an output alias of the same
//!   `SELECT`; an unqualified name found in two relations is refused as ambiguous.
//! - No table functions (`read_csv(…)`, `read_parquet(…)`, `UNNEST`, …): Polars SQL can read
//!   files, this must be impossible. Functions come from an allow-list ([`ALLOWED_FUNCTIONS`]):
//!   `COUNT SUM AVG MIN MAX TOTAL`, `ROUND ABS CEIL FLOOR SIGN MOD`, `COALESCE IFNULL NULLIF`,
//!   `LOWER UPPER LENGTH SUBSTR REPLACE TRIM LTRIM RTRIM CONCAT LEFT RIGHT`, `DATE_PART` /
//!   `EXTRACT(… FROM …)`, `ROW_NUMBER RANK DENSE_RANK` (with `OVER`); plus `CASE`, `CAST` (to
//!   integer, real, text, date, numeric, boolean types), `IN`, `BETWEEN`, `LIKE`, `IS [NOT] NULL`,
//!   `EXISTS`, scalar and `IN` subqueries.
//! - `LIMIT`: added when missing, capped at [`Limits::max_rows`]; `OFFSET` only as a number.
//! - Size and depth: input longer than [`Limits::max_sql_bytes`] is refused before parsing;
//!   the parser's recursion limit bounds nesting of subqueries and parentheses, and expression
//!   trees deeper than [`MAX_EXPR_DEPTH`] (e.g. `1+1+…+1`) are refused.
//! - Comments are dropped by the parser; string literals are data, whatever text they hold
//!   (an instruction inside `'…'` or `/* … */` is never interpreted).
//!
//! # SQLite parity (what the executor rewrites)
//!
//! SQL is written SQLite-style (DOMAIN.md §6). [`Guarded::sql`] keeps that dialect; the SQL that
//! Polars runs is a rewrite of the same checked AST:
//! - a string literal compared (`= <> < <= > >=`, `BETWEEN`, `IN (…)`) with a `DATE` expression
//!   becomes a typed `DATE '…'` literal when it is an ISO date; otherwise the date side is cast
//!   to text, which is SQLite's comparison;
//! - a string literal compared with an integer column becomes a number when it is one, and a
//!   number compared with a text column becomes a string (SQLite's affinity rules);
//! - `int / int` becomes `DIV(a, b)` (integer division; SQLite truncates towards zero, Polars
//!   floors: they differ only for negative quotients);
//! - `LIKE` becomes `ILIKE` (SQLite's `LIKE` ignores ASCII case);
//! - `ORDER BY` without `NULLS FIRST/LAST` gets SQLite's order (NULLs first ascending, last
//!   descending);
//! - an `ON` term about one side only (`JOIN don_vi d ON d.ma_tinh = t.ma_tinh AND d.cap =
//!   'khu_vuc'`), which Polars looks up on the wrong side, moves to the `WHERE` for an inner join
//!   and into a filtered derived table (`LEFT JOIN (SELECT * FROM don_vi AS d WHERE d.cap =
//!   'khu_vuc') AS d ON …`) for a left join;
//! - a party's name (`duong_su.ho_ten` of a person) reads `***` unless the scope may see it.
//!
//! # The budget
//!
//! `LIMIT` caps what a query returns, not what it computes, and the same executor runs the
//! console's SQL, the model's SQL, the compiled plans, CSV exports and task record selections.
//! So every query runs under [`Limits`]:
//! - before running, string growth: the guard bounds, on the AST, how many times the longest
//!   stored text a string expression can become (`REPLACE` with a longer replacement, `CONCAT`
//!   of a value with itself, nested, through CTEs: [`StringGrowth`]); above
//!   [`Limits::max_string_growth`] the query is refused;
//! - before running, rows combined: the executor builds Polars' optimised plan and estimates the
//!   rows of every join and union from the frames' heights and the distinct counts of the join
//!   keys ([`Estimate`]); above [`Limits::max_combined_rows`] the query is refused (a cross join
//!   of two calendars, a self-join of the cases on their province);
//! - while running, time: the plan runs on the calling thread with Polars' cancel token held by a
//!   watchdog, which stops it after [`Limits::timeout`] or when the caller's [`Cancel`] is
//!   cancelled (the server cancels when the client goes away);
//! - after running, the result's size: [`Limits::max_result_cells`] and
//!   [`Limits::max_result_bytes`] on top of `LIMIT`.
//!
//! Refusals and stops are [`ExecError`]s of their own kinds, with Vietnamese messages for the
//! user; an engine failure's own text (Polars' message) is kept for the model's repair prompt
//! and the logs ([`ExecError::detail`]) and never shown.
//!
//! The defaults: 10 s (the slowest dev and regression query takes well under a second at national
//! scale; a console user should not wait longer, and a running query holds one of the console's
//! four slots); 2×10⁷ rows combined (the largest tables at national scale have a few million
//! rows, and a join on a key yields at most about its larger side; the product of two tables of
//! 4,500 rows each, or a self-join on a 34-value key of more than ~26,000 rows, does not fit); a
//! string growth of 16 (a `CONCAT` of a handful of columns; ten nested `REPLACE`s doubling a
//! value are 1,024); 2×10⁶ cells and 64 MiB for a result (a 100,000-row CSV export of 20
//! columns).
//!
//! # What Polars 0.55 runs, and what it does not
//!
//! Works (tested in `tests/api/sql_parity.rs` against SQLite on the dev gold queries): single-table
//! aggregates, `WHERE` with `AND/OR/NOT`, `IN (list)`, `NOT IN`, `BETWEEN`, `IS NULL`, `CASE`,
//! `NULLIF`, `ROUND`, `COUNT(DISTINCT …)`, `GROUP BY`/`HAVING`/`ORDER BY`/`LIMIT`, inner and left
//! joins with extra `ON` conditions, several joins of the same table under different aliases,
//! `CROSS JOIN`, CTEs, derived tables, uncorrelated `IN (SELECT …)` and scalar subqueries, and
//! correlated `[NOT] EXISTS` / `IN` whose subquery is a plain `SELECT … FROM … WHERE` that is a
//! top-level `AND` term of the outer `WHERE` and whose `WHERE` is made of `inner.col = outer.col`
//! equalities and filters on inner columns only.
//!
//! Refused by the guard with [`GuardErrorKind::Unsupported`] (Polars cannot run them; emit
//! `x IN (SELECT …)` or a join instead): any other correlated subquery — a correlated reference
//! outside such an equality (e.g. `t.ngay >= k.ngay`), a correlated scalar subquery in the select
//! list, a correlated `EXISTS` under `OR`/`NOT`/`CASE`, or one whose inner filter names a column
//! that also exists in the outer relations (Polars cannot tell the two apart).
//!
//! Known differences left: `ROUND` rounds half to even in Polars (SQLite: half away from zero),
//! which shows only on exact halves; `%` follows the sign of the divisor in Polars; `GROUP BY`
//! output without `ORDER BY` comes in another order (the eval ignores order then).

mod cancel;
mod error;
mod growth;
mod guard;
mod resolve;

#[cfg(feature = "analytics")]
mod budget;
#[cfg(feature = "analytics")]
mod exec;
#[cfg(feature = "analytics")]
mod run;

#[cfg(feature = "analytics")]
pub use budget::Estimate;
pub use cancel::{Cancel, CancelOnDrop};
pub use error::{ExecError, ExecErrorKind};
#[cfg(feature = "analytics")]
pub use exec::{estimate, execute, execute_cancellable};
pub use growth::StringGrowth;
pub use guard::{guard, ALLOWED_FUNCTIONS, FORBIDDEN_TABLES, MAX_EXPR_DEPTH};

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schema::Table;

/// Bounds the guard and the executor enforce: the guard's (SQL size, `LIMIT`) and the budget
/// every query runs under (the module docs' "The budget" says why these defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The most rows a result may have: a missing `LIMIT` becomes this, a larger one is capped.
    pub max_rows: usize,
    /// The longest SQL text accepted, in bytes (checked before parsing).
    pub max_sql_bytes: usize,
    /// Wall-clock time a query may run before it is stopped.
    pub timeout: Duration,
    /// The most rows a join or union of the plan may produce, estimated before running.
    pub max_combined_rows: u64,
    /// How many times the longest stored text a string expression may become
    /// ([`StringGrowth::factor`]).
    pub max_string_growth: u64,
    /// The most bytes string functions may add from literals ([`StringGrowth::constant`]).
    pub max_string_constant: u64,
    /// The most cells (rows × columns) a result may hold.
    pub max_result_cells: usize,
    /// The most bytes a result may hold in memory (Polars' estimate of the frame's size).
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 1000,
            max_sql_bytes: 8 * 1024,
            timeout: Duration::from_secs(10),
            max_combined_rows: 20_000_000,
            max_string_growth: 16,
            max_string_constant: 4 * 1024,
            max_result_cells: 2_000_000,
            max_result_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A query the guard accepted.
///
/// Built only by [`guard`]: besides the public SQL it carries the Polars rewrite of the same
/// checked AST, which is what [`execute`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded {
    /// The SQL that will run, re-rendered from the checked AST (SQLite dialect, identifiers
    /// folded, `LIMIT` applied). Show this to the user; it also runs unchanged on SQLite.
    pub sql: String,
    /// The canonical tables the query reads (anywhere: CTEs, subqueries), sorted, no repeats.
    pub tables: Vec<Table>,
    /// The Polars dialect rewrite of `sql` (see the module docs).
    pub(crate) exec_sql: String,
    /// `tables` as checked (a caller may change the public field; the executor uses this).
    pub(crate) checked_tables: Vec<Table>,
    /// How long its string expressions can make a value ([`growth`]): the budget checks it.
    pub(crate) string_growth: StringGrowth,
}

impl Guarded {
    /// The SQL text handed to Polars (the rewrite of [`Guarded::sql`]).
    pub fn polars_sql(&self) -> &str {
        &self.exec_sql
    }

    /// The bound on the length of the strings the query makes.
    pub fn string_growth(&self) -> StringGrowth {
        self.string_growth
    }
}

/// Why the guard refused a query: what kind of rule, for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardErrorKind {
    /// Nothing but whitespace and comments.
    Empty,
    /// Longer than [`Limits::max_sql_bytes`].
    TooLarge,
    /// Nested deeper than the parser or [`MAX_EXPR_DEPTH`] allows.
    TooDeep,
    /// Not valid SQL.
    Syntax,
    /// More than one statement.
    MultipleStatements,
    /// A statement that is not a query (DDL, DML, `SET`, `PRAGMA`, …).
    NotAQuery,
    /// A clause a read-only query over the schema does not need (`INTO`, `FOR UPDATE`, …).
    ForbiddenClause,
    /// A table that is not in the canonical schema.
    UnknownTable,
    /// An operational or system table.
    ForbiddenTable,
    /// A table function or other non-table source in `FROM`.
    TableFunction,
    /// A column that no relation in scope has.
    UnknownColumn,
    /// An unqualified column that several relations in scope have.
    AmbiguousColumn,
    /// A function outside the allow-list.
    ForbiddenFunction,
    /// An expression form outside the allow-list (placeholders, operators, …).
    ForbiddenExpression,
    /// Valid and safe, but Polars cannot run it (see the module docs).
    Unsupported,
}

/// A refused query: the rule ([`GuardErrorKind`]), what was refused, and a Vietnamese message
/// (the `Display`) that names it — fit for the user and for the model's repair prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardError {
    /// The rule that refused the query.
    pub kind: GuardErrorKind,
    /// What was refused: a table, column, function, statement or clause name, or a detail.
    pub detail: String,
}

impl GuardError {
    pub(crate) fn new(kind: GuardErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.detail;
        match self.kind {
            GuardErrorKind::Empty => write!(f, "Câu lệnh SQL trống."),
            GuardErrorKind::TooLarge => write!(f, "Câu lệnh SQL quá dài ({d})."),
            GuardErrorKind::TooDeep => write!(f, "Câu lệnh SQL lồng nhau quá sâu ({d})."),
            GuardErrorKind::Syntax => write!(f, "Câu lệnh SQL sai cú pháp: {d}"),
            GuardErrorKind::MultipleStatements => {
                write!(f, "Chỉ được chạy đúng một câu lệnh SQL, nhận được {d}.")
            }
            GuardErrorKind::NotAQuery => write!(
                f,
                "Chỉ cho phép câu truy vấn đọc dữ liệu (SELECT); từ chối lệnh {d}."
            ),
            GuardErrorKind::ForbiddenClause => {
                write!(f, "Mệnh đề {d} không được phép trong câu truy vấn.")
            }
            GuardErrorKind::UnknownTable => {
                write!(f, "Bảng {d} không có trong lược đồ dữ liệu.")
            }
            GuardErrorKind::ForbiddenTable => write!(
                f,
                "Bảng {d} là bảng vận hành của hệ thống, không được truy vấn."
            ),
            GuardErrorKind::TableFunction => write!(
                f,
                "Không được dùng hàm bảng hay nguồn dữ liệu ngoài {d} trong FROM."
            ),
            GuardErrorKind::UnknownColumn => write!(f, "Cột {d} không tồn tại."),
            GuardErrorKind::AmbiguousColumn => write!(
                f,
                "Tên cột {d} có ở nhiều bảng: hãy ghi rõ tên bảng hoặc bí danh (ví dụ v.{d})."
            ),
            GuardErrorKind::ForbiddenFunction => {
                write!(f, "Hàm {d} không nằm trong danh sách hàm được phép.")
            }
            GuardErrorKind::ForbiddenExpression => {
                write!(f, "Biểu thức {d} không được phép.")
            }
            GuardErrorKind::Unsupported => write!(
                f,
                "Cấu trúc chưa được hỗ trợ: {d}. Hãy viết lại bằng phép nối (JOIN) hoặc \
                 dạng x IN (SELECT …)."
            ),
        }
    }
}

impl std::error::Error for GuardError {}

/// A query result, ready for JSON: numbers as JSON numbers (integers as integers, floats as
/// floats), dates as `"YYYY-MM-DD"` strings, booleans as `1`/`0` (as SQLite returns them),
/// `NULL` as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResultTable {
    /// Column names, in the order of the `SELECT`.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<serde_json::Value>>,
}
