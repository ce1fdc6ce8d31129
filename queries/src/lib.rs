//! Domain knowledge of THADS IOC that holds with no web page and no database driver.
//!
//! Owns:
//! - [`schema`]: the canonical schema as data (tables, columns, types, codes);
//! - [`org`]: the organisation reference data — the 34 provinces with their aliases and regions;
//! - [`calendar`]: public holidays and working days (the `lich` rules), deadlines in working days;
//! - [`nl`]: the question pipeline — normaliser, time expressions, entity linking, the semantic
//!   layer and its plan → SQL compiler, classification and task drafts;
//! - [`error`]: the crate's one error type, [`Error`];
//! - [`scope`]: who is asking and what they may see ([`Scope`]), used by every reader of data;
//! - [`access`]: roles, the signed-in [`access::User`] and the masking of party names;
//! - `frames` (feature `analytics`): the Polars analytical store, one `DataFrame` per canonical
//!   table, loaded at startup from driver-neutral columns and kept current by micro-batches;
//! - `kpi` (feature `analytics`): every KPI formula and overdue rule of DOMAIN.md §3–§4 as
//!   named Polars expressions and lazy pipelines, at the levels country, region, province,
//!   office and officer, with monthly series, and `kpi::compute_snapshot` for the dashboards;
//! - `engine` (feature `analytics`): the incremental KPI engine — cached facts updated per
//!   micro-batch from the changed rows only, equal to a from-scratch snapshot;
//! - `alerts` (feature `analytics`): new overdue breaches, large payments, new complaints.
//! - [`sql`]: the SQL guard (`sql::guard`: one read-only query over the canonical schema,
//!   checked on the sqlparser AST) and, with `analytics`, its scoped Polars executor
//!   (`sql::execute`).
//!
//! Never contains: HTTP, Leptos, sqlx. The `server` crate moves rows between the store and
//! these types; the `app` crate shows them.
//!
//! Features: `analytics` (off by default) pulls in Polars and enables `frames` and `kpi`, so
//! crates that only need the schema and the org data build without it.
//!
//! Tests: `cargo test -p queries` (unit tests only, no I/O); with the KPI engine:
//! `cargo test -p queries --features analytics`.

pub mod access;
#[cfg(feature = "analytics")]
pub mod alerts;
pub mod calendar;
#[cfg(feature = "analytics")]
pub mod drill;
#[cfg(feature = "analytics")]
pub mod engine;
pub mod error;
#[cfg(feature = "analytics")]
pub mod frames;
#[cfg(feature = "analytics")]
pub mod kpi;
pub mod nl;
pub mod org;
pub mod schema;
pub mod scope;
pub mod sql;

pub use error::{Error, Result};
pub use scope::Scope;
