#!/usr/bin/env bash
# Sets up and runs every CertDesk test: formatting, the wasm32 build, the release
# frontend bundle, then all unit, integration, cluster and browser tests against a fresh
# local control plane (started here, stopped at the end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
total=$SECONDS
# What the run leaves in the temporary directory (chromedriver's Chromium profiles, each
# with a cached copy of a ~200 MB debug test wasm; the tests' files) goes into one of
# its own, removed at the end: runs must not fill the disk.
run_tmp=$(mktemp -d)
export TMPDIR=$run_tmp
trap 'rm -rf "$run_tmp"' EXIT

step "bootstrap (installs what is missing)" "$CERTDESK_ROOT/scripts/bootstrap.sh"
step "cargo fmt --check" cargo fmt --all --check
step "build shared + frontend for wasm32" cargo build --quiet -p shared -p frontend --target wasm32-unknown-unknown
step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
step "build the backend" cargo build --quiet -p backend --bin certdesk
# The benchmarks are not run here, but they must keep compiling.
step "build the benchmarks" cargo build --quiet --workspace --benches
# The container image (a static release binary and dist/), for the runc test.
build_image() { CERTDESK_IMAGE_DIR=$(CERTDESK_DIST_BUILT=1 "$CERTDESK_ROOT/scripts/image.sh"); }
step "build the image (scripts/image.sh)" build_image
export CERTDESK_IMAGE_DIR
# Helm (built once from the Go module proxy) for the chart's lint, render and dry-run tests.
step "helm (scripts/helm.sh, built once)" "$CERTDESK_ROOT/scripts/helm.sh" version --short

cluster_dir=
cleanup() {
  if [ -n "$cluster_dir" ]; then "$CERTDESK_ROOT/scripts/cluster.sh" stop "$cluster_dir"; fi
  rm -rf "$run_tmp"
}
trap cleanup EXIT
start_cluster() { cluster_dir=$("$CERTDESK_ROOT/scripts/cluster.sh" start); }
step "start a local control plane" start_cluster
export CERTDESK_TEST_CLUSTER="$cluster_dir"

browser_tests() {
  # wasm-bindgen-test in headless Chromium; the runner reads <crate>/webdriver.json for
  # Chromium's flags. RSA-4096 in a debug build takes a while: allow for it.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_TIMEOUT=600 cargo test -p shared -p frontend --target wasm32-unknown-unknown
}
step "browser tests (wasm-bindgen-test in headless Chromium)" browser_tests

# Tests marked #[ignore = "needs …"] need the cluster, the bundle or the browser: run them all.
# The browser's build of `shared` leaves out the confusable tables: test that build too.
step "shared without its default features (the browser's)" \
  cargo test --quiet -p shared --no-default-features --lib without_tables
step "cargo test (unit, integration, cluster, browser)" cargo test --workspace --no-fail-fast -- --include-ignored

say "all tests passed in $((SECONDS - total)) s"
