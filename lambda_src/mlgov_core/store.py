"""Conditional writes of one registry change (or metrics report) to the governance table.

Why not the Powertools idempotency utility: it would add a read/write to a persistence table on
every event, while the conditional transaction below is idempotent by itself: the history item's
key contains the change's idempotency key, so a repeated change fails its condition and writes
nothing. No extra table, no expiry window to tune.

The hash chain (mlgov_core.chain) needs the previous item's hash, which only the table knows and
DynamoDB cannot compute, so each event first reads the partition with one TransactGetItems (the
chain head, the state's last_modified and whether the history item exists; strongly consistent),
then writes with one TransactWriteItems conditional on that head. Two writers that read the same
head cannot both link to it: the second one's head condition fails, it re-reads and links to the
new head (MAX_ATTEMPTS times, then the invocation fails so Lambda retries and finally dead-letters
it). A record is never dropped on a conflict. The read also settles duplicates (no write at all)
and older events (one transaction with the history item and the head only, never the state).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from mlgov_core import aws, chain, keys

_serializer = TypeSerializer()

# An older event may still overwrite a state of the same time (the same change seen again).
STATE_CONDITION = "attribute_not_exists(pk) OR last_modified <= :lm"
HISTORY_CONDITION = "attribute_not_exists(pk)"
HEAD_CONDITION = "chain_head = :prev"
# Contention on one version is a handful of events at once (SageMaker sends several per change).
MAX_ATTEMPTS = 5


class WriteResult(str, Enum):
    RECORDED = "recorded"  # state and history written
    DUPLICATE = "duplicate"  # this change was already recorded; nothing written
    STALE = "stale"  # an older change: history written, newer state kept


class ChainContention(RuntimeError):
    """The chain head kept moving under us; the event goes back to Lambda's retries (then the DLQ)."""


@dataclass(frozen=True)
class _Seen:
    history_exists: bool
    state_last_modified: str | None
    head: chain.Head
    head_exists: bool


def write_change(
    table_name: str, state: dict[str, Any], history: dict[str, Any], client: Any = None
) -> WriteResult:
    """Write state (if not older) and history (if new, linked to the chain head) in one TransactWriteItems."""
    dynamodb = client or aws.client("dynamodb")
    last_error: ClientError | None = None
    for _ in range(MAX_ATTEMPTS):
        try:
            seen = _read(dynamodb, table_name, state, history)
        except ClientError as error:
            # A read that collides with a writer's transaction is cancelled too: read again.
            if _codes(error) and set(_codes(error)) <= {"None", "TransactionConflict"}:
                last_error = error
                continue
            raise
        if seen.history_exists:
            return WriteResult.DUPLICATE
        stale = seen.state_last_modified is not None and seen.state_last_modified > state["last_modified"]
        linked = chain.link(history, seen.head)
        items = [] if stale else [_put(table_name, state, STATE_CONDITION, {":lm": {"S": state["last_modified"]}})]
        items.append(_put(table_name, linked, HISTORY_CONDITION))
        items.append(_put_head(table_name, linked, seen))
        try:
            dynamodb.transact_write_items(TransactItems=items)
            return WriteResult.STALE if stale else WriteResult.RECORDED
        except ClientError as error:
            codes = _cancellation_codes(error, len(items))
            if codes[-2] == "ConditionalCheckFailed":
                return WriteResult.DUPLICATE  # a concurrent delivery of the same change won the race
            # The state moved on (a newer event) or the head moved (another writer), or DynamoDB saw
            # a conflicting transaction: read again and link to what is there now.
            last_error = error
    if last_error is not None and "ConditionalCheckFailed" not in _codes(last_error):
        raise last_error  # only conflicts: not a verdict about the data, Lambda retries it
    raise ChainContention(
        f"{history['pk']}: the chain head moved {MAX_ATTEMPTS} times while linking {history['sk']}; retried by Lambda"
    ) from last_error


def _read(dynamodb: Any, table_name: str, state: dict[str, Any], history: dict[str, Any]) -> _Seen:
    pk = {"S": history["pk"]}
    gets = [
        {"TableName": table_name, "Key": {"pk": pk, "sk": {"S": state["sk"]}}, "ProjectionExpression": "last_modified"},
        {"TableName": table_name, "Key": {"pk": pk, "sk": {"S": history["sk"]}}, "ProjectionExpression": "pk"},
        {"TableName": table_name, "Key": {"pk": pk, "sk": {"S": keys.CHAIN_SORT_KEY}},
         "ProjectionExpression": f"{chain.HEAD}, {chain.LENGTH}, {chain.HEAD_SK}"},
    ]
    responses = dynamodb.transact_get_items(TransactItems=[{"Get": get} for get in gets])["Responses"]
    state_item, history_item, head_item = (response.get("Item") for response in responses)
    head = None
    if head_item:
        head = {chain.HEAD: head_item[chain.HEAD]["S"], chain.LENGTH: head_item[chain.LENGTH]["N"],
                chain.HEAD_SK: head_item.get(chain.HEAD_SK, {}).get("S")}
    return _Seen(
        history_exists=bool(history_item),
        state_last_modified=(state_item or {}).get("last_modified", {}).get("S"),
        head=chain.Head.of(head),
        head_exists=bool(head_item),
    )


def _put(table_name: str, item: dict[str, Any], condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table_name, "Item": _serialize(item), "ConditionExpression": condition}
    if values:
        put["ExpressionAttributeValues"] = values
    return {"Put": put}


def _put_head(table_name: str, linked: dict[str, Any], seen: _Seen) -> dict[str, Any]:
    after = chain.head_after(linked)
    head = {"pk": linked["pk"], "sk": keys.CHAIN_SORT_KEY, "item_type": "chain_head",
            chain.HEAD: after.hash, chain.LENGTH: after.length, chain.HEAD_SK: after.sk}
    if not seen.head_exists:
        return _put(table_name, head, "attribute_not_exists(pk)")
    return _put(table_name, head, HEAD_CONDITION, {":prev": {"S": seen.head.hash}})


def _codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _cancellation_codes(error: ClientError, expected: int) -> list[str]:
    """Each item's cancellation code; re-raises anything that is not a condition or a conflict.

    Throttling or validation inside the transaction goes back to Lambda's retry rather than being
    mistaken for a duplicate or a moved head.
    """
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        raise error
    codes = _codes(error)
    if len(codes) != expected or any(code not in ("None", "ConditionalCheckFailed", "TransactionConflict") for code in codes):
        raise error
    return codes


def _serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}
