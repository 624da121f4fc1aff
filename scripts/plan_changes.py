"""What a plan's JSON (`terraform show -json`) says: the changes it would make and the drift it found.

Both come out as resource addresses with an action or attribute names, never values, so a caller may
print them in a CI log: plans hold sensitive values in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Tags count whether configured or not: default tags reach every resource through tags_all, and a tag
# added or removed outside is drift.
ALWAYS_COUNTED = frozenset({"tags", "tags_all"})


@dataclass(frozen=True)
class Change:
    address: str
    action: str  # create, update, delete, replace (delete first), replace (create first), read


@dataclass(frozen=True)
class Drift:
    address: str
    action: str  # update or delete, as Terraform reports the object changed outside of it
    attributes: tuple[str, ...]  # top-level attribute names that differ (empty for a deleted object)


def _action(actions: list[str]) -> str:
    if actions == ["delete", "create"]:
        return "replace (delete first)"
    if actions == ["create", "delete"]:
        return "replace (create first)"
    return actions[0] if len(actions) == 1 else "+".join(actions)


def planned_changes(plan: dict[str, Any]) -> list[Change]:
    """Every resource the plan would create, update, delete or replace (no-ops left out)."""
    return [Change(rc["address"], _action(rc["change"]["actions"])) for rc in plan.get("resource_changes", [])
            if rc["change"]["actions"] != ["no-op"]]


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _json(value: Any) -> Any:
    """A JSON object or array held in a string (policies, schemas), parsed; anything else as it is."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _same(before: Any, after: Any) -> bool:
    """Equal, counting null, "" and an empty map or list as the same (tags: null in state, {} read back),
    and JSON texts by their content (the service may give back a policy or schema laid out its own way)."""
    before, after = _json(before), _json(after)
    if _blank(before) and _blank(after):
        return True
    if isinstance(before, dict) and isinstance(after, dict):
        return all(_same(before.get(k), after.get(k)) for k in set(before) | set(after))
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after))
    return before == after


def _configured(plan: dict[str, Any]) -> dict[str, set[str]]:
    """Per resource address of the root module, the attributes its configuration sets."""
    resources = plan.get("configuration", {}).get("root_module", {}).get("resources", [])
    return {r["address"]: set(r.get("expressions", {})) for r in resources}


def drift(plan: dict[str, Any]) -> list[Drift]:
    """The objects changed outside of Terraform since the last apply, from a refresh-only or normal plan:
    an object gone, or a change to an attribute the configuration sets, or to the tags.

    What the configuration leaves unset is not counted. Terraform reports such attributes as changed
    after the first apply for reasons of its own making: values only the service computes
    (attachment_count, a method's operation_name) and attributes the stacks manage through a resource
    of their own (a bucket's versioning through aws_s3_bucket_versioning, a queue's policy through
    aws_sqs_queue_policy), whose own drift shows there. A plain optional argument set outside where the
    stacks leave it unset is a change a normal plan proposes to undo, so `make plan` still shows it.
    """
    configured = _configured(plan)
    found: list[Drift] = []
    for rc in plan.get("resource_drift", []):
        actions = rc["change"]["actions"]
        if "delete" in actions:
            found.append(Drift(rc["address"], "delete", ()))
            continue
        before, after = rc["change"].get("before") or {}, rc["change"].get("after") or {}
        counted = configured.get(_config_address(rc), set()) | ALWAYS_COUNTED
        changed = tuple(sorted(k for k in set(before) | set(after)
                               if k in counted and not _same(before.get(k), after.get(k))))
        if changed:
            found.append(Drift(rc["address"], _action(actions), changed))
    return found


def _config_address(rc: dict[str, Any]) -> str:
    """`aws_x.name` for `aws_x.name[0]` or `aws_x.name["key"]`: configuration lists a resource once."""
    return f"{rc['type']}.{rc['name']}" if rc.get("mode", "managed") == "managed" else rc["address"]
