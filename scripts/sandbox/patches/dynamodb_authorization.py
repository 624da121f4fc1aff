"""moto stores DynamoDB resource policies and IAM policies but evaluates neither, so any caller may delete, overwrite or re-configure any table; AWS refuses what an explicit Deny or a missing Allow forbids."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from ._authorize import Caller, decide, resolve
from ._common import wrap

log = logging.getLogger(__name__)

# Item writes and table changes; reads (GetItem, Query, ...) stay ungoverned in the sandbox.
ITEM_ACTIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                "ExecuteStatement", "BatchExecuteStatement")
TABLE_ACTIONS = ("DeleteTable", "UpdateTable", "UpdateContinuousBackups", "UpdateTimeToLive",
                 "PutResourcePolicy", "DeleteResourcePolicy", "RestoreTableToPointInTime")
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
_PARTIQL = {"INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate", "DELETE": "PartiQLDelete", "SELECT": "PartiQLSelect"}
_PARTIQL_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\s+.+?\s+FROM)\s+"?([\w.-]+)"?', re.I | re.S)
# Words of an update expression that are not attribute names.
_UPDATE_WORDS = {"SET", "REMOVE", "ADD", "DELETE", "if_not_exists", "list_append"}
_NAME = re.compile(r"(?<![:\w#])(#?[A-Za-z_][\w]*)")


def table_arn(response: Any, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:dynamodb:{response.region}:{response.current_account}:table/{name}"


def update_attributes(expression: str | None, names: dict[str, str] | None, updates: dict[str, Any] | None) -> set[str]:
    """Top-level attribute names an UpdateItem writes (UpdateExpression or the legacy AttributeUpdates)."""
    found = set((updates or {}).keys())
    text = re.sub(r":\w+", " ", expression or "")  # values are not names
    for token in _NAME.findall(re.sub(r"\.[#\w]+|\[\d+\]", "", text)):  # only the first element of a path
        if token in _UPDATE_WORDS:
            continue
        found.add((names or {}).get(token, token) if token.startswith("#") else token)
    return found


def _partition_key(response: Any, table: str) -> str | None:
    try:
        return response.dynamodb_backend.get_table(table).hash_key_attr
    except Exception:  # noqa: BLE001 - an unknown table: moto answers ResourceNotFound itself
        return None


def _item_request(response: Any, action: str, body: dict[str, Any]) -> tuple[str, dict[str, list[str]]]:
    """(table name, DynamoDB condition keys) of one item request.

    dynamodb:LeadingKeys is the partition key value; dynamodb:Attributes the attribute names the
    request writes: every name of a PutItem's item, an UpdateItem's key names plus the names it
    updates, a DeleteItem's key names.
    """
    item = body.get("Item") if action == "PutItem" else body.get("Key")
    item, table = item or {}, body.get("TableName", "")
    context: dict[str, list[str]] = {}
    partition = item.get(_partition_key(response, table) or "")
    if isinstance(partition, dict) and partition:
        context["dynamodb:leadingkeys"] = [str(next(iter(partition.values())))]
    attributes = set(item)
    if action == "UpdateItem":
        attributes |= update_attributes(body.get("UpdateExpression"), body.get("ExpressionAttributeNames"),
                                        body.get("AttributeUpdates"))
    if attributes and action != "ConditionCheckItem":
        context["dynamodb:attributes"] = sorted(attributes)
    return table, context


def governed(response: Any, action: str) -> Iterator[tuple[str, str, dict[str, list[str]]]]:
    """(IAM action, table name, condition keys) for every authorization the request needs."""
    body = getattr(response, "body", None) or getattr(response, "params", {}) or {}
    if action in ("PutItem", "UpdateItem", "DeleteItem"):
        table, context = _item_request(response, action, body)
        yield f"dynamodb:{action}", table, context
    elif action == "TransactWriteItems":
        for entry in body.get("TransactItems", []):
            for kind, request in entry.items():
                table, context = _item_request(response, _TRANSACT[kind], request)
                yield f"dynamodb:{_TRANSACT[kind]}", table, context
    elif action == "BatchWriteItem":
        for table, requests in (body.get("RequestItems") or {}).items():
            items = [r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") or {} for r in requests]
            pk = _partition_key(response, table) or ""
            leading = sorted({str(next(iter(i[pk].values()))) for i in items if isinstance(i.get(pk), dict) and i[pk]})
            yield "dynamodb:BatchWriteItem", table, ({"dynamodb:leadingkeys": leading} if leading else {})
    elif action in ("ExecuteStatement", "BatchExecuteStatement"):
        statements = [body] if action == "ExecuteStatement" else body.get("Statements", [])
        for statement in statements:
            text = statement.get("Statement", "")
            match = _PARTIQL_TABLE.match(text)
            verb = text.split(None, 1)[0].upper() if text.strip() else ""
            if match and verb in _PARTIQL:
                yield f"dynamodb:{_PARTIQL[verb]}", match.group(1), {}
    elif action == "RestoreTableToPointInTime":
        yield "dynamodb:RestoreTableToPointInTime", body.get("SourceTableArn") or body.get("SourceTableName", ""), {}
    elif action in ("PutResourcePolicy", "DeleteResourcePolicy"):
        yield f"dynamodb:{action}", body.get("ResourceArn", ""), {}
    else:
        yield f"dynamodb:{action}", body.get("TableName", ""), {}


def resource_policy(response: Any, arn: str) -> dict[str, Any] | None:
    import json

    stored = response.dynamodb_backend.resource_policies.get(arn)
    return json.loads(stored.policy_doc) if stored else None


def request_context(caller: Caller) -> dict[str, list[str]]:
    return {**caller.context(), "aws:securetransport": ["true"]}  # the DynamoDB API is HTTPS-only on AWS


def authorize(response: Any, action: str) -> None:
    """Raise AccessDeniedException unless IAM would allow every part of the request; nothing is written yet."""
    from moto.core.exceptions import JsonRESTError

    caller: Caller | None = None
    for iam_action, table, keys in governed(response, action):
        if not table:
            continue
        caller = caller or resolve(response.access_key, response.current_account)
        arn = table_arn(response, table)
        decision = decide(caller, iam_action, arn, response.current_account, {**request_context(caller), **keys},
                          resource_policy(response, arn))
        if not decision.allowed:
            log.warning("dynamodb: %s on %s by %s refused %s %s", iam_action, arn, caller.arn, decision.reason, list(decision.sids))
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: {caller.arn} is not authorized to perform: {iam_action} on resource: {arn} {decision.reason}",
            )


def apply() -> None:
    from moto.dynamodb.responses import DynamoHandler as H

    for action in (*ITEM_ACTIONS, *TABLE_ACTIONS):
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()

        def checked(orig: Any, self: Any, *args: Any, _action: str = action, **kwargs: Any) -> Any:
            authorize(self, _action)
            return orig(self, *args, **kwargs)

        wrap(H, method)(checked)
