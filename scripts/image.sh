#!/usr/bin/env bash
# Builds CertDesk's container image on this machine, with no registry and no base image
# pulled: the release backend as a static binary (musl) and the release dist/
# (precompressed, with the static credential plugin in downloads/), nothing else; it runs as UID 65532 and needs no writable path. Writes
# an OCI image layout to $IMAGE_DIR (default $CERTDESK_CACHE/image/oci) and an OCI
# archive beside it (certdesk-oci.tar: `podman load -i`, `skopeo copy oci-archive:…`),
# and prints the image's size. deploy/image/Containerfile builds the same image where a
# container engine exists.
#   scripts/image.sh                   build the image
#   scripts/image.sh --binaries-only   only its static binaries (scripts/test.sh starts
#                                      this early, beside the other builds)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"
export NO_COLOR=true
target=x86_64-unknown-linux-musl
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
rustup +"$channel" target list --installed | grep -qx "$target" ||
  step "rustup target add $target" rustup target add --toolchain "$channel" "$target"
command -v musl-gcc >/dev/null || die "musl-gcc is missing: apt-get install musl-tools (scripts/bootstrap.sh does)"

binaries_only=
[[ ${1:-} == --binaries-only ]] && binaries_only=1
# scripts/test.sh has just built dist/ and says so.
[[ -n $binaries_only || ${CERTDESK_DIST_BUILT:-} == 1 ]] ||
  step "build the frontend apps" "$CERTDESK_ROOT/scripts/build-frontend.sh"
# Its own target directory: another target triple, and the image's build never waits
# for (or invalidates) the test builds.
export CC_x86_64_unknown_linux_musl=musl-gcc
# No symbol tables in the image: a smaller layer; panics still name their location.
export CARGO_PROFILE_RELEASE_STRIP=symbols
step "cargo build --release --target $target" \
  env CARGO_TARGET_DIR="$CERTDESK_CACHE/image-target" \
  cargo build --quiet --release --locked --target "$target" -p backend --bin certdesk \
  -p kubectl-certdesk --bin kubectl-certdesk
[[ -z $binaries_only ]] || exit 0
binary="$CERTDESK_CACHE/image-target/$target/release/certdesk"
# The credential plugin, static too, in the portal's downloads.
"$CERTDESK_ROOT/scripts/build-plugin.sh" "$CERTDESK_CACHE/image-target/$target/release/kubectl-certdesk" >&2
! readelf -l "$binary" | grep -q "Requesting program interpreter" || die "$binary is not statically linked"

out=${IMAGE_DIR:-$CERTDESK_CACHE/image/oci}
rm -rf "$out" && mkdir -p "$out"
# Tagged with the backend's version, the chart's appVersion (its default image tag).
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' backend/Cargo.toml | head -1)
read -r digest layer_bytes raw_bytes < <(python3 scripts/oci_image.py "$binary" dist "$out" "certdesk:$version")
archive="$(dirname "$out")/certdesk-oci.tar"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out" -cf "$archive" .
say "image $digest in $out (archive $archive)"
say "size: layer $layer_bytes bytes compressed, $raw_bytes uncompressed; binary $(stat -c %s "$binary") bytes"
echo "$out"
