# Samples of one perf.data in the SGD update: old binary apply_inplace_minus<Mat<float>> (0x69000-0x69150, its symbols
# do not resolve from /tmp), new binary subtract_scaled<float>.
import subprocess, sys
out = subprocess.run(["perf", "report", "-n", "-i", sys.argv[1], "--stdio", "--no-children", "--sort", "dso,symbol"],
                     capture_output=True, text=True).stdout
s = tot = 0
for line in out.splitlines():
    p = line.split()
    if line.startswith("#") or len(p) < 5 or not p[0].endswith("%"): continue
    n = int(p[1]); tot += n
    if p[2] == "vclab" and p[4].startswith("0x") and 0x69000 <= int(p[4], 16) < 0x69150: s += n
    if "subtract_scaled" in line: s += n
print(f"update samples {s} of {tot} ({100 * s / tot:.2f} %), {s / 499:.3f} s at 499 Hz")
