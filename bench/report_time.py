"""`mlgov report` wall time for 1,000 versions in moto in process (median of 3).

Fixture items come from tests/cli/test_cli_report.py's TableFiller (records.build_items and
metrics.build_items, as registry-sync and metrics-ingest write them). Per version: registration,
a Test decision, QA metrics; every other version also a Prod approval and two production variants.
Counts the DynamoDB requests the report makes (Queries only) next to the time.

    .venv/bin/python bench/report_time.py [--versions 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "scripts"), str(ROOT / "tests" / "cli")]
for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}.items():
    os.environ[name] = value
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MLGOV_ENDPOINT_URL"):
    os.environ.pop(name, None)

from click.testing import CliRunner  # noqa: E402
from moto import mock_aws  # noqa: E402

from mlgov_cli.context import REPO_ROOT, Context  # noqa: E402
from mlgov_cli.main import cli  # noqa: E402
from governance_testkit import TableFiller  # noqa: E402


def fill(filler: TableFiller, versions: int) -> None:
    for v in range(1, versions + 1):
        day = f"2025-{1 + (v // 28) % 12:02d}-{1 + v % 28:02d}"
        filler.change("credit-risk", v, f"{day}T08:00:00.000Z", use_case="credit-risk", registered_by=f"ds-{v % 7}")
        rejected = v % 10 == 0
        filler.change("credit-risk", v, f"{day}T09:00:00.000Z", use_case="credit-risk",
                      approval="Rejected" if rejected else "Approved", stage="Test",
                      status="Rejected" if rejected else "Approved", reason=f"decision on v{v}",
                      metadata={"rejected_by" if rejected else "approved_by": f"approver-{v % 3}"})
        filler.metrics("credit-risk", v, f"{day}T10:00:00.000Z",
                       {"auc": 0.6 + (v % 40) / 100, "accuracy": 0.7, "p95_latency_ms": 80 + v % 200})
        if v % 2 == 0 and not rejected:
            filler.change("credit-risk", v, f"{day}T11:00:00.000Z", use_case="credit-risk", approval="Approved",
                          stage="Prod", status="Approved", reason="CAB", metadata={"approved_by": "cab"})
            for variant in ("champion", "challenger"):
                filler.metrics("credit-risk", v, f"{day}T12:00:00.000Z", {"invocations": 1000 + v, "latency_p95_ms": 40.0},
                               variant=variant)
        if len(filler.pending) > 500:
            filler.flush()
    filler.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlgov-report-bench-"))
    config_dir = work / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    with mock_aws():
        ctx = Context(config_dir=config_dir)
        filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
        filler.create_table()
        started = time.perf_counter()
        fill(filler, args.versions)
        print(f"filled {args.versions} versions in {time.perf_counter() - started:.1f} s")

        calls: Counter = Counter()
        original = Context.governance_client

        def hooked(self: Context, service: str, session_name: str = "mlgov-cli") -> Any:
            client = original(self, service, session_name)
            client.meta.events.register("before-call.*.*", lambda event_name, **_: calls.update([event_name.split(".")[-1]]))
            return client

        Context.governance_client = hooked  # type: ignore[method-assign]
        samples = []
        for _ in range(args.repeats):
            calls.clear()
            started = time.perf_counter()
            result = CliRunner().invoke(cli, ["--config", str(config_dir), "report", "--out", str(work / "reports")],
                                        catch_exceptions=False)
            samples.append(time.perf_counter() - started)
            assert result.exit_code == 0, result.output
    html = work / "reports" / "governance-report.html"
    md = work / "reports" / "governance-report.md"
    print(f"report for {args.versions} versions: median {statistics.median(samples):.2f} s "
          f"(samples {', '.join(f'{s:.2f}' for s in samples)}); DynamoDB requests per report: {dict(calls)}; "
          f"HTML {html.stat().st_size / 1e6:.2f} MB, Markdown {md.stat().st_size / 1e6:.2f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
