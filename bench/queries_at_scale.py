"""Cost of `mlgov list` / `history` as the governance table grows: 100, 1,000, 10,000 versions (moto in process).

The table is filled with batch_write_item (state item + 2 history items per version, 20 groups,
every stage/status). A fixed audit target sits among the filler: group "audit-target" (25 versions,
5 of them Prod/Approved) whose result size stays the same at every scale, so any growth in the
numbers would come from the table, not the answer. Filler versions never are Prod/Approved.

Per pattern: API calls, items returned, moto's ConsumedCapacity (ReturnConsumedCapacity=TOTAL;
moto reports a flat 1.0 per request whatever it reads), and the capacity DynamoDB would charge
(eventually consistent Query: 0.5 RCU per 4 KB of items read per request, sizes from DynamoDB's
item-size rules). For contrast, the Scan + filter that the design forbids.

    .venv/bin/python bench/queries_at_scale.py
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda_src"), str(ROOT / "tests" / "lambda")]
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")

from boto3.dynamodb.types import TypeSerializer  # noqa: E402
from moto import mock_aws  # noqa: E402
from sync_testkit import TABLE, create_table  # noqa: E402

from mlgov_core import aws, keys, queries  # noqa: E402

SCALES = (100, 1_000, 10_000)
TARGET = "audit-target"
TARGET_VERSIONS = 25
FILLER_STATES = [("Dev", "Pending"), ("Dev", "Rejected"), ("Test", "Pending"), ("Test", "Approved"),
                 ("Test", "Rejected"), ("Prod", "Pending"), ("Prod", "Rejected")]
_ser = TypeSerializer()


def items_for(group: str, version: int, stage: str, status: str, n: int) -> list[dict[str, Any]]:
    vid = keys.version_id(group, version)
    changed = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00.{n % 1000:03d}Z"
    common = {
        "pk": keys.version_pk(group, version), "version": version, "version_key": keys.version_key(version),
        "version_id": vid, "source": "sagemaker",
        "model_package_arn": f"arn:aws:sagemaker:eu-west-1:111111111111:model-package/{group}/{version}",
        "approval_status": "Approved" if status == "Approved" else "PendingManualApproval",
        "stage": stage, "status": status, "registered_by": "alice@example.com",
        "approved_by": "arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/bob",
        "customer_metadata": {"registered_by": "alice@example.com", "run_id": f"run-{n:06d}", "metric:auc": "0.91"},
        "metrics": {"auc": "0.91"}, "qa_metrics": {"auc": "0.9", "p95_latency_ms": "120"},
        "created_at": changed, "last_modified": changed, "recorded_at": changed, "idempotency_key": f"{n:016x}",
    }
    state = {**common, "sk": "STATE", "item_type": "state", "model_group": group, "use_case": group,
             "stage_status": keys.stage_status_key(stage, status)}
    hist = [{**common, "sk": keys.history_sk(changed, f"{n:015x}{h}"), "item_type": "history",
             "stage": "Dev" if h == 0 else stage, "change_day": changed[:10],
             "change_key": keys.change_key(changed, vid) + f"#{h}"} for h in range(2)]
    return [state, *hist]


AVERAGE_ITEM_SIZE = [0.0]
_SIZES = [0, 0]  # bytes, items written


def fill(dynamodb: Any, start: int, stop: int) -> None:
    """Versions number start..stop-1 overall; the first TARGET_VERSIONS belong to the audit target."""
    batch: list[dict[str, Any]] = []
    for n in range(start, stop):
        if n < TARGET_VERSIONS:
            group, version = TARGET, n + 1
            stage, status = ("Prod", "Approved") if n < 5 else FILLER_STATES[n % len(FILLER_STATES)]
        else:
            group, version = f"group-{n % 20:02d}", n // 20 + 1
            stage, status = FILLER_STATES[n % len(FILLER_STATES)]
        batch.extend(items_for(group, version, stage, status, n))
    _SIZES[0] += sum(item_size({k: _ser.serialize(v) for k, v in item.items()}) for item in batch)
    _SIZES[1] += len(batch)
    AVERAGE_ITEM_SIZE[0] = _SIZES[0] / _SIZES[1]
    for i in range(0, len(batch), 25):
        request = {TABLE: [{"PutRequest": {"Item": {k: _ser.serialize(v) for k, v in item.items()}}}
                           for item in batch[i:i + 25]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def attribute_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return math.ceil(len(raw.lstrip("-").replace(".", "").lstrip("0") or "0") / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in raw)
    return len(str(raw))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


class Meter:
    """Per measured call: API requests, items, moto's ConsumedCapacity, and DynamoDB's RCU for the bytes read."""

    def __init__(self, client: Any) -> None:
        self.reset()
        for op in ("Query", "Scan", "GetItem", "BatchGetItem"):  # reads; the fill's writes are not measured
            client.meta.events.register(f"before-parameter-build.dynamodb.{op}", self._ask_capacity)
            client.meta.events.register(f"after-call.dynamodb.{op}", self._after)

    def reset(self) -> None:
        self.calls: dict[str, int] = {}
        self.items = 0
        self.moto_cu = 0.0
        self.rcu = 0.0

    def _ask_capacity(self, params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def _after(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        op = event_name.split(".")[-1]
        self.calls[op] = self.calls.get(op, 0) + 1
        read = parsed.get("Items", [])
        scanned = parsed.get("ScannedCount", len(read))
        self.items += scanned
        self.moto_cu += (parsed.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
        # Query/Scan bill the bytes *read* (before a filter): for a Query without filter that is what
        # is returned; for the filtered Scan, the items it read at the table's average item size.
        if scanned == len(read):
            scanned_bytes = sum(item_size(i) for i in read)
        else:
            scanned_bytes = scanned * AVERAGE_ITEM_SIZE[0]
        self.rcu += 0.5 * max(1, math.ceil(scanned_bytes / 4096))


def scan_for_prod_approved(dynamodb: Any) -> int:
    """What the design forbids: a filtered Scan (reads the whole table)."""
    found, request = 0, {"TableName": TABLE, "FilterExpression": "stage_status = :s",
                         "ExpressionAttributeValues": {":s": {"S": "Prod#Approved"}}}
    while True:
        page = dynamodb.scan(**request)
        found += page["Count"]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main() -> None:
    rows: list[tuple[Any, ...]] = []
    with mock_aws():
        aws.reset_clients()
        create_table()
        dynamodb = aws.client("dynamodb")
        meter = Meter(dynamodb)
        filled = 0
        for scale in SCALES:
            fill(dynamodb, filled, scale)
            filled = scale
            patterns = {
                "list --stage Prod --status Approved": lambda: queries.in_stage_status(TABLE, "Prod", "Approved"),
                f"list --group {TARGET}": lambda: queries.versions_of_group(TABLE, TARGET),
                "list --stage Test --status Approved (result grows: 1/7 of filler)":
                    lambda: queries.in_stage_status(TABLE, "Test", "Approved"),
                f"history {TARGET} 1": lambda: queries.version_state_and_history(TABLE, TARGET, 1),
                "(forbidden) Scan + filter for Prod/Approved": lambda: scan_for_prod_approved(dynamodb),
            }
            for name, run in patterns.items():
                meter.reset()
                run()
                calls = ", ".join(f"{op} x{n}" for op, n in sorted(meter.calls.items()))
                rows.append((name, scale, calls, meter.items, f"{meter.moto_cu:g}", f"{meter.rcu:g}"))
    print(f"average item size {AVERAGE_ITEM_SIZE[0]:.0f} B; {_SIZES[1]:,} items at 10,000 versions\n")
    print("| pattern | versions in table | API calls | items read | ConsumedCapacity (moto) | RCU (DynamoDB rules) |")
    print("|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (list(dict.fromkeys(x[0] for x in rows)).index(r[0]), r[1])):
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
