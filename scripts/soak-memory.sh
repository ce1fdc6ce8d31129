#!/usr/bin/env bash
# Resident memory of `ioc serve` under steady ingest (a measurement for docs/BENCHMARKS.md, not
# part of the test suite): seeds a fresh SQLite database, serves it without the language model,
# has `ioc simulate` post events at RATE per second for MINUTES, and prints one CSV line every
# 30 s: seconds, resident MiB of the server, KPI version (change-log position), events accepted.
#
#   scripts/soak-memory.sh [MINUTES=60] [RATE=100] [SCALE=0.1]   (after cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
rate=${2:-100}
scale=${3:-0.1}
ioc=target/release/ioc
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite:$dir/ioc.db"
export IOC_INGEST_TOKEN=soak-token IOC_MODEL_PATH="$dir/no-model.gguf" RUST_LOG=warn
"$ioc" --database-url "$db" seed --scale "$scale" >/dev/null 2>&1
"$ioc" --database-url "$db" serve --addr 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
server=$!
for _ in $(seq 600); do
  url=$(grep -oE 'http://[0-9.]+:[0-9]+/' "$dir/serve.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$dir/serve.err" >&2; exit 1; }
"$ioc" --database-url "$db" simulate --url "$url" --rate "$rate" >/dev/null 2>"$dir/simulate.err" &
echo "seconds,rss_mib,version,events"
start=$(date +%s)
end=$((start + minutes * 60))
while [ "$(date +%s)" -lt "$end" ]; do
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
  version=$(curl -s "${url}api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["feed"]["applied"])' 2>/dev/null || echo "?")
  events=$(sqlite3 "$dir/ioc.db" "SELECT COUNT(*) FROM ingested_events" 2>/dev/null || echo "?")
  echo "$(( $(date +%s) - start )),$rss,$version,$events"
  sleep 30
done
