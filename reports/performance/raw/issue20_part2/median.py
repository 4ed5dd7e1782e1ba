# Median (min-max) of the wall/user/sys columns per label of a /usr/bin/time log written by the perf-meas scripts.
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("#") or " s wall " not in line: continue
    parts = line.split()
    rows[parts[0]].append((float(parts[1]), float(parts[4]), float(parts[7])))
for label, values in rows.items():
    cols = list(zip(*values))
    print(f"{label:22s} n={len(values)}  " + "  ".join(f"{name} {statistics.median(c):.2f} ({min(c):.2f}-{max(c):.2f})" for name, c in zip(("wall", "user", "sys"), cols)))
