#!/usr/bin/env bash
# Installs everything CertDesk's build and tests need on a fresh machine: Debian packages
# (clang for ring's wasm32 C code, chromium, chromium-driver, openssl, curl, brotli, haproxy,
# musl-tools and runc for the image), the pinned Rust
# toolchain with wasm32, trunk, wasm-bindgen-cli at Cargo.lock's version, wasm-opt from
# npm, and the control plane's binaries (etcd, kube-apiserver, kube-controller-manager,
# kubectl) built from the Kubernetes Go module. Idempotent; quiet when all is there.
#
# scripts/run.sh and scripts/test.sh start the control plane's build themselves (in the
# background, first) and pass --no-cluster-build; run alone, this builds it too.
# --toolchain-only stops after the Debian packages and the Rust toolchain (run.sh then
# starts the backend's build beside the rest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"

TRUNK_VERSION=0.21.14     # 0.22 needs rustc >= 1.96.1
BINARYEN_VERSION=132      # Debian's binaryen 108 breaks the page (docs/toolchain.md)
AXE_CORE_VERSION=4.14.1    # the accessibility checker of the browser tests (e2e/src/axe.rs)
ESBUILD_VERSION=0.28.2     # minifies the module glue of a release build (scripts/precompress.sh)

cluster_build=1 toolchain_only=
for arg in "$@"; do
  case $arg in
    --no-cluster-build) cluster_build= ;;
    --toolchain-only) toolchain_only=1 ;;
    *) die "unknown option $arg" ;;
  esac
done
# The control plane's binaries take long the first time: build them beside the rest.
[[ -z $cluster_build || -n $toolchain_only ]] || start_cluster_build

# Debian packages.
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v brotli >/dev/null || missing+=(brotli)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
# Korean glyphs for the browser tests' screenshots (the portal speaks Korean).
[ -d /usr/share/fonts/truetype/nanum ] || missing+=(fonts-nanum)
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Rust toolchain rust-toolchain.toml pins, with the wasm32 target and musl (the
# image's static binary).
command -v rustup >/dev/null || die "rustup is not installed; install Rust with rustup first"
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
installed=$(rustup +"$channel" target list --installed 2>/dev/null || true)
if ! grep -qx wasm32-unknown-unknown <<<"$installed" || ! grep -qx x86_64-unknown-linux-musl <<<"$installed"; then
  say "installing Rust $channel with wasm32-unknown-unknown and x86_64-unknown-linux-musl"
  rustup toolchain install "$channel" --profile minimal -c clippy,rustfmt \
    -t wasm32-unknown-unknown -t x86_64-unknown-linux-musl >/dev/null
fi
[[ -z $toolchain_only ]] || exit 0

# trunk and wasm-bindgen-cli are build tools, never shipped: their own release profiles
# (fat LTO, one codegen unit) cost a newcomer ~17 minutes for no gain here. Cargo's
# CARGO_PROFILE_RELEASE_* variables override what the installed crate's manifest says:
# no LTO, many codegen units, and for trunk (which mostly runs other programs) no
# optimisation at all; wasm-bindgen (which rewrites every wasm file) keeps opt-level 1.
# Both go into the cache ($CERTDESK_CACHE/tools/bin), not ~/.cargo/bin.
fast_tool_build() {
  local opt=$1; shift
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false CARGO_TARGET_DIR="$CERTDESK_CACHE/tool-build" \
    cargo +"$channel" install --root "$CERTDESK_CACHE/tools" --quiet "$@"
  rm -rf "$CERTDESK_CACHE/tool-build"
}

# trunk.
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  install_trunk() { (cd / && fast_tool_build 0 trunk --version "$TRUNK_VERSION" --locked); }
  step "install trunk $TRUNK_VERSION (once)" install_trunk
fi

# wasm-bindgen-cli at exactly the version Cargo.lock resolves (a mismatch breaks the build).
[ -f Cargo.lock ] || cargo generate-lockfile --quiet
wbg=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
[ -n "$wbg" ] || die "no wasm-bindgen in Cargo.lock"
grep -q "^wasm_bindgen = \"$wbg\"" Trunk.toml ||
  die "Trunk.toml [tools] wasm_bindgen must be \"$wbg\" (the version in Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
  # Not --locked: its lock file pins a webpki-roots release the registry no longer has.
  install_wasm_bindgen() { (cd / && fast_tool_build 1 wasm-bindgen-cli --version "$wbg" --force); }
  step "install wasm-bindgen-cli $wbg (once)" install_wasm_bindgen
fi

# wasm-opt from npm's binaryen (a Node program; no download from GitHub).
grep -q "^wasm_opt = \"version_$BINARYEN_VERSION\"" Trunk.toml ||
  die "Trunk.toml [tools] wasm_opt must be \"version_$BINARYEN_VERSION\""
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "$BINARYEN_VERSION" ]; then
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
  mkdir -p "$CERTDESK_CACHE/npm"
  npm install --prefix "$CERTDESK_CACHE/npm" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# axe-core, the accessibility checker the browser tests run in each page (npm; its
# one file is injected by the tests, never served by CertDesk).
axe_file="$CERTDESK_CACHE/npm/node_modules/axe-core/axe.min.js"
if ! grep -qs "axe v$AXE_CORE_VERSION" "$axe_file"; then
  say "installing axe-core $AXE_CORE_VERSION (npm)"
  mkdir -p "$CERTDESK_CACHE/npm"
  npm install --prefix "$CERTDESK_CACHE/npm" --no-audit --no-fund --silent "axe-core@$AXE_CORE_VERSION" >/dev/null
fi

# esbuild, which minifies wasm-bindgen's module glue in a release build
# (scripts/precompress.sh; npm's package carries the platform's binary).
if [ "$(esbuild --version 2>/dev/null)" != "$ESBUILD_VERSION" ]; then
  say "installing esbuild $ESBUILD_VERSION (npm)"
  mkdir -p "$CERTDESK_CACHE/npm"
  npm install --prefix "$CERTDESK_CACHE/npm" --no-audit --no-fund --silent "esbuild@$ESBUILD_VERSION" >/dev/null
fi

wait_cluster_build
