#!/usr/bin/env bash
# What an approver's open /admin/requests transfers per minute while nothing happens,
# with 5,000 CSRs in a control plane of its own (IDLE_CSRS, IDLE_SECONDS to change);
# prints markdown rows for docs/benchmarks.md (e2e/benches/idle_approver.rs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
export NO_COLOR=true
step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
step "build the backend" cargo build --quiet -p backend --bin certdesk
cluster_dir=$("$CERTDESK_ROOT/scripts/cluster.sh" start)
trap '"$CERTDESK_ROOT/scripts/cluster.sh" stop "$cluster_dir"' EXIT
export CERTDESK_TEST_CLUSTER=$cluster_dir
step "benchmark (headless Chromium)" cargo bench --quiet --profile dev -p e2e --bench idle_approver
