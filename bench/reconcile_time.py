"""`reconcile` of 1,000 registry versions into an empty governance table, then again with nothing to fix.

moto in process (sagemaker + dynamodb) with the sandbox's registry patches (ModelLifeCycle kept,
IAM identities as CreatedBy/LastModifiedBy, UpdateModelPackage keeping fields). 1,000 versions in
two governed groups (600 + 400); a third of them approved for Test, a tenth for Prod, some rejected.
Runs mlgov_core.reconcile.reconcile (what `mlgov reconcile` calls) with its default 4 Describe workers.
Median of 3 per case; each run starts from a fresh moto (registry populated again, empty table).
API calls per request (botocore before-call). Peak memory (RSS) is printed too: moto keeps a deep
copy of the whole table for every Put of a TransactWriteItems until it is reset.

    .venv/bin/python bench/reconcile_time.py [--versions 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
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

GROUPS: dict[str, tuple[str, int]] = {}  # group -> (use case, versions); set from --versions in main()
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


def groups_for(versions: int) -> dict[str, tuple[str, int]]:
    """Two governed groups, 60 % and 40 % of the versions."""
    return {"credit-risk": ("credit-risk", versions * 3 // 5), "fraud-detection": ("fraud", versions - versions * 3 // 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=int(os.environ.get("BENCH_VERSIONS", "1000")),
                        help="registry versions (default 1000, or BENCH_VERSIONS)")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")),
                        help="runs per case; the median is reported (default 3, or BENCH_RUNS)")
    args = parser.parse_args()
    GROUPS.clear()
    GROUPS.update(groups_for(args.versions))
    runs = args.runs
    import gc
    import resource

    from sandbox.patches import sagemaker_identity, sagemaker_lifecycle, sagemaker_update_fields

    sagemaker_update_fields.apply()
    sagemaker_lifecycle.apply()
    sagemaker_identity.apply()
    calls: Counter[str] = Counter()
    use_cases = {g: uc for g, (uc, _) in GROUPS.items()}
    empty, again, populate_s = [], [], []
    for r in range(runs):
        # A fresh moto per run: moto keeps every object it creates until it is reset (its instance tracker),
        # including the deep copy of the whole table it makes for each Put of a TransactWriteItems (its
        # rollback copy). At 1,000 versions that is about 9 GB per run, which several runs in one moto
        # would add up.
        with mock_aws():
            aws.reset_clients()
            sagemaker, dynamodb = aws.client("sagemaker"), aws.client("dynamodb")
            t0 = time.perf_counter()
            versions = populate(sagemaker)
            populate_s.append(time.perf_counter() - t0)
            for client in (sagemaker, dynamodb):
                client.meta.events.register("before-call.*.*",
                                            lambda event_name, **_: calls.update([event_name.split(".", 1)[1]]))

            def run(table: str) -> tuple[float, Counter[str], reconcile.ReconcileReport]:
                calls.clear()
                start = time.perf_counter()
                report = reconcile.reconcile(table, use_cases, sagemaker=sagemaker, dynamodb=dynamodb)
                return time.perf_counter() - start, Counter(calls), report

            table = f"mlgov-bench-{r}"
            create_table(table)
            empty.append(run(table))
            again.append(run(table))
        aws.reset_clients()
        gc.collect()
        print(f"run {r + 1}/{runs}: into an empty table {empty[-1][0]:.1f} s ({sum(empty[-1][1].values())} calls), "
              f"second run {again[-1][0]:.1f} s ({sum(again[-1][1].values())} calls), "
              f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB",
              file=sys.stderr, flush=True)
    rows = []
    for name, samples in (("into an empty table", empty), ("second run (nothing to fix)", again)):
        times = [s[0] for s in samples]
        _, call_counts, report = samples[0]
        assert all(s[1] == call_counts for s in samples), "call counts differ between runs"
        rows.append((name, report.fixed, report.in_sync, sum(call_counts.values()),
                     ", ".join(f"{op} x{n:,}" for op, n in sorted(call_counts.items())),
                     f"{statistics.median(times):.1f} s", ", ".join(f"{t:.1f}" for t in times)))
    sys.stdout.flush()
    print(f"{versions:,} versions in {len(GROUPS)} groups (registry populated in {statistics.median(populate_s):.1f} s); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB\n")
    print(f"| run | fixed | in sync | API calls | by operation | wall time (median of {runs}) | samples (s) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
