#!/usr/bin/env bash
# One request to three clusters at once against one to a single cluster, and the page's
# added bytes for three clusters (e2e/benches/federation.rs: three local control planes
# and a CertDesk in each, headless Chromium); prints markdown tables (docs/benchmarks.md,
# "Several clusters"). FEDERATION_RUNS sets the submissions of each kind (default 5),
# FEDERATION_LATENCY_MS the round trips added by Chromium's network emulation (default 0,30,80).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
# trunk 0.21 reads NO_COLOR as a boolean and refuses "1".
export NO_COLOR=true

step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
step "build the backend" cargo build --quiet -p backend --bin certdesk
export PATH="$("$CERTDESK_ROOT/scripts/cluster-build.sh"):$PATH"
step "benchmark (three control planes, headless Chromium)" cargo bench --quiet --profile dev -p e2e --bench federation
summary
