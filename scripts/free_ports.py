#!/usr/bin/env python3
"""free_ports.py [N]: prints N (default 1) free TCP ports of 127.0.0.1, one per line.

A port chosen now and bound later by another process (etcd, kube-apiserver, a CertDesk,
its admission webhook) can be taken in between. Two sources of that race are closed here:

- The kernel hands out ephemeral ports (an outgoing connection's source port, a bind to
  port 0) from net.ipv4.ip_local_port_range. The ports chosen here lie just below that
  range, so nothing the kernel chooses can take them.
- Ports handed out by this script within the last ten minutes are recorded (per user,
  under a lock) and never handed out again in that time, so two scripts of one run, or
  two runs side by side, cannot choose the same port.

Each port is also checked free by binding it before it is handed out.
"""
import fcntl
import os
import random
import socket
import sys
import tempfile
import time

HOLD_SECONDS = 600
SPAN = 12000


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    try:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    except ValueError:
        sys.exit("free_ports.py: N must be a number")
    high = ephemeral_low()
    low = max(1024, high - SPAN)
    record = os.path.join(tempfile.gettempdir(), f"certdesk-ports-{os.getuid()}")
    with open(record, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        now = time.time()
        held = {}
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                try:
                    if now - float(parts[1]) < HOLD_SECONDS:
                        held[int(parts[0])] = parts[1]
                except ValueError:
                    pass
        chosen = []
        for _ in range(50 * count + 100):
            if len(chosen) == count:
                break
            port = random.randrange(low, high)
            if port in held or port in chosen or not bindable(port):
                continue
            chosen.append(port)
        if len(chosen) < count:
            sys.exit(f"free_ports.py: no {count} free ports in {low}-{high - 1}")
        for port in chosen:
            held[port] = repr(now)
        f.seek(0)
        f.truncate()
        f.writelines(f"{p} {t}\n" for p, t in held.items())
    print("\n".join(map(str, chosen)))


if __name__ == "__main__":
    main()
