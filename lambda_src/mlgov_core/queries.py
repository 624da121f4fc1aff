"""Read side of the governance table: every access pattern of DESIGN.md section 2 as a Query.

Each function issues Query requests with a KeyConditionExpression only (no FilterExpression, never
a Scan) on the table or one of the sparse GSIs in keys.py, follows LastEvaluatedKey, and returns
plain dicts: DynamoDB types deserialized, Decimals turned into int or float. The cost of each call
therefore grows with the size of its answer, never with the size of the table.

| pattern                           | function                   | request                                   |
|-----------------------------------|----------------------------|-------------------------------------------|
| one version's state and history   | version_state_and_history  | Query pk = MODEL#<group>#<version>        |
| all versions of a group           | versions_of_group          | Query by_group, model_group = <group>     |
| everything in a stage and status  | in_stage_status            | Query by_stage_status, stage_status = S#T |
| everything of a use case          | of_use_case                | Query by_use_case, use_case = <use case>  |
| recent changes                    | recent_changes             | Query by_change_day, one per day bucket   |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from mlgov_core import aws, keys, timeparse

_deserializer = TypeDeserializer()


def plain(value: Any) -> Any:
    """Decimals to int (if whole) or float, sets to sorted lists, recursively; everything else as is."""
    if isinstance(value, Decimal):
        # Whole numbers beyond 2**53 stay floats' territory: JSON consumers cannot hold them exactly.
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    return value


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """One item in DynamoDB JSON to a plain dict."""
    return {name: plain(_deserializer.deserialize(value)) for name, value in item.items()}


def exact(item: dict[str, Any]) -> dict[str, Any]:
    """One item in DynamoDB JSON to a dict that keeps Decimals: what the hash chain (chain.py) hashes."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def query_pages(
    client: Any, *, limit: int | None = None, exact_numbers: bool = False, **request: Any
) -> Iterator[dict[str, Any]]:
    """Yield the deserialized items of a Query, page by page, stopping after ``limit`` items.

    ``exact_numbers`` keeps Decimals (and sets) as DynamoDB returns them, for verifying the hash chain.
    Refuses a FilterExpression: a filter still reads (and bills) what it drops, which is what the
    access patterns avoid.
    """
    convert = exact if exact_numbers else deserialize
    if "FilterExpression" in request or "ScanFilter" in request or "QueryFilter" in request:
        raise ValueError("governance queries use key conditions only, no filters")
    if "KeyConditionExpression" not in request:
        raise ValueError("a governance query needs a KeyConditionExpression")
    remaining = limit
    while True:
        if remaining is not None:
            request["Limit"] = max(1, remaining)
        response = client.query(**request)
        for raw in response.get("Items", []):
            yield convert(raw)
            if remaining is not None:
                remaining -= 1
                if remaining <= 0:
                    return
        start = response.get("LastEvaluatedKey")
        if not start:
            return
        request["ExclusiveStartKey"] = start


def _client(client: Any) -> Any:
    return client or aws.client("dynamodb")


def version_state_and_history(
    table_name: str, group: str, version: int, *, client: Any = None, exact_numbers: bool = False
) -> dict[str, Any]:
    """{"state": item or None, "history": [items, oldest first], "metrics": [latest-metrics items],
    "chain": the hash chain's head item or None}.

    One partition (one version): one Query (more pages only for a very long history). With
    ``exact_numbers`` numbers stay Decimals (chain.verify_chain needs them; queries.plain converts after).
    """
    items = query_pages(
        _client(client),
        exact_numbers=exact_numbers,
        TableName=table_name,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": keys.PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": keys.version_pk(group, version)}},
    )
    result: dict[str, Any] = {"state": None, "history": [], "metrics": [], "chain": None}
    for item in items:
        sk = item.get(keys.SORT_KEY, "")
        if sk == keys.STATE_SORT_KEY:
            result["state"] = item
        elif sk == keys.CHAIN_SORT_KEY:
            result["chain"] = item
        elif sk.startswith(keys.HISTORY_PREFIX):
            result["history"].append(item)  # sort key order: change time, oldest first
        elif sk.startswith(keys.METRICS_PREFIX):
            result["metrics"].append(item)
    return result


def latest_metrics(table_name: str, group: str, version: int, *, client: Any = None) -> list[dict[str, Any]]:
    """The latest QA and production (per variant) metrics items of one version: one Query."""
    return list(
        query_pages(
            _client(client),
            TableName=table_name,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
            ExpressionAttributeValues={
                ":pk": {"S": keys.version_pk(group, version)},
                ":prefix": {"S": keys.METRICS_PREFIX},
            },
        )
    )


def _index_query(
    table_name: str, index: keys.Index, value: str, *, client: Any, newest_first: bool, limit: int | None
) -> list[dict[str, Any]]:
    return list(
        query_pages(
            _client(client),
            limit=limit,
            TableName=table_name,
            IndexName=index.name,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": index.partition_key},
            ExpressionAttributeValues={":v": {"S": value}},
            ScanIndexForward=not newest_first,
        )
    )


def versions_of_group(
    table_name: str, group: str, *, client: Any = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """State items of every version of ``group``, by version number (GSI by_group)."""
    return _index_query(table_name, keys.BY_GROUP, group, client=client, newest_first=False, limit=limit)


def in_stage_status(
    table_name: str, stage: str, status: str, *, client: Any = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """State items of every version in ``stage`` with ``status``, most recently changed first (GSI by_stage_status)."""
    return _index_query(
        table_name, keys.BY_STAGE_STATUS, keys.stage_status_key(stage, status), client=client, newest_first=True,
        limit=limit,
    )


def of_use_case(
    table_name: str, use_case: str, *, client: Any = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """State items of every version of ``use_case``, by group and version (GSI by_use_case)."""
    return _index_query(table_name, keys.BY_USE_CASE, use_case, client=client, newest_first=False, limit=limit)


def recent_changes(
    table_name: str,
    days: int = 7,
    limit: int | None = None,
    *,
    client: Any = None,
    now: Callable[[], str] = timeparse.now_iso,
) -> list[dict[str, Any]]:
    """History items (registry changes and metrics reports) of the last ``days`` UTC days, newest first.

    One Query per day bucket of GSI by_change_day (today first, newest first within a day); stops
    as soon as ``limit`` items are found, so a small limit reads only today's bucket.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    today = timeparse.to_datetime(now()).astimezone(timezone.utc).date()
    found: list[dict[str, Any]] = []
    for offset in range(days):
        day = (datetime(today.year, today.month, today.day, tzinfo=timezone.utc) - timedelta(days=offset))
        remaining = None if limit is None else limit - len(found)
        if remaining is not None and remaining <= 0:
            break
        found.extend(
            _index_query(
                table_name, keys.BY_CHANGE_DAY, day.strftime("%Y-%m-%d"), client=client, newest_first=True,
                limit=remaining,
            )
        )
    return found
