#!/usr/bin/env python3
"""scripts/bench-plugin.sh's measurement: a certificate the local control plane signs
for a throwaway user, a kubeconfig embedding it, the same imported into
kubectl-certdesk's store, then alternating timed runs of `kubectl get --raw /version`."""

import base64
import json
import os
import statistics
import subprocess
import sys
import time

cluster, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
admin = ["kubectl", "--kubeconfig", os.path.join(cluster, "admin.kubeconfig")]
env = dict(os.environ, HOME=work, XDG_STATE_HOME=os.path.join(work, "state"),
           PATH=os.path.join(work, "bin") + ":" + os.environ["PATH"])
env.pop("CERTDESK_RENEW_AT", None)


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


key = os.path.join(work, "user.key")
csr = run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", key, "-subj", "/CN=plugin-bench"])
name = "plugin-bench"
run(admin + ["delete", "csr", name, "--ignore-not-found"])
run(admin + ["create", "-f", "-"], input=json.dumps({
    "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
    "metadata": {"name": name},
    "spec": {"request": base64.b64encode(csr.encode()).decode(), "expirationSeconds": 86400,
             "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]}}))
run(admin + ["certificate", "approve", name])
certificate = ""
for _ in range(100):
    certificate = run(admin + ["get", "csr", name, "-o", "jsonpath={.status.certificate}"])
    if certificate:
        break
    time.sleep(0.1)
with open(os.path.join(work, "user.crt"), "wb") as f:
    f.write(base64.b64decode(certificate))
server = open(os.path.join(cluster, "server")).read().strip()
embedded = os.path.join(work, "embedded.kubeconfig")
plugin = os.path.join(work, "plugin.kubeconfig")
for path in (embedded, plugin):
    k = ["kubectl", "--kubeconfig", path]
    run(k + ["config", "set-cluster", "local", "--server", server,
             "--certificate-authority", os.path.join(cluster, "ca.crt"), "--embed-certs"])
    run(k + ["config", "set-credentials", "plugin-bench", "--client-certificate",
             os.path.join(work, "user.crt"), "--client-key", key, "--embed-certs"])
    run(k + ["config", "set-context", "plugin-bench@local", "--cluster", "local", "--user", "plugin-bench"])
    run(k + ["config", "use-context", "plugin-bench@local"])
run(["kubectl-certdesk", "import", plugin, "--portal", "https://certdesk.invalid"], env=env)


def timed(path):
    start = time.perf_counter()
    subprocess.run(["kubectl", "--kubeconfig", path, "get", "--raw", "/version"], env=env,
                   check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


for path in (embedded, plugin):  # warm the page cache
    timed(path)
with_plugin, without = [], []
for i in range(runs):
    pair = (plugin, embedded) if i % 2 else (embedded, plugin)
    for path in pair:
        (with_plugin if path == plugin else without).append(timed(path))
m_with, m_without = statistics.median(with_plugin), statistics.median(without)
load = open("/proc/loadavg").read().split()[:3]
print(f"| kubectl get --raw /version, {runs} paired runs | median (ms) |")
print("| --- | --- |")
print(f"| certificate embedded in the kubeconfig | {m_without:.1f} |")
print(f"| through kubectl-certdesk (cached certificate) | {m_with:.1f} |")
print(f"| added by the plugin | {m_with - m_without:.1f} (ratio {m_with / m_without:.2f}) |")
print(f"load average: {' '.join(load)}")
