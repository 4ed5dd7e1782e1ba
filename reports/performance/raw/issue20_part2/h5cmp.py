# Compares every dataset of two HDF5 files bit for bit (attributes ignored: they hold timing and provenance).
import sys, h5py, numpy as np
def walk(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out
a, b = walk(h5py.File(sys.argv[1], "r")), walk(h5py.File(sys.argv[2], "r"))
keys = sorted(set(a) | set(b))
if len(sys.argv) > 3:  # only datasets under this prefix
    keys = [k for k in keys if k.startswith(sys.argv[3])]
diff = [k for k in keys if k not in a or k not in b or a[k].tobytes() != b[k].tobytes()]
print(f"{len(keys)} datasets, {len(diff)} differ" + (": " + ", ".join(diff[:8]) if diff else ""))
sys.exit(1 if diff else 0)
