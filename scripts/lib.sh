# Shared by CertDesk's scripts: paths, the environment every build uses, and messages.
# Sourced, not run.

CERTDESK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CERTDESK_ROOT
# Heavy, slow-to-make things live outside the clone so a fresh clone builds warm.
export CERTDESK_CACHE="${CERTDESK_CACHE:-$HOME/.cache/certdesk}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CERTDESK_CACHE/target}"
export GOCACHE="${GOCACHE:-$CERTDESK_CACHE/go-build}"
export GOMODCACHE="${GOMODCACHE:-$CERTDESK_CACHE/go-mod}"
export PATH="$HOME/.cargo/bin:$CERTDESK_CACHE/npm/node_modules/.bin:$PATH"
# Trunk must never reach for the network; Trunk.toml says so too.
export TRUNK_OFFLINE=true

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs a command, printing a header first, so a long run shows where it is.
step() {
  local name=$1; shift
  printf '\n==> %s\n' "$name" >&2
  local start=$SECONDS
  "$@"
  printf '<== %s (%d s)\n' "$name" "$((SECONDS - start))" >&2
}

# Chromium flags this machine needs (closed network, root, no GPU).
CHROMIUM_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)
