//! Domain knowledge of THADS IOC that holds with no web page and no database driver.
//!
//! Owns: the canonical schema as data ([`schema`]), the organisation reference data — the 34
//! provinces with their aliases and regions ([`org`]) — and, as the product grows, the Polars
//! analytical store, the KPI engine, the Vietnamese normaliser, the NL→SQL pipeline, the SQL
//! guard and task parsing.
//!
//! Never contains: HTTP, Leptos, sqlx. The `server` crate moves rows between the store and
//! these types; the `app` crate shows them.
//!
//! Tests: `cargo test -p queries` (unit tests only, no I/O).

pub mod org;
pub mod schema;
