#!/usr/bin/env python3
"""Median wall time of several shell commands, run round-robin so that a change in the
machine's load hits all of them alike: interleave.py RUNS NAME=COMMAND... (one warm-up round
first). Prints one JSON object: name -> median seconds."""
import json
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
commands = [arg.split("=", 1) for arg in sys.argv[2:]]
times = {name: [] for name, _ in commands}
for round_ in range(runs + 1):
    for name, cmd in commands:
        start = time.perf_counter()
        subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
        if round_ > 0:
            times[name].append(time.perf_counter() - start)
print(json.dumps({name: statistics.median(t) for name, t in times.items()}))
