"""Wall time of `make demo` (server start, two real terraform applies + re-plans, registration,
Lambda run, table read), with the per-phase times the demo prints. Median of N runs.

    python bench/demo_time.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = re.compile(r"^timings: (.+)$", re.MULTILINE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, phases = [], []
    for _ in range(args.runs):
        shutil.rmtree(ROOT / ".sandbox", ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.run(["make", "demo"], cwd=ROOT, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return 1
        match = TIMINGS.search(proc.stdout)
        phases.append(match.group(1) if match else "")
    print(f"| runs | median wall time | samples (s) |\n|---|---|---|")
    print(f"| {args.runs} | {statistics.median(walls):.0f} s | {', '.join(f'{w:.0f}' for w in walls)} |")
    for p in phases:
        print(f"\nphases: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
