"""Helpers shared by the Lambda tests and fixtures (kept out of conftest so tests can import them by a unique name)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from mlgov_core import keys

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "eu-west-1"
TABLE = "mlgov-governance-test"
GROUP = "fraud-detection"
USE_CASE = "fraud"



def load_event(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())



def with_detail(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``event`` with detail fields replaced (None removes the field)."""
    copied = copy.deepcopy(event)
    for field, value in changes.items():
        if value is None:
            copied["detail"].pop(field, None)
        else:
            copied["detail"][field] = value
    return copied


def create_table(name: str = TABLE) -> None:
    """The table exactly as keys.py defines it: pk/sk strings and four sparse GSIs projecting ALL."""
    boto3.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in keys.key_attributes()],
        KeySchema=[
            {"AttributeName": keys.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": keys.SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in keys.INDEXES
        ],
    )


def version_items(pk: str = keys.version_pk(GROUP, 1)) -> list[dict[str, Any]]:
    """All items of one version (state and history), read with the resource API for plain values."""
    table = boto3.resource("dynamodb").Table(TABLE)
    return table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})["Items"]


def state_of(pk: str = keys.version_pk(GROUP, 1)) -> dict[str, Any]:
    return next(item for item in version_items(pk) if item["sk"] == keys.STATE_SORT_KEY)


def history_of(pk: str = keys.version_pk(GROUP, 1)) -> list[dict[str, Any]]:
    return [item for item in version_items(pk) if item["sk"].startswith(keys.HISTORY_PREFIX)]


class CallCounter:
    """Counts API calls on the given clients through botocore's before-call hook (one per request, not per retry)."""

    def __init__(self, *clients: Any) -> None:
        self.calls: Counter[str] = Counter()
        for client in clients:
            client.meta.events.register("before-call.*.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1
