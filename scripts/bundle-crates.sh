#!/usr/bin/env bash
# What is in a browser bundle, by crate: builds the `wasm-release` wasm of one frontend
# binary (default `frontend`, the requester's app; also `admin`, `tools`,
# `keygen-worker`), runs wasm-bindgen on it (names kept, before wasm-opt), and sums
# twiggy's items by crate (docs/benchmarks.md). twiggy is built once into the cache.
#   scripts/bundle-crates.sh [binary] [rows]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
bin=${1:-frontend}
rows=${2:-30}
twiggy="$CERTDESK_CACHE/tools/twiggy/bin/twiggy"
if [ ! -x "$twiggy" ]; then
  step "cargo install twiggy" cargo install --locked twiggy --root "$CERTDESK_CACHE/tools/twiggy"
fi
cargo build --quiet --profile wasm-release --target wasm32-unknown-unknown -p frontend --bin "$bin"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
wasm-bindgen --target web --out-dir "$work" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/$bin.wasm"
"$twiggy" top -n 1000000 -f csv "$work/${bin//-/_}_bg.wasm" >"$work/top.csv"
python3 "$CERTDESK_ROOT/scripts/twiggy_by_crate.py" "$work/top.csv" "$rows"
