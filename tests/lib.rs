//! Cross-crate tests of THADS IOC: `api/` (integration tests against a real server and a real
//! database, SQLite always and PostgreSQL when `TEST_DATABASE_URL` is set) and `e2e/`
//! (Playwright in Debian Chromium against the release build, run by `scripts/test.sh`).
//!
//! Run: `cargo test -p tests` (integration), `scripts/test.sh` (everything).
