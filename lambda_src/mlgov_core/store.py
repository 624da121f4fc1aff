"""Conditional writes of one registry change to the governance table.

Why not the Powertools idempotency utility: it would add a read/write to a persistence table on
every event, while the conditional transaction below is idempotent by itself: the history item's
key contains the change's idempotency key, so a repeated change fails its condition and writes
nothing. One request per new event, no extra table, no expiry window to tune.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from mlgov_core import aws

_serializer = TypeSerializer()

# An older event may still overwrite a state of the same time (the same change seen again).
STATE_CONDITION = "attribute_not_exists(pk) OR last_modified <= :lm"
HISTORY_CONDITION = "attribute_not_exists(pk)"


class WriteResult(str, Enum):
    RECORDED = "recorded"  # state and history written
    DUPLICATE = "duplicate"  # this change was already recorded; nothing written
    STALE = "stale"  # an older change: history written, newer state kept


def write_change(
    table_name: str, state: dict[str, Any], history: dict[str, Any], client: Any = None
) -> WriteResult:
    """Write state (if not older) and history (if new) in one TransactWriteItems."""
    dynamodb = client or aws.client("dynamodb")
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": _serialize(state),
                        "ConditionExpression": STATE_CONDITION,
                        "ExpressionAttributeValues": {":lm": {"S": state["last_modified"]}},
                    }
                },
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": _serialize(history),
                        "ConditionExpression": HISTORY_CONDITION,
                    }
                },
            ]
        )
        return WriteResult.RECORDED
    except ClientError as error:
        state_failed, history_failed = _failed_conditions(error)
        if history_failed:
            return WriteResult.DUPLICATE
        if state_failed:
            return _put_history_only(dynamodb, table_name, history)
        raise


def _put_history_only(dynamodb: Any, table_name: str, history: dict[str, Any]) -> WriteResult:
    try:
        dynamodb.put_item(TableName=table_name, Item=_serialize(history), ConditionExpression=HISTORY_CONDITION)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return WriteResult.DUPLICATE  # a concurrent delivery of the same change won the race
        raise
    return WriteResult.STALE


def _failed_conditions(error: ClientError) -> tuple[bool, bool]:
    """Which of (state, history) failed its condition; re-raises cancellations for other reasons.

    A conflict or throttling inside the transaction is not a verdict about the data, so it goes back
    to Lambda's retry rather than being mistaken for a duplicate.
    """
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        raise error
    codes = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
    if len(codes) != 2 or any(code not in ("None", "ConditionalCheckFailed") for code in codes):
        raise error
    return codes[0] == "ConditionalCheckFailed", codes[1] == "ConditionalCheckFailed"


def _serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}
