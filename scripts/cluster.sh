#!/usr/bin/env bash
# A real, local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)
# for development and tests. Several can run side by side: each has its own state
# directory and free ports.
#
#   scripts/cluster.sh start [DIR]   start one; DIR defaults to a new directory under
#                                    $CERTDESK_CACHE/clusters. Prints DIR on stdout.
#   scripts/cluster.sh stop DIR      stop exactly the processes it started; remove DIR.
#   scripts/cluster.sh stop-apiserver DIR   stop only kube-apiserver (etcd keeps the state).
#   scripts/cluster.sh start-apiserver DIR  start it again with its recorded command line
#                                    (same port, same flags); returns once it is ready.
#   scripts/cluster.sh webhook-cert DIR   write DIR/webhook/tls.{crt,key}, a serving
#                                    certificate for 127.0.0.1 (CertDesk's admission webhook).
#   scripts/cluster.sh register-webhook DIR URL   register CertDesk's admission webhook
#                                    (deploy/webhook/, with URL and that certificate as caBundle).
#
# CERTDESK_CLUSTER_MINOR=1.32 starts the oldest supported minor instead (its binaries
# built once by scripts/cluster-build.sh 1.32 from e2e/cluster-1.32, cached like the
# current one); anything that minor spells differently is written its way.
#
# CERTDESK_CLUSTER_SIGNING chooses how its kube-controller-manager signs CSRs, for tests of
# clusters that sign differently: unset or `on` signs as kubeadm does; `off` runs no
# signing controller (as on Amazon EKS for kube-apiserver-client: approved, never
# issued); a duration such as `1h` caps every certificate's lifetime
# (--cluster-signing-duration, as OpenShift and many distributions do).
#
# Its API server presents a client certificate (pki/webhook-client.crt, from the CA
# pki/webhook-client-ca.crt) to admission webhooks, and CertDesk's admission policies
# (deploy/admission-policy.yaml) are installed.
#
# CERTDESK_CLUSTER_OIDC=1 also starts a local OpenID Connect issuer over HTTPS (the
# `mock-oidc` binary of e2e/, built here when missing) and starts the API server with
# --authentication-config trusting it: usernames `oidc:<sub>`, groups `oidc:<group>`,
# audience `certdesk`. Its user alice (group certdesk-approvers) is an approver like
# the approver ServiceAccount (deploy/local/oidc-approver.yaml); bob has no rights.
# DIR/oidc then holds issuer (its URL), ca.crt, users.json (the passwords),
# mint.secret and spki.sha256 (for Chromium's --ignore-certificate-errors-spki-list).
#
# DIR then holds: admin.kubeconfig (O=system:masters, local use only),
# backend.kubeconfig (CertDesk's ServiceAccount, deploy/rbac-backend.yaml),
# backend-auto-approve.kubeconfig (a second CertDesk identity that may also approve,
# deploy/rbac-backend-auto-approve.yaml, for --auto-approve-* backends),
# approver.token (deploy/rbac-approver.yaml + view), ca.crt, server, pids, logs/,
# and per process cmd.NAME (its command line, shell-quoted) and pid.NAME.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

pki() {
  local d=$1
  mkdir -p "$d/pki"; cd "$d/pki"
  openssl_quiet() { openssl "$@" 2>/dev/null; }
  openssl_quiet ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl_quiet req -x509 -new -key ca.key -subj "/CN=certdesk-local-ca-${d##*/}" -days 3650 -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
  # sign NAME SUBJECT EXTENSIONS: a leaf signed by the cluster CA.
  sign() {
    openssl_quiet ecparam -name prime256v1 -genkey -noout -out "$1.key"
    openssl_quiet req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$3" >"$1.ext"
    openssl_quiet x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.crt"
    rm -f "$1.csr" "$1.ext"
  }
  sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  sign admin "/O=system:masters/CN=certdesk-local-admin" "$client"
  sign controller-manager "/CN=system:kube-controller-manager" "$client"
  openssl_quiet genrsa -out sa.key 2048
  openssl_quiet rsa -in sa.key -pubout -out sa.pub
  # The API server's client certificate for admission webhooks, from a CA of its own
  # (CertDesk's webhook trusts only it: --webhook-client-ca-file).
  openssl_quiet ecparam -name prime256v1 -genkey -noout -out webhook-client-ca.key
  openssl_quiet req -x509 -new -key webhook-client-ca.key -subj "/CN=certdesk-local-webhook-client-ca" -days 3650 \
    -out webhook-client-ca.crt -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
  openssl_quiet ecparam -name prime256v1 -genkey -noout -out webhook-client.key
  openssl_quiet req -new -key webhook-client.key -subj "/CN=kube-apiserver-webhook-client" -out webhook-client.csr
  printf '%s\n' "$client" >webhook-client.ext
  openssl_quiet x509 -req -in webhook-client.csr -CA webhook-client-ca.crt -CAkey webhook-client-ca.key \
    -CAcreateserial -days 3650 -extfile webhook-client.ext -out webhook-client.crt
  rm -f webhook-client.csr webhook-client.ext
  cp ca.crt "$d/ca.crt"
  cd - >/dev/null
}

# admission_config DIR: the API server's admission configuration, presenting its
# webhook client certificate to every admission webhook (mutual TLS).
admission_config() {
  local d=$1
  cat >"$d/pki/webhook-client.kubeconfig" <<YAML
apiVersion: v1
kind: Config
users:
  - name: "*"
    user:
      client-certificate: $d/pki/webhook-client.crt
      client-key: $d/pki/webhook-client.key
YAML
  cat >"$d/pki/admission.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: ValidatingAdmissionWebhook
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: $d/pki/webhook-client.kubeconfig
YAML
}

# oidc_files DIR: the local issuer's CA, serving certificate, users and mint secret.
oidc_files() {
  local o=$1/oidc
  mkdir -p "$o"
  openssl ecparam -name prime256v1 -genkey -noout -out "$o/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$o/ca.key" -subj "/CN=certdesk-local-oidc-ca" -days 3650 -out "$o/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out "$o/tls.key" 2>/dev/null
  openssl req -new -key "$o/tls.key" -subj "/CN=127.0.0.1" -out "$o/tls.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$o/tls.ext"
  openssl x509 -req -in "$o/tls.csr" -CA "$o/ca.crt" -CAkey "$o/ca.key" -CAcreateserial -days 3650 \
    -extfile "$o/tls.ext" -out "$o/tls.crt" 2>/dev/null
  rm -f "$o/tls.csr" "$o/tls.ext" "$o/ca.key"
  openssl x509 -in "$o/tls.crt" -pubkey -noout | openssl pkey -pubin -outform der 2>/dev/null |
    openssl dgst -sha256 -binary | base64 >"$o/spki.sha256"
  local alice bob
  alice=$(openssl rand -hex 12); bob=$(openssl rand -hex 12)
  printf '[{"name":"alice","password":"%s","groups":["certdesk-approvers"]},{"name":"bob","password":"%s","groups":[]}]\n' \
    "$alice" "$bob" >"$o/users.json"
  openssl rand -hex 24 >"$o/mint.secret"
  chmod 600 "$o/tls.key" "$o/users.json" "$o/mint.secret"
}

# oidc_start: starts the issuer on a free port and writes the API server's
# AuthenticationConfiguration trusting it; prints the flag to add.
oidc_start() {
  local o=$dir/oidc port
  port=$(free_port)
  echo "https://127.0.0.1:$port" >"$o/issuer"
  local bin=${CERTDESK_MOCK_OIDC:-$CARGO_TARGET_DIR/debug/mock-oidc}
  launch oidc "$bin" --dir "$o" --listen "127.0.0.1:$port"
  # AuthenticationConfiguration is v1 from Kubernetes 1.34, v1beta1 in 1.30-1.33.
  local version=v1
  case ${CERTDESK_CLUSTER_MINOR:-} in 1.3[0-3]) version=v1beta1 ;; esac
  cat >"$o/authentication.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/$version
kind: AuthenticationConfiguration
jwt:
  - issuer:
      url: https://127.0.0.1:$port
      audiences: [certdesk]
      certificateAuthority: |
$(sed 's/^/        /' "$o/ca.crt")
    claimMappings:
      username: {claim: sub, prefix: "oidc:"}
      groups: {claim: groups, prefix: "oidc:"}
YAML
  wait_for "the local OIDC issuer" 30 curl -sf --cacert "$o/ca.crt" "https://127.0.0.1:$port/.well-known/openid-configuration"
}

# kubeconfig FILE SERVER USER-ARGS...: writes a kubeconfig with kubectl itself.
kubeconfig() {
  local file=$1 server=$2; shift 2
  kubectl config set-cluster local --kubeconfig "$file" --server "$server" \
    --certificate-authority "$dir/ca.crt" --embed-certs >/dev/null
  kubectl config set-credentials user --kubeconfig "$file" "$@" >/dev/null
  kubectl config set-context local --kubeconfig "$file" --cluster local --user user >/dev/null
  kubectl config use-context local --kubeconfig "$file" >/dev/null
}

wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    for pid in $(cat "$dir/pids"); do
      running "$pid" || { say "a control plane process ($pid) exited while waiting for $what"; return 1; }
    done
    ((SECONDS < deadline)) || { say "timed out after ${seconds}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# launch NAME COMMAND...: starts it in the background and records its pid (in pids, which
# `stop` reads, and in pid.NAME) and its command line (cmd.NAME, to re-run it).
launch() {
  local name=$1; shift
  printf '%q ' "$@" >"$dir/cmd.$name"
  "$@" >>"$dir/logs/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" >>"$dir/pids"
  echo "$pid" >"$dir/pid.$name"
  started "$pid" >"$dir/start.$pid" || true
}

# stop_component NAME: stops that one process and removes it from pids.
stop_component() {
  local name=$1 pid
  [ -f "$dir/pid.$name" ] || die "$name is not running in $dir"
  pid=$(cat "$dir/pid.$name")
  signal TERM "$pid"
  if ! wait_gone 10 "$pid"; then
    signal KILL "$pid"
    wait_gone 10 "$pid" || die "$name ($pid) survived SIGKILL"
  fi
  grep -vx "$pid" "$dir/pids" >"$dir/pids.new" || true
  mv "$dir/pids.new" "$dir/pids"
  rm -f "$dir/pid.$name" "$dir/start.$pid"
}

# start_component NAME: runs its recorded command line again.
start_component() {
  local name=$1
  [ -f "$dir/cmd.$name" ] || die "no recorded command line for $name in $dir"
  [ ! -f "$dir/pid.$name" ] || die "$name is already running in $dir ($(cat "$dir/pid.$name"))"
  local -a command
  eval "command=($(cat "$dir/cmd.$name"))"
  launch "$name" "${command[@]}"
}

start_once() {
  local bin=$1
  : >"$dir/pids"
  mkdir -p "$dir/logs"
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  local server="https://127.0.0.1:$api_port"
  echo "$server" >"$dir/server"

  launch etcd "$bin/etcd" --name local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "local=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --log-level warn

  local authentication=()
  if [ "${CERTDESK_CLUSTER_OIDC:-0}" = 1 ]; then
    oidc_start
    authentication=(--authentication-config "$dir/oidc/authentication.yaml")
  fi

  launch kube-apiserver "$bin/kube-apiserver" "${authentication[@]}" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=false --profiling=false --cert-dir "$dir/pki/generated" \
    --admission-control-config-file "$dir/pki/admission.yaml"

  kubeconfig "$dir/admin.kubeconfig" "$server" \
    --client-certificate "$dir/pki/admin.crt" --client-key "$dir/pki/admin.key" --embed-certs
  kubeconfig "$dir/controller-manager.kubeconfig" "$server" \
    --client-certificate "$dir/pki/controller-manager.crt" --client-key "$dir/pki/controller-manager.key" --embed-certs
  wait_for "kube-apiserver /readyz" 90 kubectl --kubeconfig "$dir/admin.kubeconfig" get --raw /readyz

  local controllers=certificatesigningrequest-cleaner-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,namespace-controller,garbage-collector-controller
  local signing=()
  case "${CERTDESK_CLUSTER_SIGNING:-on}" in
    on) controllers="certificatesigningrequest-signing-controller,$controllers" ;;
    off) ;;
    [0-9]*[smh]) controllers="certificatesigningrequest-signing-controller,$controllers"
      signing=(--cluster-signing-duration "$CERTDESK_CLUSTER_SIGNING") ;;
    *) die "CERTDESK_CLUSTER_SIGNING=$CERTDESK_CLUSTER_SIGNING: use on, off or a duration such as 1h" ;;
  esac
  launch kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
    --secure-port 0 --leader-elect=false --use-service-account-credentials \
    --controllers "$controllers" "${signing[@]}" \
    --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt"

  local admin=(kubectl --kubeconfig "$dir/admin.kubeconfig")
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/crds.yaml" >/dev/null
  "${admin[@]}" wait --for condition=established --timeout 60s \
    crd/issuedcertificates.certdesk.dev crd/invites.certdesk.dev crd/withdrawals.certdesk.dev \
    crd/removals.certdesk.dev >/dev/null
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/admission-policy.yaml" >/dev/null
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/rbac-backend.yaml" -f "$CERTDESK_ROOT/deploy/rbac-approver.yaml" \
    -f "$CERTDESK_ROOT/deploy/local/approver.yaml" \
    -f "$CERTDESK_ROOT/deploy/local/kubeadm-cluster-admins.yaml" >/dev/null
  # Of the auto-approval overlay only its ClusterRole: it binds CertDesk's own
  # ServiceAccount, and locally only certdesk-auto may approve.
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/rbac-backend-auto-approve.yaml" \
    -l app.kubernetes.io/component=approval-rights >/dev/null
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/local/backend-auto-approve.yaml" >/dev/null
  # The webhook's rights (SubjectAccessReviews), so tests can register CertDesk's
  # admission webhook here (it reads RBAC's answers and changes nothing).
  "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/rbac-backend-webhook.yaml" >/dev/null
  if [ "${CERTDESK_CLUSTER_OIDC:-0}" = 1 ]; then
    "${admin[@]}" apply -f "$CERTDESK_ROOT/deploy/local/oidc-approver.yaml" >/dev/null
  fi
  # The ServiceAccounts exist once the API server has them; tokens need no controller.
  local token
  token=$("${admin[@]}" create token certdesk -n certdesk --duration 8760h)
  kubeconfig "$dir/backend.kubeconfig" "$server" --token "$token"
  token=$("${admin[@]}" create token certdesk-auto -n certdesk --duration 8760h)
  kubeconfig "$dir/backend-auto-approve.kubeconfig" "$server" --token "$token"
  "${admin[@]}" create token certdesk-approver -n certdesk --duration 24h >"$dir/approver.token"
  chmod 600 "$dir"/*.kubeconfig "$dir/approver.token" "$dir"/pki/*.key
  # Ready for CertDesk when the controller manager publishes the CA in its namespace.
  wait_for "kube-controller-manager (kube-root-ca.crt in namespace certdesk)" 60 \
    "${admin[@]}" get configmap kube-root-ca.crt -n certdesk
}

# started PID: the process's start time (clock ticks since boot, field 22 of
# /proc/PID/stat). With pid_max at 32768 a PID is soon reused; the start time tells
# the process launched here from a later one that got the same number.
started() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  set -- $stat
  echo "${20}"
}

# running PID: the process launched here still exists and is not a zombie (a zombie
# holds no port or file; whether its parent ever reaps it is not ours to decide).
running() {
  local stat state
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  state=${stat%% *}
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
  # A PID without a recorded start time (an older state directory) is taken as ours.
  [ ! -f "$dir/start.$1" ] || [ "$(started "$1")" = "$(cat "$dir/start.$1")" ]
}

# signal SIG PID...: sends SIG to each PID that is still the process launched here.
signal() {
  local sig=$1; shift
  for pid in "$@"; do running "$pid" && kill "-$sig" "$pid" 2>/dev/null || true; done
}

# wait_gone SECONDS PID...: true once none of the PIDs is running.
wait_gone() {
  local tenths=$(($1 * 10)); shift
  for _ in $(seq "$tenths"); do
    local alive=0
    for pid in "$@"; do running "$pid" && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

stop() {
  local dir=$1
  [ -d "$dir" ] || { say "no such control plane directory: $dir"; return 0; }
  if [ -f "$dir/pids" ]; then
    local pids; pids=$(tac "$dir/pids")
    signal TERM $pids
    if ! wait_gone 10 $pids; then
      signal KILL $pids
      # SIGKILL is delivered asynchronously: wait until the kernel has acted.
      wait_gone 10 $pids || die "processes $(echo $pids) survived SIGKILL"
    fi
  fi
  rm -rf "$dir"
}

cmd=${1:-}; shift || true
case "$cmd" in
  start)
    # shellcheck disable=SC2086 # no minor: no argument
    bin=$("$CERTDESK_ROOT/scripts/cluster-build.sh" ${CERTDESK_CLUSTER_MINOR:-})
    export PATH="$bin:$PATH"
    dir=${1:-}
    if [ -z "$dir" ]; then mkdir -p "$CERTDESK_CACHE/clusters"; dir=$(mktemp -d "$CERTDESK_CACHE/clusters/cluster-XXXXXX"); fi
    mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
    echo "$bin" >"$dir/bindir"
    pki "$dir"
    admission_config "$dir"
    if [ "${CERTDESK_CLUSTER_OIDC:-0}" = 1 ]; then
      oidc_files "$dir"
      [ -n "${CERTDESK_MOCK_OIDC:-}" ] || (cd "$CERTDESK_ROOT" && cargo build --quiet -p e2e --bin mock-oidc) ||
        die "cannot build the local OIDC issuer (cargo build -p e2e --bin mock-oidc)"
    fi
    # A port taken between choosing and binding fails one attempt; try afresh.
    for attempt in 1 2 3; do
      if start_once "$bin"; then echo "$dir"; exit 0; fi
      say "attempt $attempt failed; logs:"; tail -n 5 "$dir"/logs/*.log >&2 || true
      stop_keep=$(mktemp -d); cp -r "$dir/pki" "$stop_keep/"
      if [ -d "$dir/oidc" ]; then cp -r "$dir/oidc" "$stop_keep/"; fi
      stop "$dir"; mkdir -p "$dir"; mv "$stop_keep"/* "$dir/"; rmdir "$stop_keep"
    done
    stop "$dir"
    die "the control plane did not start"
    ;;
  stop)
    [ -n "${1:-}" ] || usage
    stop "$1"
    ;;
  stop-apiserver)
    [ -d "${1:-}" ] || usage
    dir=$(cd "$1" && pwd)
    stop_component kube-apiserver
    ;;
  start-apiserver)
    [ -d "${1:-}" ] || usage
    dir=$(cd "$1" && pwd)
    export PATH="$(cat "$dir/bindir" 2>/dev/null || "$CERTDESK_ROOT/scripts/cluster-build.sh"):$PATH"
    start_component kube-apiserver
    wait_for "kube-apiserver /readyz" 90 kubectl --kubeconfig "$dir/admin.kubeconfig" get --raw /readyz
    ;;
  webhook-cert)
    [ -d "${1:-}" ] || usage
    mkdir -p "$1/webhook"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
      -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$1/webhook/tls.key" -out "$1/webhook/tls.crt" 2>/dev/null
    chmod 600 "$1/webhook/tls.key"
    ;;
  register-webhook)
    [ -d "${1:-}" ] && [ -n "${2:-}" ] || usage
    # The registration of deploy/webhook/validating-webhook.yaml, with a url (the
    # backend runs beside the API server here) instead of a Service.
    kubectl --kubeconfig "$1/admin.kubeconfig" apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: certdesk-approval-identity
  labels: {app.kubernetes.io/name: certdesk}
webhooks:
  - name: approval-identity.certdesk.dev
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 10
    clientConfig:
      url: "$2"
      caBundle: "$(base64 -w0 <"$1/webhook/tls.crt")"
    rules:
      - apiGroups: ["certificates.k8s.io"]
        apiVersions: ["v1"]
        operations: ["UPDATE"]
        resources: ["certificatesigningrequests/approval"]
        scope: "Cluster"
    matchConditions:
      - name: kube-apiserver-client-only
        expression: "object.spec.signerName == 'kubernetes.io/kube-apiserver-client'"
YAML
    ;;
  *) usage ;;
esac
