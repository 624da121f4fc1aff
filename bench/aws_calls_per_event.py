"""AWS API calls per processed registry event, counted against moto in process.

Scenarios: a fresh change, the same change delivered again (new event id), and an older change
arriving after a newer one. Calls are counted per API request (botocore ``before-call``) and per
HTTP attempt (``before-send``, which includes retries). Goal: 1 SageMaker read, 1 DynamoDB read (the
hash chain's head: the new item's hash needs the previous one's) and 1 DynamoDB write for a new event.

    python bench/aws_calls_per_event.py
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda_src"), str(ROOT / "tests" / "lambda")]

# Never reach a real account or a configured endpoint: moto only.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from sync_testkit import GROUP, TABLE, create_table  # noqa: E402

from mlgov_core import aws  # noqa: E402
from mlgov_core.settings import SyncSettings  # noqa: E402
from mlgov_core.sync import record_registry_change  # noqa: E402

FIXTURES = ROOT / "tests" / "lambda" / "fixtures"
DYNAMODB_WRITES = {f"dynamodb.{op}" for op in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")}


class Calls:
    def __init__(self, *clients: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        for client in clients:
            client.meta.events.register("before-call.*.*", self._request)
            client.meta.events.register("before-send.*.*", self._attempt)

    def _request(self, event_name: str, **_: Any) -> None:
        self.requests[event_name.split(".", 1)[1]] += 1

    def _attempt(self, event_name: str, **_: Any) -> None:
        self.attempts[event_name.split(".", 1)[1]] += 1

    def reset(self) -> None:
        self.requests.clear()
        self.attempts.clear()


def _event(name: str, **overrides: Any) -> dict[str, Any]:
    event = json.loads((FIXTURES / f"{name}.json").read_text())
    return {**copy.deepcopy(event), **overrides}


def main() -> None:
    with mock_aws():
        aws.reset_clients()
        create_table()
        sagemaker = boto3.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification={
                "Containers": [{"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlgov-inference:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )
        settings = SyncSettings(table_name=TABLE, use_case_by_group={GROUP: "fraud"})
        calls = Calls(aws.client("sagemaker"), aws.client("dynamodb"))
        scenarios = [
            ("fresh event", _event("approved_for_test")),
            ("duplicate (new event id)", _event("approved_for_test", id="redelivered")),
            ("older event after newer", _event("registered")),
        ]
        rows = []
        for label, event in scenarios:
            calls.reset()
            result = record_registry_change(event, settings)["result"]
            rows.append((label, result, dict(calls.requests), sum(calls.attempts.values())))
        aws.reset_clients()

    header = ("scenario", "result", "SageMaker reads", "DynamoDB reads", "DynamoDB writes", "HTTP attempts", "calls")
    lines = [header]
    for label, result, requests, attempts in rows:
        reads = sum(n for op, n in requests.items() if op.startswith("sagemaker."))
        writes = sum(n for op, n in requests.items() if op in DYNAMODB_WRITES)
        table_reads = sum(n for op, n in requests.items() if op.startswith("dynamodb.") and op not in DYNAMODB_WRITES)
        detail = ", ".join(f"{op} x{n}" for op, n in sorted(requests.items()))
        lines.append((label, result, str(reads), str(table_reads), str(writes), str(attempts), detail))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    for i, row in enumerate(lines):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if i == 0:
            print("-+-".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
