# Every dataset of two recordings.h5: same shape, dtype and bytes (array_equal on the raw bytes); layouts/filters.
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
namesb = []
b.visititems(lambda n, o: namesb.append(n) if isinstance(o, h5py.Dataset) else None)
assert sorted(names) == sorted(namesb), (names, namesb)
ok = True
for n in sorted(names):
    x, y = a[n], b[n]
    same = x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x[...].view(np.uint8), y[...].view(np.uint8))
    attrs = dict(x.attrs) == dict(y.attrs)
    ok = ok and same and attrs
    print(f"{n} shape={x.shape} dtype={x.dtype} bytes_equal={same} attrs_equal={attrs} "
          f"A: chunks={x.chunks} filter={x.compression} B: chunks={y.chunks} filter={y.compression}")
ra, rb = dict(a.attrs), dict(b.attrs)
print("root attrs equal except:", [k for k in set(ra) | set(rb) if str(ra.get(k)) != str(rb.get(k))])
print("ALL DATASETS BYTE-IDENTICAL" if ok else "DIFFERENCES FOUND")
