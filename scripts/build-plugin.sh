#!/usr/bin/env bash
# Builds kubectl-certdesk (the credential plugin, cli/) and puts it where the portal
# serves it: dist/downloads/kubectl-certdesk-linux-amd64 and its .sha256.
#   scripts/build-plugin.sh            a development build for this machine
#   scripts/build-plugin.sh BINARY     copy an existing build (scripts/run.sh passes the
#                                      one it built beside the backend, scripts/image.sh
#                                      its static musl release build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
binary=${1:-}
if [ -z "$binary" ]; then
  cargo build --quiet -p kubectl-certdesk --bin kubectl-certdesk
  binary="$CARGO_TARGET_DIR/debug/kubectl-certdesk"
fi
[ -x "$binary" ] || die "no plugin binary at $binary"
case "$(uname -m)" in
  x86_64) platform=linux-amd64 ;;
  aarch64) platform=linux-arm64 ;;
  *) platform="linux-$(uname -m)" ;;
esac
[ -n "${CERTDESK_PLUGIN_PLATFORM:-}" ] && platform=$CERTDESK_PLUGIN_PLATFORM
mkdir -p dist/downloads
install -m 0755 "$binary" "dist/downloads/kubectl-certdesk-$platform"
(cd dist/downloads && sha256sum "kubectl-certdesk-$platform" >"kubectl-certdesk-$platform.sha256")
say "dist/downloads/kubectl-certdesk-$platform ($(stat -c %s "dist/downloads/kubectl-certdesk-$platform") bytes)"
