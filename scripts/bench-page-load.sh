#!/usr/bin/env bash
# Times navigation to an interactive request page in headless Chromium against the
# backend serving the release bundle on loopback, and prints a markdown table
# (docs/benchmarks.md, "Page load"). PAGE_LOAD_RUNS sets the number of loads (default 20).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
# trunk 0.21 reads NO_COLOR as a boolean and refuses "1".
export NO_COLOR=true

step "trunk build --release" trunk build --release --quiet
step "build the backend" cargo build --quiet -p backend --bin certdesk
step "benchmark (headless Chromium)" cargo bench --quiet --profile dev -p e2e --bench page_load
