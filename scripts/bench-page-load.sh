#!/usr/bin/env bash
# A first visit to `/` and to `/admin` in headless Chromium with an empty cache, against
# the backend serving the release bundle: bytes on the wire, time to an interactive
# page on loopback and under a 1.6 Mbps / 750 kbps / 150 ms network, and a second
# visit's bytes; prints a markdown table (docs/benchmarks.md, "Page load").
# PAGE_LOAD_RUNS sets the loopback loads of each page (default 10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
# trunk 0.21 reads NO_COLOR as a boolean and refuses "1".
export NO_COLOR=true

step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
step "build the backend" cargo build --quiet -p backend --bin certdesk
step "benchmark (headless Chromium)" cargo bench --quiet --profile dev -p e2e --bench page_load
