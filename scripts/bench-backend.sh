#!/usr/bin/env bash
# Backend latency against a fresh local control plane of its own (docs/benchmarks.md,
# "Backend"): submit through the backend vs a direct create on the same API server, and
# the approvers' list with 5,000 CSRs in the watch cache. The bench starts and stops
# its control plane itself.
#
#   scripts/bench-backend.sh            release build (what a deployment runs)
#   BENCH_PROFILE=dev scripts/bench-backend.sh   the dev profile (dependencies at
#                                       opt-level 2, workspace crates at 0): quicker to
#                                       build, slower to run
#
# CERTDESK_BENCH_SAMPLES (300), CERTDESK_BENCH_LIST_OBJECTS (5000) and
# CERTDESK_BENCH_LIST_CALLS (60) set the sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
"$CERTDESK_ROOT/scripts/cluster-build.sh" >/dev/null
profile=${BENCH_PROFILE:-release}
if [ "$profile" = release ]; then
  cargo bench -p backend --bench api
else
  cargo bench --profile "$profile" -p backend --bench api
fi
