#!/usr/bin/env python3
"""Median wall time of a command over several runs: timeit.py RUNS -- CMD ARGS..."""
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.4f}")
