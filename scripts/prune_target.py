#!/usr/bin/env python3
"""Keeps Cargo target directories bounded (scripts/prune-cache.sh runs it).

A target directory grows by *units*: one compiled crate for one profile, target and
feature set, named `<crate>-<16 hex>` in `.fingerprint/`, `deps/` and `build/`. A
dependency update, a feature change or a new toolchain makes new units and leaves the
old ones behind, for ever. Cargo reads a unit's fingerprint files on every build that
needs the unit, fresh or not, so their access time says when it was last used — once
they were reset. The file system updates an access time only when it is older than the
file's last change, or a day old ("relatime"): a fingerprint read by a build *between*
two runs would not be marked again by the next run for a day, and that run would take
a unit it used for one it did not. So `--before-run` resets them when a run starts, and
`--after-run` again when it ends.

Deleted, each unit whole (fingerprint and artifacts, so Cargo simply rebuilds it):
- units unused for `--max-age-days` (default 7);
- incremental caches unchanged for a day;
- when the directories together exceed `--limit-gb`: the units and incremental caches
  this run did not use, least recently used first, until 90 % of the limit is left.

Prints what it removed and the sizes before and after.
"""

import argparse
import os
import re
import shutil
import sys
import time

UNIT = re.compile(r"^(.+)-([0-9a-f]{16})(\..*)?$")


def size_of(path):
    if os.path.islink(path) or not os.path.isdir(path):
        try:
            return os.lstat(path).st_size
        except OSError:
            return 0
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def stamps(path):
    """(last access, last change) over every file under path."""
    atime = mtime = 0.0
    paths = [path]
    if os.path.isdir(path) and not os.path.islink(path):
        paths = [os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs] or [path]
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        atime, mtime = max(atime, st.st_atime), max(mtime, st.st_mtime)
    return atime, mtime


class Unit:
    def __init__(self, key):
        self.key = key
        self.paths = []
        self.fingerprint = None

    def measure(self):
        self.size = sum(size_of(p) for p in self.paths)
        atime = mtime = 0.0
        for p in self.paths:
            a, m = stamps(p)
            atime, mtime = max(atime, a), max(mtime, m)
        self.last_change = mtime
        self.last_use = max(atime, mtime)
        # Used by this run: its fingerprint was read (access times were reset after the
        # last run) or something in it was written.
        fa, fm = stamps(self.fingerprint) if self.fingerprint else (0.0, 0.0)
        self.run_use = max(fa, fm, mtime)


def profile_dirs(target):
    """Every directory holding a `.fingerprint` (debug, release, <triple>/debug…)."""
    found = []
    for root, dirs, _ in os.walk(target):
        if ".fingerprint" in dirs:
            found.append(root)
            dirs[:] = []
        elif root.count(os.sep) - target.count(os.sep) >= 2:
            dirs[:] = []
    return found


def units_of(profile):
    units = {}
    for sub in (".fingerprint", "deps", "build"):
        base = os.path.join(profile, sub)
        if not os.path.isdir(base):
            continue
        for name in os.listdir(base):
            match = UNIT.match(name)
            if not match:
                continue
            key = (profile, match.group(2))
            unit = units.setdefault(key, Unit(key))
            path = os.path.join(base, name)
            unit.paths.append(path)
            if sub == ".fingerprint":
                unit.fingerprint = path
    incremental = os.path.join(profile, "incremental")
    if os.path.isdir(incremental):
        for name in os.listdir(incremental):
            unit = Unit((profile, "incremental/" + name))
            unit.paths.append(os.path.join(incremental, name))
            units[unit.key] = unit
    return list(units.values())


def remove(unit):
    for path in unit.paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def reset_access(units):
    """Sets the fingerprints' access times back, so the next run's reads mark them."""
    for unit in units:
        if not unit.fingerprint:
            continue
        for root, _, files in os.walk(unit.fingerprint):
            for name in files:
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                    os.utime(path, (0, st.st_mtime), follow_symlinks=False)
                except OSError:
                    pass


def gib(n):
    return f"{n / 2**30:.1f} GiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--limit-gb", type=float, default=32.0)
    parser.add_argument("--max-age-days", type=float, default=7.0)
    parser.add_argument("--after-run", metavar="STAMP",
                        help="a file made when the run started: what the run used is kept")
    parser.add_argument("--before-run", action="store_true",
                        help="only reset the fingerprints' access times (a run starts)")
    args = parser.parse_args()
    if args.before_run:
        units = [u for t in args.targets if os.path.isdir(t)
                 for p in profile_dirs(t) for u in units_of(p)]
        reset_access(units)
        print(f"prune_target: {len(units)} units marked unused until this run reads them",
              file=sys.stderr)
        return
    now = time.time()
    started = None
    if args.after_run:
        try:
            started = os.stat(args.after_run).st_mtime
        except OSError:
            print(f"prune_target: no {args.after_run}; pruning by age and limit only",
                  file=sys.stderr)
    units = []
    for target in args.targets:
        if os.path.isdir(target):
            for profile in profile_dirs(target):
                units.extend(units_of(profile))
    for unit in units:
        unit.measure()
    before = sum(u.size for u in units)
    removed = []

    def drop(unit, why):
        remove(unit)
        removed.append((unit, why))

    for unit in units:
        incremental = unit.key[1].startswith("incremental/")
        if incremental and now - unit.last_change > 86400:
            drop(unit, "incremental cache unchanged for a day")
        elif now - unit.last_use > args.max_age_days * 86400:
            drop(unit, f"unused for {args.max_age_days:g} days")
    gone = {id(u) for u, _ in removed}
    left = [u for u in units if id(u) not in gone]
    total = sum(u.size for u in left)
    limit = args.limit_gb * 2**30
    if total > limit:
        unused = [u for u in left if started is None or u.run_use < started]
        for unit in sorted(unused, key=lambda u: u.last_use):
            if total <= 0.9 * limit:
                break
            drop(unit, "over the limit, not used by this run")
            total -= unit.size
    if started is not None:
        gone = {id(u) for u, _ in removed}
        reset_access([u for u in units if id(u) not in gone])
    freed = sum(u.size for u, _ in removed)
    print(f"prune_target: {len(units)} units in {gib(before)}; removed {len(removed)} "
          f"({gib(freed)}); {gib(before - freed)} left (limit {args.limit_gb:g} GiB)")
    if total > limit:
        print(f"prune_target: still over the limit: this run alone uses {gib(total)}; "
              "raise CERTDESK_CACHE_LIMIT_GB", file=sys.stderr)


if __name__ == "__main__":
    main()
