#!/usr/bin/env bash
# Measures a newcomer's first `scripts/run.sh`: a fresh clone of this repository with an
# empty cache (its own CERTDESK_CACHE, so yours is left alone), timed until the portal
# answers; then it stops run.sh (and its control plane) and prints the seconds with the
# load average at both ends. run.sh's own summary of its steps is in the log.
#   scripts/bench-first-run.sh                 clone HEAD into a temporary directory
#   BENCH_CACHE=/tmp/empty scripts/bench-first-run.sh
# The figure of a brand-new machine also counts the Debian packages and the Rust
# components, which this machine already has: see docs/benchmarks.md.
set -euo pipefail
# Not lib.sh: its environment points at your warm cache (Go's caches, the tools on PATH).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'bench-first-run.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
work=$(mktemp -d)
cache=${BENCH_CACHE:-$work/cache}
listen=${BENCH_LISTEN:-127.0.0.1:18080}
log="$work/run.log"
git clone --quiet "$root" "$work/clone"
start=$SECONDS
say "start $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg); log: $log"
(cd "$work/clone" && env -u KUBECONFIG -u CARGO_TARGET_DIR -u GOCACHE -u GOMODCACHE \
  CERTDESK_CACHE="$cache" CERTDESK_LISTEN="$listen" scripts/run.sh >"$log" 2>&1) &
runner=$!
until curl -fsS -o /dev/null "http://$listen/" 2>/dev/null; do
  kill -0 "$runner" 2>/dev/null || { tail -20 "$log" >&2; die "run.sh ended before it answered"; }
  sleep 5
done
say "answered after $((SECONDS - start)) s at $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
# A background job of a script ignores SIGINT: stop run.sh with SIGTERM (it stops its
# control plane on the way out).
pkill -TERM -P "$runner" 2>/dev/null || true
kill -TERM "$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
grep -A12 "where the time went" "$log" >&2 || true
