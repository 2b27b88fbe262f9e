#!/usr/bin/env bash
# Builds the three browser apps into dist/ with Trunk, each a bundle of its own: the
# requester's (frontend/index.html → dist/, with the key-generation worker), the
# approvers' (frontend/admin/ → dist/admin/, served under /admin) and the file tools
# (frontend/inspect/ → dist/inspect/, served under /inspect and /bench). The first build
# empties dist/, so they run in this order. Release by default; `--debug` for a debug build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
release=(--release)
[[ ${1:-} == --debug ]] && release=()
trunk build "${release[@]}" --quiet
trunk build "${release[@]}" --quiet frontend/admin/index.html --dist dist/admin --public-url /admin/
trunk build "${release[@]}" --quiet frontend/inspect/index.html --dist dist/inspect --public-url /inspect/
