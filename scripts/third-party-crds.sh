#!/usr/bin/env bash
# The CRDs the chart's optional objects need — the Gateway API (HTTPRoute), cert-manager
# (Certificate) and prometheus-operator (ServiceMonitor) — taken from those projects' Go
# modules (the Go module proxy is reachable here; GitHub is not), so the tests can apply
# the fully-enabled chart with --dry-run=server. Prints the directory holding them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
modules=(sigs.k8s.io/gateway-api@v1.6.3 github.com/cert-manager/cert-manager@v1.19.1
  github.com/prometheus-operator/prometheus-operator@v0.85.0)
key=$(printf '%s\n' "${modules[@]}" | sha256sum | cut -c1-12)
out="$CERTDESK_CACHE/crds/third-party-$key"
if [ -d "$out" ]; then echo "$out"; exit 0; fi

module_dir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
gateway=$(module_dir "${modules[0]}")
certmanager=$(module_dir "${modules[1]}")
prometheus=$(module_dir "${modules[2]}")
[ -n "$gateway" ] && [ -n "$certmanager" ] && [ -n "$prometheus" ] || die "a module did not download"
mkdir -p "$out.tmp"
cp "$gateway"/config/crd/standard/gateway.networking.k8s.io_*.yaml "$out.tmp/"
cp "$certmanager"/deploy/crds/cert-manager.io_{certificates,issuers,clusterissuers}.yaml "$out.tmp/"
cp "$prometheus"/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml "$out.tmp/"
chmod u+w "$out.tmp"/*
# The Gateway API ships a ValidatingAdmissionPolicy beside its CRDs; only the CRDs are wanted.
rm -f "$out.tmp"/*_vap_*.yaml
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
