# Shared steps of scripts/start.sh and scripts/test.sh. Source it; do not run it.
# Every step checks first and only installs or builds what is missing or stale.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WASM_BINDGEN_VERSION=0.2.130
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="$TARGET/site"
export IOC_SITE_ROOT="${IOC_SITE_ROOT:-$SITE}"

# Each step prints the time since the script started, so a slow step shows in CI logs.
say() { printf '\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

ensure_rust_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lock file pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_node_tools() {
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then
    say "installing node tools (binaryen wasm-opt, playwright-core, axe-core)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    say "installing Debian chromium for the browser tests"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

# The release server binary and the optimised wasm bundle under target/site.
build_release() {
  say "building the server (release)"
  cargo build --release -p server
  say "building the wasm bundle"
  cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features \
    --features hydrate --profile wasm-release
  mkdir -p "$SITE/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name ioc \
    "$TARGET/wasm32-unknown-unknown/wasm-release/app.wasm"
  # wasm-opt drops the name section by itself; the producers and target-features sections are
  # only read by tools.
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --strip-producers --strip-target-features \
    "$SITE/pkg/ioc_bg.wasm" -o "$SITE/pkg/ioc_bg.wasm"
  cp -r assets/. "$SITE/pkg/"
}
