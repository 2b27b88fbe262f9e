#!/usr/bin/env bash
# Fuzzes what CertDesk reads from strangers with cargo-fuzz (libFuzzer, nightly Rust
# from rustup; not part of the README's test command): each target in
# shared/fuzz/fuzz_targets/ runs for FUZZ_SECONDS (default 600) from the seeds in
# shared/tests/fixtures/fuzz/<target>/ plus the corpus kept in the cache. A crash is
# copied next to the seeds, where `cargo test -p shared --test fuzz_regressions`
# replays it for good; the script then exits non-zero.
#
#   scripts/fuzz.sh                 # every target, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh csr policy
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT/shared"

seconds=${FUZZ_SECONDS:-600}
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(csr certificate kubeconfig policy)

rustup toolchain list | grep -q '^nightly' ||
  step "rustup toolchain install nightly" rustup toolchain install nightly --profile minimal
tools="$CERTDESK_CACHE/tools/cargo-fuzz"
if [[ ! -x $tools/bin/cargo-fuzz ]]; then
  step "cargo install cargo-fuzz" cargo install cargo-fuzz --locked --root "$tools"
fi
export PATH="$tools/bin:$PATH"
# Sanitizer builds never share the workspace's target directory.
export CARGO_TARGET_DIR="$CERTDESK_CACHE/fuzz-target"

failed=()
for target in "${targets[@]}"; do
  seeds="$CERTDESK_ROOT/shared/tests/fixtures/fuzz/$target"
  [[ -d $seeds ]] || die "no target named $target (no $seeds)"
  corpus="$CERTDESK_CACHE/fuzz-corpus/$target"
  artifacts="$CERTDESK_CACHE/fuzz-artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  say "$target: ${seconds} s (load average $load)"
  if ! cargo +nightly fuzz run "$target" "$corpus" "$seeds" -- \
    -max_total_time="$seconds" -artifact_prefix="$artifacts" -max_len=8192 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>"$artifacts/log"; then
    failed+=("$target")
  fi
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)' "$artifacts/log" >&2 || true
  for crash in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [[ -e $crash ]] || continue
    cp "$crash" "$seeds/"
    say "$target: kept $(basename "$crash") in ${seeds#"$CERTDESK_ROOT"/}; make it pass, then commit it"
    rm -f "$crash"
  done
done
if [[ ${#failed[@]} -gt 0 ]]; then
  die "fuzzing found failures in: ${failed[*]} (logs in $CERTDESK_CACHE/fuzz-artifacts/<target>/log)"
fi
say "no failures in ${targets[*]} ($seconds s each)"
