//! Integration tests: the real server and store, on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. One binary, one `spawn_app()`.

// Test code: a failed expectation is the test failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod abuse;
mod ask;
mod auth;
mod dash;
mod faults;
mod helpers;
mod http;
mod ingest;
mod live;
mod seed;
mod sql_parity;
mod store;
mod tasks;
