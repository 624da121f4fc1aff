"""`reconcile` of 1,000 registry versions into an empty governance table, then again with nothing to fix.

moto in process (sagemaker + dynamodb) with the sandbox's registry patches (ModelLifeCycle kept,
IAM identities as CreatedBy/LastModifiedBy, UpdateModelPackage keeping fields). 1,000 versions in
two governed groups (600 + 400); a third of them approved for Test, a tenth for Prod, some rejected.
Runs mlgov_core.reconcile.reconcile (what `mlgov reconcile` calls) with its default 4 Describe workers.
Median of 3 per case; the first case gets a fresh empty table each time. API calls per request
(botocore before-call).

    .venv/bin/python bench/reconcile_time.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda_src"), str(ROOT / "scripts"), str(ROOT / "tests" / "lambda")]
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")

from moto import mock_aws  # noqa: E402
from sync_testkit import create_table  # noqa: E402

from mlgov_core import aws, reconcile  # noqa: E402

_SCALE = int(os.environ.get("BENCH_VERSIONS", "1000"))  # smaller for a quick check
GROUPS = {"credit-risk": ("credit-risk", _SCALE * 3 // 5), "fraud-detection": ("fraud", _SCALE - _SCALE * 3 // 5)}
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlgov/models:xgboost-1.7"


def populate(sagemaker: Any) -> int:
    n = 0
    for group, (_, count) in GROUPS.items():
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
        for i in range(count):
            arn = sagemaker.create_model_package(
                ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
                ModelLifeCycle={"Stage": "Dev", "StageStatus": "Pending"},
                CustomerMetadataProperties={"registered_by": "alice@example.com", "run_id": f"run-{n}",
                                            "metric:auc": "0.9"},
                InferenceSpecification={"Containers": [{"Image": IMAGE}], "SupportedContentTypes": ["text/csv"],
                                        "SupportedResponseMIMETypes": ["text/csv"]},
            )["ModelPackageArn"]
            if i % 3 == 0:
                stage, status = ("Prod", "Approved") if i % 10 == 0 else ("Test", "Approved")
            elif i % 7 == 0:
                stage, status = "Test", "Rejected"
            else:
                stage, status = None, None
            if stage:
                sagemaker.update_model_package(
                    ModelPackageArn=arn, ModelApprovalStatus="Approved" if status == "Approved" else "Rejected",
                    ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": "bench"})
            n += 1
    return n


def main() -> None:
    from sandbox.patches import sagemaker_identity, sagemaker_lifecycle, sagemaker_update_fields

    sagemaker_update_fields.apply()
    sagemaker_lifecycle.apply()
    sagemaker_identity.apply()
    rows = []
    with mock_aws():
        aws.reset_clients()
        sagemaker, dynamodb = aws.client("sagemaker"), aws.client("dynamodb")
        t0 = time.perf_counter()
        versions = populate(sagemaker)
        populate_s = time.perf_counter() - t0
        calls: Counter[str] = Counter()
        for client in (sagemaker, dynamodb):
            client.meta.events.register("before-call.*.*", lambda event_name, **_: calls.update([event_name.split(".", 1)[1]]))
        use_cases = {g: uc for g, (uc, _) in GROUPS.items()}

        def run(table: str) -> tuple[float, Counter[str], reconcile.ReconcileReport]:
            calls.clear()
            start = time.perf_counter()
            report = reconcile.reconcile(table, use_cases, sagemaker=sagemaker, dynamodb=dynamodb)
            return time.perf_counter() - start, Counter(calls), report

        empty, again = [], []
        for r in range(RUNS):
            table = f"mlgov-bench-{r}"
            create_table(table)
            empty.append(run(table))
            again.append(run(table))
        for name, samples in (("into an empty table", empty), ("second run (nothing to fix)", again)):
            times = [s[0] for s in samples]
            _, call_counts, report = samples[0]
            assert all(s[1] == call_counts for s in samples), "call counts differ between runs"
            rows.append((name, report.fixed, report.in_sync, sum(call_counts.values()),
                         ", ".join(f"{op} x{n:,}" for op, n in sorted(call_counts.items())),
                         f"{statistics.median(times):.1f} s", ", ".join(f"{t:.1f}" for t in times)))
    sys.stdout.flush()
    print(f"{versions:,} versions in {len(GROUPS)} groups (registry populated in {populate_s:.1f} s)\n")
    print(f"| run | fixed | in sync | API calls | by operation | wall time (median of {RUNS}) | samples (s) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
