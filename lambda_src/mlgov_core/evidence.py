"""The QA evidence a version's gates are judged on: what metrics-ingest recorded, nothing else.

DESIGN.md section 5: evidence is only what a trusted writer recorded. QA metrics reach the
governance table one way: the test account's QA publisher puts a "Model Metrics Reported" event on
the metrics bus (whose policy admits only that role for the test account), metrics-ingest checks the
sender's account and writes the latest-metrics item ``METRICS#qa`` in the version's partition
(mlgov_core.metrics.build_items). Only registry-sync and metrics-ingest may write the table.

The ``qa:*`` keys in the version's CustomerMetadataProperties are a copy for people browsing the
registry. They are never evidence: whoever registers a version (CreateModelPackage) or may update its
metadata can type any ``qa:auc`` and ``qa:reported_at`` there.

Used by the decision function (governance account) and by ``mlgov check``/``promote`` (CI), so the
gates read the same evidence wherever they are evaluated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mlgov_core import keys
from mlgov_core.metrics import STAGE_FOR_KIND, Kind
from mlgov_core.queries import deserialize

QA_SORT_KEY = keys.metrics_sk(Kind.QA.value)


class EvidenceError(ValueError):
    """The recorded QA item is not one metrics-ingest would have written; the message names the field."""


def recorded_qa_report(table: Any, group: str, version: int, *, table_name: str | None = None) -> dict[str, Any] | None:
    """The latest QA report metrics-ingest recorded for ``group`` version ``version``, or None.

    ``table``: a boto3 DynamoDB Table resource (``boto3.resource("dynamodb").Table(name)``), or a
    low-level DynamoDB client together with ``table_name``. One strongly consistent GetItem.

    Returns ``{"metrics": {name: float}, "reported_at", "reported_by", "reported_from_account",
    "recorded_at", "idempotency_key"}``. Raises EvidenceError if the item at ``METRICS#qa`` is not a
    QA report of this version (kind, stage or version differ): a malformed item is refused, not read.
    """
    key = {keys.PARTITION_KEY: keys.version_pk(group, version), keys.SORT_KEY: QA_SORT_KEY}
    if table_name is None:
        item = table.get_item(Key=key, ConsistentRead=True).get("Item")
        where = getattr(table, "name", "governance table")
    else:
        raw = table.get_item(TableName=table_name, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True).get("Item")
        item = deserialize(raw) if raw else None
        where = table_name
    if not item:
        return None
    expected = {"item_type": "metrics_latest", "kind": Kind.QA.value, "stage": STAGE_FOR_KIND[Kind.QA].value,
                "version_id": keys.version_id(group, version)}
    for field, value in expected.items():
        if item.get(field) != value:
            raise EvidenceError(f"{where}: item {key[keys.PARTITION_KEY]}/{QA_SORT_KEY}: {field}={item.get(field)!r}, "
                                f"expected {value!r} (not a QA report recorded by metrics-ingest)")
    metrics = item.get("metrics")
    if not isinstance(metrics, dict):
        raise EvidenceError(f"{where}: item {key[keys.PARTITION_KEY]}/{QA_SORT_KEY}: metrics={metrics!r}, expected a map of numbers")
    return {
        "metrics": {name: float(value) for name, value in metrics.items() if _is_number(value)},
        "reported_at": item.get("reported_at"),
        "reported_by": item.get("reported_by"),
        "reported_from_account": item.get("reported_from_account"),
        "recorded_at": item.get("recorded_at"),
        "idempotency_key": item.get("idempotency_key"),
    }


def recorded_qa_metrics(table: Any, group: str, version: int, *, table_name: str | None = None) -> dict[str, float]:
    """The QA metrics the gates of ``group`` version ``version`` are judged on ({} if none recorded).

    Same arguments as recorded_qa_report. An empty answer makes every gate fail ("no recorded value",
    mlgov_core.gates): a missing report is never assumed to pass.
    """
    report = recorded_qa_report(table, group, version, table_name=table_name)
    return report["metrics"] if report else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


__all__ = ["EvidenceError", "QA_SORT_KEY", "recorded_qa_metrics", "recorded_qa_report"]
