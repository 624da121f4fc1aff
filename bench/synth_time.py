"""Synthesis cost next to the bare cost of loading the provider bindings, measured in the same run.

Each sample is a fresh process (jsii keeps a Node child per process, so in-process repeats would
hide the load). Reports medians of N samples and the ratio synth / load; the goal is that
synthesis adds under 25 % on top of loading. Also times a no-op `make synth` (goal: under 2 s).

    python bench/synth_time.py [--samples 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONDONTWRITEBYTECODE": "1",
       "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "scripts")])}
# Everything main.py loads before it synthesizes: the stacks import every provider binding they use.
LOAD_ONLY = "import cdktf, stacks.governance, stacks.dev, stacks.workload"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    load, synth = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.samples):  # interleaved, so machine noise hits both alike
            load.append(timed([sys.executable, "-c", LOAD_ONLY]))
            synth.append(timed([sys.executable, "main.py", "--out", out]))
    subprocess.run(["make", "synth"], cwd=ROOT, check=True, capture_output=True)
    noop = [timed(["make", "synth"]) for _ in range(5)]
    load_m, synth_m = statistics.median(load), statistics.median(synth)
    print(f"| measurement | median of {args.samples} | samples (s) |")
    print("|---|---|---|")
    print(f"| load provider bindings (fresh process) | {load_m:.1f} s | {', '.join(f'{x:.1f}' for x in load)} |")
    print(f"| full synth of 4 stacks (fresh process) | {synth_m:.1f} s | {', '.join(f'{x:.1f}' for x in synth)} |")
    print(f"| synth / load | {synth_m / load_m:.2f} (goal < 1.25) | |")
    print(f"| no-op `make synth` (median of 5) | {statistics.median(noop):.3f} s (goal < 2 s) | {', '.join(f'{x:.3f}' for x in noop)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
