#!/usr/bin/env bash
# What notifications cost a submission and how soon they arrive, against a fresh local
# control plane of its own and the release binary (docs/benchmarks.md, "Notifications"):
# 200 submissions without sinks, then with a signed webhook and a sink that never
# answers; prints p50/p99 of both and the delivery latency, with the load average.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
"$CERTDESK_ROOT/scripts/cluster-build.sh" >/dev/null
step "build the release backend" cargo build --quiet --release -p backend --bin certdesk
export CERTDESK_BIN="$CARGO_TARGET_DIR/release/certdesk"
cargo bench --quiet -p backend --bench notify
