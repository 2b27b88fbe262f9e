#!/usr/bin/env bash
# Runs Helm, built once from the Go module proxy into a cache outside the clone (like
# the control plane's binaries): scripts/helm.sh lint deploy/helm/certdesk
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
version=v3.22.0
bin="$CERTDESK_CACHE/tools/helm-$version/helm"
if [ ! -x "$bin" ]; then
  say "building Helm $version from the Go module proxy (first time only, ~1-3 min)"
  mkdir -p "${bin%/*}.tmp"
  GOFLAGS=-buildvcs=false GOBIN="${bin%/*}.tmp" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
    "helm.sh/helm/v3/cmd/helm@$version" >&2
  rm -rf "${bin%/*}" && mv "${bin%/*}.tmp" "${bin%/*}"
fi
# Helm keeps its own state out of the clone and the home directory.
export HELM_CACHE_HOME="$CERTDESK_CACHE/helm/cache" HELM_CONFIG_HOME="$CERTDESK_CACHE/helm/config" \
  HELM_DATA_HOME="$CERTDESK_CACHE/helm/data"
exec "$bin" "$@"
