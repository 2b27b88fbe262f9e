# Shared by CertDesk's scripts: paths, the environment every build uses, and messages.
# Sourced, not run.

CERTDESK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CERTDESK_ROOT
# Heavy, slow-to-make things live outside the clone so a fresh clone builds warm.
export CERTDESK_CACHE="${CERTDESK_CACHE:-$HOME/.cache/certdesk}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CERTDESK_CACHE/target}"
export GOCACHE="${GOCACHE:-$CERTDESK_CACHE/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CERTDESK_CACHE/go-mod}"
# The build tools bootstrap.sh installs (trunk, wasm-bindgen-cli) live in the cache too,
# so removing the cache removes them.
export PATH="$CERTDESK_CACHE/tools/bin:$HOME/.cargo/bin:$CERTDESK_CACHE/npm/node_modules/.bin:$PATH"
# Trunk must never reach for the network; Trunk.toml says so too.
export TRUNK_OFFLINE=true

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }
# free_port: a free port of 127.0.0.1 that neither the kernel nor another of our scripts
# hands out in the next minutes (scripts/free_ports.py says how).
free_port() { python3 "$CERTDESK_ROOT/scripts/free_ports.py"; }

# Runs a command, printing a header first and its time after, so a long run shows where
# it is; `summary` prints every step's time at the end.
STEPS=()
step() {
  local name=$1; shift
  printf '\n==> %s\n' "$name" >&2
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start))
  STEPS+=("$(printf '%6d s  %s%s' "$took" "$name" "$( ((status)) && echo "  (FAILED)")")")
  printf '<== %s (%d s)\n' "$name" "$took" >&2
  return "$status"
}

# Prints the time of each step run so far, and the total since `started` was set.
summary() {
  ((${#STEPS[@]})) || return 0
  printf '\n%s: where the time went\n' "${0##*/}" >&2
  printf '%s\n' "${STEPS[@]}" >&2
  printf '%6d s  in all\n' "$((SECONDS - ${started:-0}))" >&2
}

# Starts building the control plane's binaries (Go, mostly I/O the first time) in the
# background, so they overlap the Rust builds; `wait_cluster_build` waits for it.
# What scripts/run.sh runs: the backend and the credential plugin, these two packages
# alone (their features unified without the tests' crates, so a different build from
# `cargo test --workspace`). scripts/test.sh builds it too before the tests start, so
# the run command's own tests find it built instead of compiling beside the other tests.
build_run_binaries() {
  cargo build --quiet -p backend --bin certdesk -p kubectl-certdesk --bin kubectl-certdesk
}

start_cluster_build() {
  mkdir -p "$CERTDESK_CACHE/logs"
  "$CERTDESK_ROOT/scripts/cluster-build.sh" >"$CERTDESK_CACHE/logs/cluster-build.out" \
    2>"$CERTDESK_CACHE/logs/cluster-build.log" &
  CLUSTER_BUILD_PID=$!
}
# The oldest supported minor's binaries too (after the current ones, which they reuse
# etcd and kubectl from): `wait_oldest_build` waits for them.
start_oldest_build() {
  mkdir -p "$CERTDESK_CACHE/logs"
  "$CERTDESK_ROOT/scripts/cluster-build.sh" "$1" >"$CERTDESK_CACHE/logs/cluster-build-$1.out" \
    2>"$CERTDESK_CACHE/logs/cluster-build-$1.log" &
  OLDEST_BUILD_PID=$! OLDEST_BUILD_MINOR=$1
}
wait_oldest_build() {
  [[ -n ${OLDEST_BUILD_PID:-} ]] || return 0
  if ! wait "$OLDEST_BUILD_PID"; then
    tail -n 30 "$CERTDESK_CACHE/logs/cluster-build-$OLDEST_BUILD_MINOR.log" >&2
    die "building Kubernetes $OLDEST_BUILD_MINOR failed (log: $CERTDESK_CACHE/logs/cluster-build-$OLDEST_BUILD_MINOR.log)"
  fi
  OLDEST_BUILD_PID=
}
wait_cluster_build() {
  [[ -n ${CLUSTER_BUILD_PID:-} ]] || return 0
  if ! wait "$CLUSTER_BUILD_PID"; then
    cat "$CERTDESK_CACHE/logs/cluster-build.log" >&2
    die "building the control plane's binaries failed (log: $CERTDESK_CACHE/logs/cluster-build.log)"
  fi
  CLUSTER_BUILD_PID=
  # The tests' kubectl is the one built with the control plane (the same minor), not
  # whatever the machine has on PATH.
  local bin
  bin=$(tail -n 1 "$CERTDESK_CACHE/logs/cluster-build.out")
  [[ -x $bin/kubectl ]] || die "the control plane's build printed no binary directory"
  export PATH="$bin:$PATH"
}

# Chromium flags this machine needs (closed network, root, no GPU).
CHROMIUM_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)
