"""Rebuild the analytics lake from the governance table: the objects the stream path writes, byte for byte.

Reads: one by_change_day Query per day (paginated), one Query per version for the registry change
before the window (lake_store.previous_change, as lake-projection does per record), BatchGetItem of
the STATE items (100 per call). Never a Scan. Writes are overwrites of deterministic keys, so a
second run leaves the same objects (and S3 versioning a noncurrent copy of each).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from mlgov_core import keys, lake, lake_store

BATCH_GET_LIMIT = 100
_deserializer = TypeDeserializer()


@dataclass
class BackfillResult:
    since: str
    until: str
    days: int = 0
    history_items: int = 0
    versions: int = 0
    objects: dict[str, bytes] = field(default_factory=dict)
    written: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "days": self.days, "history_items": self.history_items,
                "versions": self.versions, "objects": len(self.objects), "written": self.written}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def days(since: date, until: date) -> Iterator[str]:
    day = since
    while day <= until:
        yield day.isoformat()
        day += timedelta(days=1)


def history_of_day(dynamodb: Any, table: str, day: str) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": table, "IndexName": keys.BY_CHANGE_DAY.name,
        "KeyConditionExpression": "#day = :day", "ExpressionAttributeNames": {"#day": keys.BY_CHANGE_DAY.partition_key},
        "ExpressionAttributeValues": {":day": {"S": day}},
    }
    while True:
        page = dynamodb.query(**request)
        yield from (_plain(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def states(dynamodb: Any, table: str, pks: list[str]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(pks), BATCH_GET_LIMIT):
        pending: dict[str, Any] = {table: {"Keys": [{keys.PARTITION_KEY: {"S": pk}, keys.SORT_KEY: {"S": keys.STATE_SORT_KEY}}
                                                    for pk in pks[start:start + BATCH_GET_LIMIT]], "ConsistentRead": True}}
        while pending:
            response = dynamodb.batch_get_item(RequestItems=pending)
            yield from (_plain(i) for i in response.get("Responses", {}).get(table, []))
            pending = response.get("UnprocessedKeys") or {}


def build(dynamodb: Any, table: str, since: date, until: date, config: Any) -> BackfillResult:
    """Every lake object the table implies for history from ``since`` to ``until`` (UTC days), not written."""
    result = BackfillResult(since.isoformat(), until.isoformat())
    by_version: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for day in days(since, until):
        result.days += 1
        for item in history_of_day(dynamodb, table, day):
            if lake.is_projected(item) and item.get("item_type") in (lake.REGISTRY_CHANGE, lake.METRICS_REPORT):
                by_version[str(item["pk"])].append(item)
    for items in by_version.values():
        result.history_items += len(items)
        previous = lake.previous_in(items)
        changes = sorted((i for i in items if i.get("item_type") == lake.REGISTRY_CHANGE), key=lambda i: str(i["sk"]))
        if changes:  # the change before the window, as the stream path reads it
            previous[str(changes[0]["sk"])] = lake_store.previous_change(table, changes[0], dynamodb)
        for item in items:
            for write in lake.history_writes(item, previous.get(str(item["sk"]))):
                result.objects[write.key] = write.body  # type: ignore[assignment]
    for state in states(dynamodb, table, sorted(by_version)):
        result.versions += 1
        write = lake.state_write(state)
        result.objects[write.key] = write.body  # type: ignore[assignment]
    result.objects.update(lake.config_objects(config))
    return result


def write(result: BackfillResult, s3: Any, bucket: str) -> None:
    result.written = lake_store.apply((lake.Write(k, v) for k, v in sorted(result.objects.items())), bucket, s3)
