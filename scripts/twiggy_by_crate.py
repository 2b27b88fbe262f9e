#!/usr/bin/env python3
# Sums `twiggy top -f csv` rows by crate (the first path segment of each item, past
# core/alloc/std), with the data segments apart; used by scripts/bundle-crates.sh.
#   python3 scripts/twiggy_by_crate.py top.csv [rows]
import csv, re, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
agg = collections.Counter()
for r in rows:
    name = r['Name']; size = int(r['ShallowSize'])
    if name.startswith('"function names"') or name.startswith('custom section') or 'subsection' in name:
        continue
    if name.startswith('data segment'):
        agg['(data segments)'] += size; continue
    # The crate of the innermost item: the last "crate::" before the function name, else the first.
    m = re.findall(r'([a-z_][a-z0-9_]*)::', name)
    crate = m[0] if m else '(other)'
    if crate in ('core','alloc','std') and len(m) > 1:
        others = [c for c in m if c not in ('core','alloc','std','_','impl')]
        crate = others[0] if others else crate
    agg[crate] += size
total = sum(agg.values())
for crate, size in agg.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 30):
    print(f"{size:>9} {100*size/total:5.1f}% {crate}")
print(f"{total:>9} total (code and data, without names/custom sections)")
