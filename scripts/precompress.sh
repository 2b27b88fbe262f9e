#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): writes a brotli (.br, quality 11) and a gzip
# (.gz, level 9) copy beside every text or wasm file of a release build, so the
# backend serves them with the matching Content-Encoding without compressing on each
# request. A debug build is left as it is (its wasm is large and changes every build).
# Also runs by hand on a directory: scripts/precompress.sh dist
set -euo pipefail
dir=${1:-${TRUNK_STAGING_DIR:?run by trunk, or pass the directory}}
if [[ $# -eq 0 && ${TRUNK_PROFILE:-release} != release ]]; then
  exit 0
fi
command -v brotli >/dev/null || { echo "precompress.sh: brotli is missing (apt-get install brotli, or scripts/bootstrap.sh)" >&2; exit 1; }
find "$dir" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) -print0 |
  while IFS= read -r -d '' file; do
    brotli --force --best --output="$file.br" -- "$file"
    gzip --force --best --no-name --keep -- "$file"
  done
