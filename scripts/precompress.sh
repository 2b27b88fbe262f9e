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

# wasm-bindgen's module glue (the page's module-preloaded .js) minified by esbuild
# (Trunk's own --minify fails on it), and the page's integrity attribute for it
# recomputed: about 1.7 KB less on the first visit's wire. The key worker's glue is a
# classic script whose top-level names are globals: left as it is.
sri() { openssl dgst -sha384 -binary -- "$1" | base64 -w0; }
page="$dir/index.html"
if [[ -f $page ]] && grep -q 'rel="modulepreload"' "$page"; then
  command -v esbuild >/dev/null || { echo "precompress.sh: esbuild is missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
  for href in $(grep -o 'rel="modulepreload" href="[^"]*"' "$page" | sed 's/.*href="//; s/"$//'); do
    glue="$dir/${href##*/}"
    before=$(sri "$glue")
    grep -qF "integrity=\"sha384-$before\"" "$page" ||
      { echo "precompress.sh: $page has no integrity attribute for $href" >&2; exit 1; }
    esbuild --minify --log-level=warning "$glue" --outfile="$glue.min"
    mv -- "$glue.min" "$glue"
    sed -i "s|integrity=\"sha384-$before\"|integrity=\"sha384-$(sri "$glue")\"|" "$page"
  done
fi

find "$dir" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) -print0 |
  while IFS= read -r -d '' file; do
    brotli --force --best --output="$file.br" -- "$file"
    gzip --force --best --no-name --keep -- "$file"
  done
