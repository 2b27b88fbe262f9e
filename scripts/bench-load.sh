#!/usr/bin/env bash
# The backend under abuse, against a fresh local control plane of its own and the
# release binary with its default limits (docs/benchmarks.md, "Under abuse"):
# 1,000 concurrent submissions from 1,000 loopback addresses, 5,000 event streams,
# 500 slowloris connections beside status requests, 10,000 invented methods. Prints
# each figure with the load average; exits non-zero when a bound does not hold.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
"$CERTDESK_ROOT/scripts/cluster-build.sh" >/dev/null
# Thousands of sockets on both ends: the bench and the backend need the file limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ $(ulimit -n) -ge 16384 ]] || die "the open-file limit is $(ulimit -n); 16384 or more is needed (ulimit -n)"
step "build the release backend" cargo build --quiet --release -p backend --bin certdesk
export CERTDESK_BIN="$CARGO_TARGET_DIR/release/certdesk"
cargo bench --quiet -p backend --bench load
# What notification sinks (a dead one among them) cost a submission: docs/benchmarks.md.
cargo bench --quiet -p backend --bench notify
