#!/usr/bin/env bash
# Sets up and runs every CertDesk test: formatting and clippy, the release frontend
# apps, the image, then all unit, integration, differential, cluster and browser tests
# against a fresh local control plane (started here, stopped at the end). Prints each
# step's time and a summary; keeps the cache outside the clone within its bound
# (scripts/prune-cache.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
started=$SECONDS
# What the run leaves in the temporary directory (chromedriver's Chromium profiles, each
# with a cached copy of a large debug test wasm; the tests' files) goes into one of
# its own, removed at the end: runs must not fill the disk.
run_tmp=$(mktemp -d)
export TMPDIR=$run_tmp
cluster_dir=
image_build=
cleanup() {
  local status=$?
  # A build still running in the background (a step before the image failed) stops.
  if [ -n "$image_build" ] && kill -0 "$image_build" 2>/dev/null; then
    pkill -TERM -P "$image_build" 2>/dev/null || true
    kill -TERM "$image_build" 2>/dev/null || true
  fi
  if [ -n "$cluster_dir" ]; then "$CERTDESK_ROOT/scripts/cluster.sh" stop "$cluster_dir" || true; fi
  # What this run did not use goes, so the cache stays bounded run after run.
  step "prune the cache (scripts/prune-cache.sh)" "$CERTDESK_ROOT/scripts/prune-cache.sh" --after-run "$run_stamp" || true
  rm -rf "$run_tmp"
  summary
  exit "$status"
}
run_stamp="$run_tmp/started"
# Every cached unit counts as unused until this run reads it (a build since the last
# run may have marked it already, and the file system would not mark it again today).
"$CERTDESK_ROOT/scripts/prune-cache.sh" --before-run || true
touch "$run_stamp"
trap cleanup EXIT

# The control plane's binaries (Go) build in the background from the start; the
# Rust builds go on meanwhile.
start_cluster_build
# The multi-cluster tests run their second cluster on the oldest supported minor.
start_oldest_build 1.32
step "bootstrap (installs what is missing)" "$CERTDESK_ROOT/scripts/bootstrap.sh" --no-cluster-build
# The image's static release build has a target directory of its own, so it never waits
# for the other builds' lock: it runs beside clippy and the frontend (whose stretches
# are mostly single-threaded), and the image step below finds it done.
image_log="$run_tmp/image-binaries.log"
"$CERTDESK_ROOT/scripts/image.sh" --binaries-only >"$image_log" 2>&1 &
image_build=$!
step "cargo fmt --check" cargo fmt --all --check
# Clippy type-checks every target, the benchmarks included (they are built and run only
# by their own scripts), on the host; warnings fail the run.
clippy() {
  cargo clippy --quiet --workspace --all-targets -- -D warnings &&
    # The browser's crates for the browser too (their wasm-only tests included).
    cargo clippy --quiet -p shared -p frontend --target wasm32-unknown-unknown --all-targets -- -D warnings
}
step "cargo clippy (every target, host and wasm32, -D warnings)" clippy
step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
# The container image (a static release binary and dist/), for the runc test.
build_image() {
  wait "$image_build" || { cat "$image_log" >&2; return 1; }
  CERTDESK_IMAGE_DIR=$(CERTDESK_DIST_BUILT=1 "$CERTDESK_ROOT/scripts/image.sh")
}
step "build the image (scripts/image.sh)" build_image
export CERTDESK_IMAGE_DIR
# Helm (built once from the Go module proxy) for the chart's lint, render and dry-run tests.
step "helm (scripts/helm.sh, built once)" "$CERTDESK_ROOT/scripts/helm.sh" version --short
step "build the tests" cargo test --quiet --workspace --no-run
step "build what scripts/run.sh runs (its own tests start it)" build_run_binaries
step "wait for the control plane's binaries" wait_cluster_build
step "wait for the oldest supported minor's binaries (Kubernetes 1.32)" wait_oldest_build

# With its local OpenID Connect issuer (the approvers' OIDC sign-in tests); the test
# build above made the issuer's binary.
start_cluster() {
  cluster_dir=$(CERTDESK_CLUSTER_OIDC=1 CERTDESK_MOCK_OIDC="$CARGO_TARGET_DIR/debug/mock-oidc" \
    "$CERTDESK_ROOT/scripts/cluster.sh" start)
}
step "start a local control plane" start_cluster
export CERTDESK_TEST_CLUSTER="$cluster_dir"

browser_tests() {
  # wasm-bindgen-test in headless Chromium; the runner reads <crate>/webdriver.json for
  # Chromium's flags. RSA-4096 in a debug build takes a while: allow for it.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_TIMEOUT=600 cargo test -p shared -p frontend --target wasm32-unknown-unknown
}
step "browser tests (wasm-bindgen-test in headless Chromium)" browser_tests

# Tests marked #[ignore = "needs …"] need the cluster, the bundle, Go or the browser: run
# them all. The browser's build of `shared` leaves out the confusable tables: test that
# build too.
step "shared without its default features (the browser's)" \
  cargo test --quiet -p shared --no-default-features --lib without_tables
# The browser journeys (one test binary, mostly waiting on Chromium and the cluster)
# run beside everything else rather than after it; each half's output is printed
# whole when it ends, the browser's last.
all_tests() {
  local log="$run_tmp/e2e-browser.log" browser_pid status=0
  # --workspace each time: the features the build step unified, so nothing rebuilds.
  cargo test --workspace --test e2e --no-fail-fast -- --include-ignored >"$log" 2>&1 &
  browser_pid=$!
  cargo test --workspace --exclude e2e --no-fail-fast -- --include-ignored || status=1
  cargo test --workspace --test cluster --no-fail-fast -- --include-ignored || status=1
  cargo test -p e2e --lib --no-fail-fast -- --include-ignored || status=1
  wait "$browser_pid" || status=1
  printf '\n--- the browser journeys (e2e/tests/e2e) ---\n' >&2
  cat "$log" >&2
  return "$status"
}
step "cargo test (unit, integration, differential, cluster; the browser journeys beside them)" all_tests

say "all tests passed in $((SECONDS - started)) s"
