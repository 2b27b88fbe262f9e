#!/usr/bin/env python3
"""Writes CertDesk's OCI image layout from a static binary and the built app, with no
base image and no registry: one deterministic layer (sorted entries, mtime 0, owner
root) holding /certdesk, /dist and a minimal /etc/passwd and /etc/group naming UID
65532; a config that runs /certdesk as 65532:65532. Used by scripts/image.sh.

    oci_image.py BINARY DIST OUT_DIR TAG
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
# The same files deploy/image/Containerfile copies.
PASSWD = open(os.path.join(HERE, "..", "deploy", "image", "passwd"), "rb").read()
GROUP = open(os.path.join(HERE, "..", "deploy", "image", "group"), "rb").read()


def add(tar, name, data=None, mode=0o644, directory=False):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    else:
        info.mode = mode
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def layer(binary, dist):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "certdesk", open(binary, "rb").read(), mode=0o755)
        add(tar, "dist", directory=True)
        for root, dirs, files in sorted(os.walk(dist)):
            dirs.sort()
            rel = os.path.relpath(root, dist)
            if rel != ".":
                add(tar, os.path.join("dist", rel), directory=True)
            for name in sorted(files):
                path = os.path.join(root, name)
                add(tar, os.path.normpath(os.path.join("dist", rel, name)), open(path, "rb").read())
        add(tar, "etc", directory=True)
        add(tar, "etc/group", GROUP)
        add(tar, "etc/passwd", PASSWD)
        add(tar, "tmp", directory=True)
    return raw.getvalue()


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def main():
    binary, dist, out, tag = sys.argv[1:5]
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    tar = layer(binary, dist)
    compressed = gzip.compress(tar, compresslevel=9, mtime=0)
    layer_digest = blob(out, compressed)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "User": "65532:65532",
            "Entrypoint": ["/certdesk"],
            "Env": ["CERTDESK_STATIC_DIR=/dist", "PATH=/"],
            "ExposedPorts": {"8080/tcp": {}},
            "WorkingDir": "/",
            "Labels": {"org.opencontainers.image.title": "certdesk"},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/image.sh"}],
    }
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_digest = blob(out, config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config_bytes)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": len(compressed)}],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    manifest_digest = blob(out, manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": len(manifest_bytes),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True, separators=(",", ":"))
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(f"{manifest_digest} {len(compressed)} {len(tar)}")


if __name__ == "__main__":
    main()
