//! The `ioc` process: configuration, the store (sqlx over SQLite or PostgreSQL), the demo data
//! generator, the HTTP server (axum + Leptos SSR) and the command line.
//!
//! Never contains: components or KPI formulas (those live in `app` and `queries`).
//!
//! Layout:
//! - [`auth`]: sessions, login/logout, roles and scope on every request, CSRF, throttling;
//! - [`ask`]: questions — the model on its inference thread, the `queries::nl` pipeline, the
//!   guard and Polars executor over the live frames;
//! - [`eval`]: `ioc ask` and `ioc eval` (execution accuracy on a question set);
//! - [`audit`]: the append-only audit log ([`audit::record`]);
//! - [`cli`]: the `ioc` subcommands (`serve`, `seed`, `bench`, `simulate`);
//! - [`config`]: `IOC_*` / `DATABASE_URL` read once;
//! - [`store`]: migrations, portable queries, bulk loading;
//! - [`feed`]: the change feed of committed rows;
//! - [`projection`]: Polars frames kept current from the feed, KPI snapshots;
//! - [`live`]: `GET /api/live`, the snapshots, deltas and alerts as server-sent events;
//! - [`live_bench`]: `ioc bench live`, SSE delivery latency and idle-client capacity;
//! - [`ingest`]: `POST /api/events` (domain events in, atomically) and `ioc simulate`;
//! - [`seed`]: the deterministic national dataset and its loader;
//! - [`tasks`]: tasks from leaders' commands — store, scope, audit, live push, `/api/tasks`;
//! - [`web`]: the router, [`build_state`] and [`run`] (which tests call with a port-0 listener).
//!
//! Tests: `cargo test -p server` (unit), `cargo test -p tests` (integration, real server).

// The page tree (routes, account menu, dashboards) makes deep future types to lay out.
#![recursion_limit = "256"]

pub mod ask;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod dash;
pub mod eval;
pub mod feed;
pub mod ingest;
pub mod live;
pub mod live_bench;
pub mod projection;
pub mod rate;
pub mod seed;
pub mod store;
pub mod tasks;
pub mod web;

pub use web::{build_state, run, State};
