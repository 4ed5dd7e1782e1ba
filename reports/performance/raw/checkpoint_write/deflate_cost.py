# Deflate (shuffle + gzip 4, vclab's chunking: 2^18 elements, whole rows) vs contiguous: time and size per block size,
# on a real Gram matrix from a recordings.h5. Usage: deflate_cost.py recordings.h5 outdir
import sys, time, os, h5py, numpy as np
src, outdir = sys.argv[1], sys.argv[2]
with h5py.File(src, "r") as f:
    g = {k: f[f"/{q}/layer0/{k}"][...] for q in ("gram",) for k in f[f"/{q}/layer0"]}
    dg = f["/dgram/layer0/000001"][...]
full = g[sorted(g)[-1]]
for name, m in (("gram", full), ("dgram", dg)):
    for d in (256, 512, 1024, 2048, 3072):
        block = np.ascontiguousarray(m[:d, :d])
        res = {}
        for mode in ("raw", "deflate4"):
            best = None
            for rep in range(3):
                path = os.path.join(outdir, f"{mode}_{d}.h5")
                if os.path.exists(path): os.remove(path)
                t0 = time.perf_counter()
                with h5py.File(path, "w") as f:
                    if mode == "raw":
                        f.create_dataset("x", data=block)
                    else:
                        cols = d; rows = max(1, min(d, (1 << 18) // cols))
                        f.create_dataset("x", data=block, chunks=(rows, cols), shuffle=True, compression="gzip", compression_opts=4)
                t = time.perf_counter() - t0
                best = t if best is None else min(best, t)
                size = os.path.getsize(path)
                os.remove(path)
            res[mode] = (best, size)
        raw_t, raw_s = res["raw"]; z_t, z_s = res["deflate4"]
        print(f"{name} d={d} elems={d*d} MiB={d*d*8/2**20:.1f} raw={raw_t*1e3:.1f}ms deflate4={z_t*1e3:.1f}ms "
              f"ratio={z_s/raw_s:.3f} extra={1e3*(z_t-raw_t):.1f}ms deflate_MBps={d*d*8/1e6/z_t:.0f} raw_MBps={d*d*8/1e6/raw_t:.0f}")
