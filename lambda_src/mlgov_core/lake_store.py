"""The lake's two AWS touch points, shared by lake-projection and `mlgov analytics backfill`.

Why the projection reads the table at all: whether a history item is a decision depends on the
version's previous registry change (rules.classify_change), which a stream record does not carry.
One Query per registry-change record finds it: the version's HIST# items before this one, newest
first, registry changes only (metrics reports share the HIST# prefix).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from mlgov_core import aws, keys
from mlgov_core.lake import REGISTRY_CHANGE, Write

# A .json.gz object, not Content-Encoding: gzip: readers (Athena, DuckDB) decompress by the key's suffix.
CONTENT_TYPE = "application/gzip"
_deserializer = TypeDeserializer()


def previous_change(table_name: str, item: Mapping[str, Any], client: Any = None) -> dict[str, Any] | None:
    """The registry change of ``item``'s version just before it, or None if ``item`` is the first."""
    dynamodb = client or aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :this",
        "FilterExpression": "#type = :type AND #sk < :this",
        "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY, "#type": "item_type"},
        "ExpressionAttributeValues": {":pk": {"S": str(item["pk"])}, ":first": {"S": keys.HISTORY_PREFIX},
                                      ":this": {"S": str(item["sk"])}, ":type": {"S": REGISTRY_CHANGE}},
        "ScanIndexForward": False,
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**request)
        if page.get("Items"):
            return {name: _deserializer.deserialize(value) for name, value in page["Items"][0].items()}
        if "LastEvaluatedKey" not in page:
            return None
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def apply(writes: Iterable[Write], bucket: str, client: Any = None) -> int:
    """PUT (overwrite: versioning keeps what it replaced) or DELETE each object; returns how many."""
    s3 = client or aws.client("s3")
    count = 0
    for write in writes:
        if write.body is None:
            s3.delete_object(Bucket=bucket, Key=write.key)
        else:
            s3.put_object(Bucket=bucket, Key=write.key, Body=write.body, ContentType=CONTENT_TYPE)
        count += 1
    return count
