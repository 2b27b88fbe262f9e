#!/usr/bin/env bash
# Sets up and runs CertDesk on http://127.0.0.1:8080 (CERTDESK_LISTEN to change).
#
# With no KUBECONFIG in the environment, it first starts a local Kubernetes control plane
# (scripts/cluster.sh) and points CertDesk at it, printing an approver token; with one,
# CertDesk uses that cluster. Ctrl-C stops CertDesk and the local control plane.
# Arguments are passed to the backend (see `certdesk --help`). With the local control
# plane, CertDesk approves renewals by itself (the credential plugin's), and its
# admission webhook is served on a free port of 127.0.0.1 (CERTDESK_WEBHOOK_LISTEN, mutual TLS with
# the API server) and registered, so the identity rule also holds for `kubectl
# certificate approve` and CertDesk's own approvals are limited to those renewals;
# CERTDESK_LOCAL_WEBHOOK=0 runs without either.
#
# CERTDESK_CLUSTERS=2 or 3 starts that many control planes and CertDesks that are each
# other's peers (below).
#
# CERTDESK_LOCAL_OIDC=1 also starts a local OpenID Connect issuer over HTTPS that the local
# API server trusts (--authentication-config), offers approvers "Sign in with Local
# issuer", and prints the issuer's test user (alice, an approver) and password.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CERTDESK_ROOT"

started=$SECONDS
# The control plane's binaries (Go) build in the background from the start, and so do
# the backend and the credential plugin (the dev profile, dependencies optimised, shared
# with the tests), beside bootstrap's tools and the frontend: on a fresh machine the
# builds' single-threaded stretches overlap instead of adding up.
[ -n "${KUBECONFIG:-}" ] || start_cluster_build
step "bootstrap: Debian packages and the Rust toolchain" \
  "$CERTDESK_ROOT/scripts/bootstrap.sh" --no-cluster-build --toolchain-only
mkdir -p "$CERTDESK_CACHE/logs"
backend_log="$CERTDESK_CACHE/logs/run-backend-build.log"
build_run_binaries >"$backend_log" 2>&1 &
backend_build=$!
trap 'kill "$backend_build" 2>/dev/null || true' EXIT
step "bootstrap (installs what is missing)" "$CERTDESK_ROOT/scripts/bootstrap.sh" --no-cluster-build
# CERTDESK_DIST_BUILT=1: dist/ (apps and plugin) is built already and is left alone
# (the test suite's run of this script, while other tests serve that dist/).
if [[ ${CERTDESK_DIST_BUILT:-} != 1 ]]; then
  step "build the frontend apps (scripts/build-frontend.sh)" "$CERTDESK_ROOT/scripts/build-frontend.sh"
fi
wait_backend() {
  wait "$backend_build" || { cat "$backend_log" >&2; die "building the backend failed"; }
}
step "build the backend and the credential plugin (begun at the start)" wait_backend
if [[ ${CERTDESK_DIST_BUILT:-} != 1 ]]; then
  # The credential plugin the portal offers.
  # The build begun at the start made it: building it alone would unify other features
  # and compile its dependencies again.
  step "offer the credential plugin (scripts/build-plugin.sh)" \
    "$CERTDESK_ROOT/scripts/build-plugin.sh" "$CARGO_TARGET_DIR/debug/kubectl-certdesk"
fi
step "wait for the control plane's binaries" wait_cluster_build
local_oidc=0
if [ -z "${KUBECONFIG:-}" ] && [ "${CERTDESK_LOCAL_OIDC:-0}" = 1 ]; then
  local_oidc=1
  step "build the local OIDC issuer (e2e's mock-oidc)" cargo build --quiet -p e2e --bin mock-oidc
fi

# CERTDESK_CLUSTERS=2 (or 3): that many local control planes, each with its own CA, and
# a CertDesk for each (clusters a, b, c on the listener's port, +1, +2) that lists the
# others as peers: one visit requests access to all of them.
clusters=${CERTDESK_CLUSTERS:-1}
[[ $clusters =~ ^[1-3]$ ]] || die "CERTDESK_CLUSTERS must be 1, 2 or 3 (got '$clusters')"
[ "$clusters" = 1 ] || [ -z "${KUBECONFIG:-}" ] || die "CERTDESK_CLUSTERS=$clusters starts local control planes: unset KUBECONFIG"
listen=${CERTDESK_LISTEN:-127.0.0.1:8080}
listen_host=${listen%:*}
listen_port=${listen##*:}
# Each CertDesk's port: the listener's and the next ones, or free ones for port 0.
ports=()
for ((i = 0; i < clusters; i++)); do
  if [ "$listen_port" = 0 ]; then
    ports+=("$(free_port)")
  else
    ports+=($((listen_port + i)))
  fi
done
[ "$clusters" = 1 ] && ports=("$listen_port")

cluster_dirs=()
backend_pids=()
cleanup() {
  trap - EXIT INT TERM
  local pid dir
  for pid in "${backend_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${backend_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for dir in "${cluster_dirs[@]}"; do
    say "stopping the local control plane $dir"; "$CERTDESK_ROOT/scripts/cluster.sh" stop "$dir"
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# name_of I: the cluster name of the I-th local CertDesk (0-based).
name_of() {
  if [ "$clusters" = 1 ]; then echo "${CERTDESK_CLUSTER_NAME:-certdesk-local}"; else printf "\\x$(printf %x $((97 + $1)))\n"; fi
}
url_of() { echo "http://$listen_host:${ports[$1]}"; }

# configure_local DIR: the environment of a CertDesk for the local control plane DIR.
configure_local() {
  local cluster_dir=$1
  # The local policy offers the seed course's dev-team (deploy/local/policy.yaml).
  export CERTDESK_POLICY_FILE="${CERTDESK_POLICY_FILE:-$CERTDESK_ROOT/deploy/local/policy.yaml}"
  if [ "$local_oidc" = 1 ]; then
    export CERTDESK_OIDC_ISSUER_URL="$(cat "$cluster_dir/oidc/issuer")" CERTDESK_OIDC_CLIENT_ID=certdesk
    export CERTDESK_OIDC_DISPLAY_NAME="${CERTDESK_OIDC_DISPLAY_NAME:-Local issuer}"
  fi
  # Renewals by proof of possession (the credential plugin's) are approved by CertDesk
  # itself, which needs the approval right; its admission webhook limits that right to
  # exactly those renewals. CERTDESK_LOCAL_WEBHOOK=0 turns both off.
  if [ "${CERTDESK_LOCAL_WEBHOOK:-1}" = 1 ]; then
    export CERTDESK_KUBECONFIG="$cluster_dir/backend-auto-approve.kubeconfig"
    export CERTDESK_AUTO_APPROVE_RENEWALS=true
    "$CERTDESK_ROOT/scripts/cluster.sh" webhook-cert "$cluster_dir"
    export CERTDESK_WEBHOOK_LISTEN="127.0.0.1:$(free_port)"
    export CERTDESK_WEBHOOK_TLS_CERT_FILE="$cluster_dir/webhook/tls.crt"
    export CERTDESK_WEBHOOK_TLS_KEY_FILE="$cluster_dir/webhook/tls.key"
    # Only the API server (its admission client certificate) may call the webhook.
    export CERTDESK_WEBHOOK_CLIENT_CA_FILE="$cluster_dir/pki/webhook-client-ca.crt"
    "$CERTDESK_ROOT/scripts/cluster.sh" register-webhook "$cluster_dir" \
      "https://$CERTDESK_WEBHOOK_LISTEN/validate/certificatesigningrequests/approval"
    say "admission webhook registered: kubectl certificate approve follows CertDesk's identity rule, and CertDesk approves by itself only renewals"
  else
    export CERTDESK_KUBECONFIG="$cluster_dir/backend.kubeconfig"
  fi
}

# peers_of I: the --peers JSON of the I-th CertDesk: every other one.
peers_of() {
  local j sep= out='['
  for ((j = 0; j < clusters; j++)); do
    [ "$j" = "$1" ] && continue
    out+="$sep{\"name\":\"$(name_of "$j")\",\"url\":\"$(url_of "$j")\",\"order\":$j,\"default\":true}"
    sep=,
  done
  echo "$out]"
}

if [ -n "${KUBECONFIG:-}" ]; then
  say "using the cluster of KUBECONFIG=$KUBECONFIG"
  say "(it needs CertDesk's resources and RBAC: kubectl apply -f deploy/crds.yaml, then -f deploy/rbac-backend.yaml -f deploy/rbac-approver.yaml)"
  export CERTDESK_KUBECONFIG="$KUBECONFIG"
  summary
  "$CARGO_TARGET_DIR/debug/certdesk" --static-dir "$CERTDESK_ROOT/dist" "$@" &
  backend_pids+=($!)
  wait "${backend_pids[0]}"
  exit
fi

say "no KUBECONFIG set: starting $clusters local control plane(s) (etcd, kube-apiserver, kube-controller-manager)"
start_cluster() {
  local dir
  dir=$(CERTDESK_CLUSTER_OIDC=$local_oidc CERTDESK_MOCK_OIDC="$CARGO_TARGET_DIR/debug/mock-oidc" \
    "$CERTDESK_ROOT/scripts/cluster.sh" start)
  cluster_dirs+=("$dir")
}
for ((i = 0; i < clusters; i++)); do
  step "start local control plane $((i + 1)) of $clusters" start_cluster
done
summary
for ((i = 0; i < clusters; i++)); do
  cluster_dir=${cluster_dirs[$i]}
  name=$(name_of "$i")
  cat >&2 <<MSG

Cluster $name: $(url_of "$i")   (API server $(cat "$cluster_dir/server"); state in $cluster_dir)
  admin kubeconfig:  $cluster_dir/admin.kubeconfig
  approver token:    $cluster_dir/approver.token   (paste it on $(url_of "$i")/admin)
MSG
  if [ "$local_oidc" = 1 ]; then
    oidc_url=$(cat "$cluster_dir/oidc/issuer")
    alice=$(python3 -c 'import json,sys; print(next(u["password"] for u in json.load(open(sys.argv[1])) if u["name"] == "alice"))' \
      "$cluster_dir/oidc/users.json")
    cat >&2 <<MSG
  OIDC issuer:       $oidc_url   (CA: $cluster_dir/oidc/ca.crt; open $oidc_url/.well-known/openid-configuration once in the browser and accept its certificate, or trust that CA)
  OIDC approver:     alice / $alice   (the cluster sees oidc:alice in group oidc:certdesk-approvers)
MSG
  fi
  peers=()
  [ "$clusters" = 1 ] || peers=(--peers "$(peers_of "$i")")
  (
    configure_local "$cluster_dir"
    export CERTDESK_CLUSTER_NAME="$name" CERTDESK_LISTEN="$listen_host:${ports[$i]}"
    exec "$CARGO_TARGET_DIR/debug/certdesk" --static-dir "$CERTDESK_ROOT/dist" "${peers[@]}" "$@"
  ) &
  backend_pids+=($!)
done
[ "$clusters" = 1 ] || say "open $(url_of 0): one request goes to every cluster; each cluster's approver approves at its own CertDesk (or on /admin/clusters with a token per cluster)"
# Any CertDesk ending ends the run (and cleanup stops the rest).
wait -n "${backend_pids[@]}"
