#!/usr/bin/env bash
# Builds the five browser apps into dist/ with Trunk, each a bundle of its own: the
# request form (frontend/index.html → dist/, with the key-generation worker), the whole
# form with an invite's form and the choice of clusters (frontend/start/ → dist/start/,
# served under /start and, with peers, at /), a
# request's status page (frontend/requests/ → dist/requests/, served under /requests),
# the approvers' (frontend/admin/ → dist/admin/, served under /admin) and the file tools
# (frontend/inspect/ → dist/inspect/, served under /inspect and /bench). The first build
# empties dist/, so it runs before the other four. Release by default; `--debug` for a debug build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
release=(--release) profile=(--profile wasm-release) # the pages' data-cargo-profile-release
[[ ${1:-} == --debug ]] && release=() profile=()
# The six WebAssembly binaries in one cargo run, so their links (single-threaded, with
# LTO in a release) run side by side; each trunk build below then finds its binary
# built (the same profile, target and features) and only binds, optimises and compresses.
cargo build --quiet "${profile[@]}" --target wasm32-unknown-unknown -p frontend \
  --bin frontend --bin keygen-worker --bin status --bin admin --bin tools --bin start
trunk build "${release[@]}" --quiet
# The other four side by side: each has a dist/ directory of its own.
trunk build "${release[@]}" --quiet frontend/admin/index.html --dist dist/admin --public-url /admin/ &
admin=$!
trunk build "${release[@]}" --quiet frontend/inspect/index.html --dist dist/inspect --public-url /inspect/ &
inspect=$!
trunk build "${release[@]}" --quiet frontend/requests/index.html --dist dist/requests --public-url /requests/ &
requests=$!
trunk build "${release[@]}" --quiet frontend/start/index.html --dist dist/start --public-url /start/ &
start=$!
status=0
wait "$admin" || status=$?
wait "$inspect" || status=$?
wait "$requests" || status=$?
wait "$start" || status=$?
exit "$status"
