#!/usr/bin/env bash
# Keeps ~/.cache/certdesk (CERTDESK_CACHE) within CERTDESK_CACHE_LIMIT_GB (default 32:
# one full run uses about 18 GiB of Cargo units beside 8 GiB of Kubernetes, Go and npm),
# on a machine that runs the tests again and again:
#   - control-plane state directories whose processes are gone (a killed run's);
#   - Cargo units (target/, image-target/) unused for a week, incremental caches
#     unchanged for a day, and — over the limit — what the last run did not use
#     (scripts/prune_target.py says how it knows);
#   - Go's build cache trims itself (entries unused for five days).
# scripts/test.sh runs it with --before-run when it starts (which only marks every unit
# unused until the run reads it) and with --after-run at its end; run it by hand any time:
#   scripts/prune-cache.sh            prune by age and the limit
#   du -sh ~/.cache/certdesk          what is left
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
limit=${CERTDESK_CACHE_LIMIT_GB:-32}
after=()
[[ ${1:-} == --after-run && -n ${2:-} ]] && after=(--after-run "$2")
targets=("$CARGO_TARGET_DIR" "$CERTDESK_CACHE/image-target" "$CERTDESK_CACHE/fuzz-target")
if [[ ${1:-} == --before-run ]]; then
  exec python3 "$CERTDESK_ROOT/scripts/prune_target.py" --before-run "${targets[@]}"
fi

# Control planes nobody runs any more (the processes in their `pids` are gone), older
# than ten minutes (one being started now has not written its pids yet).
if [ -d "$CERTDESK_CACHE/clusters" ]; then
  for dir in "$CERTDESK_CACHE"/clusters/cluster-*; do
    [ -d "$dir" ] || continue
    [ -n "$(find "$dir" -maxdepth 0 -mmin +10)" ] || continue
    alive=0
    for pid in $(cat "$dir/pids" 2>/dev/null); do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || { say "removing the stopped control plane $dir"; rm -rf "$dir"; }
  done
fi

# The limit is the whole cache's: what is not Cargo's (the control plane's and Helm's
# binaries, Go's caches, npm) leaves the rest to the target directories.
other_kb=$(du -sk --exclude=target --exclude=image-target --exclude=fuzz-target "$CERTDESK_CACHE" 2>/dev/null | cut -f1)
target_limit=$(python3 -c "print(max(0.001, $limit - ${other_kb:-0} / 1048576))")
python3 "$CERTDESK_ROOT/scripts/prune_target.py" --limit-gb "$target_limit" "${after[@]}" "${targets[@]}" >&2
say "cache: $(du -sh "$CERTDESK_CACHE" 2>/dev/null | cut -f1) in $CERTDESK_CACHE"
