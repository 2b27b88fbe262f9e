#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go module in
# e2e/cluster into a cache outside the clone, keyed by the Kubernetes version and the
# module's files. Prints the bin directory. Quiet and quick when already built. After a
# build it removes the builds of module versions this checkout no longer has.
#
#   scripts/cluster-build.sh [MINOR]   MINOR (such as 1.32) builds that older minor's
#       kube-apiserver and kube-controller-manager from e2e/cluster-MINOR instead, beside
#       etcd and kubectl of the current one (kubectl's skew is tolerated for tests).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$here/e2e/cluster"
cache="${CERTDESK_CACHE:-$HOME/.cache/certdesk}"
bins=(etcd kube-apiserver kube-controller-manager kubectl)
targets=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  k8s.io/kubernetes/cmd/kubectl ./cmd/etcd)
current=
if [ -n "${1:-}" ]; then
  [ -f "$here/e2e/cluster-$1/go.mod" ] || { echo "cluster-build: no module for Kubernetes $1 (e2e/cluster-$1)" >&2; exit 2; }
  current=$("$0")
  mod="$here/e2e/cluster-$1"
  targets=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
fi
version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ {print $2; exit} $1 == "require" && $2 == "k8s.io/kubernetes" {print $3; exit}' "$mod/go.mod")
[ -n "$version" ] || { echo "cluster-build: no k8s.io/kubernetes version in $mod/go.mod" >&2; exit 1; }
key=$(cat "$mod/go.mod" "$mod/go.sum" "$here/e2e/cluster/cmd/etcd/main.go" | sha256sum | cut -c1-12)
out="$cache/k8s-$version-$key"

built() { for b in "${bins[@]}"; do [ -x "$out/bin/$b" ] || return 1; done; }
if built; then echo "$out/bin"; exit 0; fi
# One build of a version at a time: a second caller waits, then finds it built.
mkdir -p "$cache"
exec 9>"$out.lock"
flock 9
if built; then echo "$out/bin"; exit 0; fi

export GOCACHE="${GOCACHE:-$cache/go-build}" GOMODCACHE="${GOMODCACHE:-$cache/go-mod}" GOFLAGS=-buildvcs=false
minor=${version#v1.}; minor=${minor%%.*}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
done
echo "cluster-build: building Kubernetes $version binaries into $out (first time only; ~15-25 min on 2 cores)" >&2
mkdir -p "$out/bin.tmp"
start=$SECONDS
(cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$out/bin.tmp/" "${targets[@]}") >&2
if [ -n "$current" ]; then
  cp "$current/etcd" "$current/kubectl" "$out/bin.tmp/"
fi
rm -rf "$out/bin" && mv "$out/bin.tmp" "$out/bin"
echo "cluster-build: done in $((SECONDS - start)) s" >&2
# A changed module leaves its old build behind (~0.5 GB each): keep only the builds of
# this checkout's modules, skipping any another caller is building (its lock held).
keep=()
for m in "$here"/e2e/cluster "$here"/e2e/cluster-*; do
  [ -f "$m/go.mod" ] || continue
  v=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ {print $2; exit} $1 == "require" && $2 == "k8s.io/kubernetes" {print $3; exit}' "$m/go.mod")
  keep+=("$cache/k8s-$v-$(cat "$m/go.mod" "$m/go.sum" "$here/e2e/cluster/cmd/etcd/main.go" | sha256sum | cut -c1-12)")
done
for old in "$cache"/k8s-v*; do
  [ -d "$old" ] || continue
  [[ " ${keep[*]} " == *" $old "* ]] && continue
  if exec 8>"$old.lock" && flock -n 8; then
    echo "cluster-build: removing the old build $old" >&2
    rm -rf "$old" "$old.lock"
  fi
  exec 8>&-
done
echo "$out/bin"
