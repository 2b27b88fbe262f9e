#!/usr/bin/env bash
# What kubectl-certdesk adds to each kubectl command while its certificate is cached:
# paired, alternating runs of `kubectl get --raw /version` against the local control
# plane, once with the certificate embedded in the kubeconfig and once through the plugin
# (the same certificate, from its store), and the medians, difference and ratio
# (docs/benchmarks.md, "The credential plugin"). PLUGIN_BENCH_RUNS pairs (default 60).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
step "build the plugin (release)" cargo build --quiet --release -p kubectl-certdesk --bin kubectl-certdesk
bin=$("$CERTDESK_ROOT/scripts/cluster-build.sh")
export PATH="$bin:$PATH"
cluster=$("$CERTDESK_ROOT/scripts/cluster.sh" start)
work=$(mktemp -d)
trap '"$CERTDESK_ROOT/scripts/cluster.sh" stop "$cluster"; rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$CARGO_TARGET_DIR/release/kubectl-certdesk" "$work/bin/kubectl-certdesk"
python3 "$CERTDESK_ROOT/scripts/bench_plugin.py" "$cluster" "$work" "${PLUGIN_BENCH_RUNS:-60}"
