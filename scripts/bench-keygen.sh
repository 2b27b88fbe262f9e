#!/usr/bin/env bash
# Times key + CSR generation in headless Chromium (the release bundle, through the
# product's code path: /bench/keygen) next to native openssl on this machine, in one
# run, and prints a markdown table and the bundle's sizes (docs/benchmarks.md, "Keys in
# the browser"). KEYGEN_BENCH_RUNS sets the runs per algorithm (default 10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
# trunk 0.21 reads NO_COLOR as a boolean and refuses "1".
export NO_COLOR=true

step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
step "build the backend" cargo build --quiet -p backend --bin certdesk
# The bench binary only drives the browser and openssl; a dev build of it is enough.
step "benchmark (headless Chromium, then openssl)" cargo bench --quiet --profile dev -p e2e --bench keygen
