//! Integration tests: the real server and store, on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. One binary, one `spawn_app()`.

mod helpers;
mod http;
mod seed;
mod store;
