"""Wall time of a pull request's plan of all four stacks in the sandbox: `make plan STACK=s SANDBOX=1`
per stack against an empty sandbox (init, plan -out, show -json, sha256), one after the other.

    python bench/pr_plan_time.py [--runs 1]

Writes build/plans/<stack>/ and build/terraform/sandbox/ as `make plan` does (a fresh state each run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts")]

from sandbox.process import SandboxProcess  # noqa: E402

STACKS = ("governance", "dev", "test", "prod")


def plan_all(url: str) -> dict[str, float]:
    env = {**os.environ, "MLGOV_ENDPOINT_URL": url}
    seconds: dict[str, float] = {}
    for stack in STACKS:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "scripts/saved_plan_cli.py", "plan", stack, "--sandbox"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)
        seconds[stack] = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"plan of {stack} failed:\n{proc.stderr[-3000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    totals = []
    for _ in range(args.runs):
        shutil.rmtree(ROOT / "build" / "terraform" / "sandbox", ignore_errors=True)
        with tempfile.TemporaryDirectory() as work, SandboxProcess(Path(work) / "state", Path(work) / "server.log") as sandbox:
            seconds = plan_all(sandbox.url)
        totals.append(sum(seconds.values()))
        print(" | ".join(f"{stack} {s:.0f} s" for stack, s in seconds.items()) + f" | total {totals[-1]:.0f} s", flush=True)
    print(f"| runs | median total | samples (s) |\n|---|---|---|\n"
          f"| {args.runs} | {statistics.median(totals):.0f} s | {', '.join(f'{t:.0f}' for t in totals)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
