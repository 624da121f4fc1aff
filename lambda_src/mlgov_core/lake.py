"""The analytics lake as a pure projection of the governance table (layout: mlgov_core.lake_tables).

Rows, keys and bytes are functions of the table items alone, so the stream path (lake-projection)
and `mlgov analytics backfill` write the same objects: gzip with mtime 0, JSON with sorted keys, one
line per row, every column of the table present (null when the item has no value).

- A STATE item is one ``versions/`` row.
- A HIST# item of type "history" (a registry change) is one ``history/`` row carrying what the
  governance core derives from it: registrant and decider as persons (mlgov_core.identity), whether
  it is a decision (rules.classify_change against the version's previous registry change, which the
  caller supplies: a stream record does not carry it) and whether it breaks separation of duties.
- A HIST# item of type "metrics" (a metrics report) is one ``history/`` row and one ``metrics/``
  object with one row per metric (long format).
- CHAIN, METRICS# (latest metrics) and COUNTER/label items are not projected: the history holds
  every report and the chain head is bookkeeping.

Config objects: ``use_cases`` (one row per use case), ``gates`` (one row per gate, parsed with
mlgov_core.gates) and ``alarms``. Alarms map the prod deployment's ``alarms`` fields onto the
production metric names the metrics reports carry: ``max_p95_model_latency_ms`` is compared with
the reported ``p95_latency_ms``. ``max_5xx_errors_per_5_minutes`` is an endpoint CloudWatch alarm
with no reported counterpart (reports carry invocations, auc, accuracy, p95_latency_ms), so it has
no row: a row no report can join would read as "never breached".
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from mlgov_core import archive, identity, keys, rules
from mlgov_core.gates import Gate
from mlgov_core.lake_tables import ALARMS, GATES, HISTORY, METRICS, USE_CASES, VERSIONS, LakeTable

# (config field of deployments.prod.alarms, production metric it bounds)
ALARM_METRICS: tuple[tuple[str, str], ...] = (("max_p95_model_latency_ms", "p95_latency_ms"),)
REGISTRY_CHANGE, METRICS_REPORT = "history", "metrics"
PreviousChange = Callable[[Mapping[str, Any]], "Mapping[str, Any] | None"]


@dataclass(frozen=True)
class Write:
    """One lake object to put (``body``) or, with ``body`` None, to delete."""

    key: str
    body: bytes | None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def row(table: LakeTable, values: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the table's columns: a value the item lacks is null, anything else is dropped."""
    return {name: _plain(values.get(name)) for name in table.column_names()}


def body(rows: Iterable[Mapping[str, Any]]) -> bytes:
    lines = "".join(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for r in rows)
    return gzip.compress(lines.encode(), mtime=0)


def group_of(version_id: str) -> str:
    return version_id.rsplit("#", 1)[0]


# ------------------------------------------------------------------------------------ keys

def versions_key(version_id: str) -> str:
    return f"{VERSIONS.prefix}/{quote(version_id, safe='')}.json.gz"


def history_key(item: Mapping[str, Any]) -> str:
    return archive.item_key(HISTORY.prefix, item)


def metrics_key(item: Mapping[str, Any]) -> str:
    return archive.item_key(METRICS.prefix, item)


def config_key(table: LakeTable) -> str:
    return f"{table.prefix}/{table.name}.json.gz"


# ------------------------------------------------------------------------------------ rows

def versions_row(state: Mapping[str, Any]) -> dict[str, Any]:
    return row(VERSIONS, {**state, "version": _number(state.get("version"))})


def _registrants(item: Mapping[str, Any]) -> list[str | None]:
    return identity.registrants(item.get("registered_by"), item.get("registered_by_source_identity"))


def history_row(item: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``previous``: the version's registry change before ``item`` (None for its first); unused for reports."""
    vid = str(item["version_id"])
    values: dict[str, Any] = {**item, "model_group": group_of(vid), "version": _number(item.get("version"))}
    if item.get("item_type") == METRICS_REPORT:
        values.update(changed_by=item.get("reported_by"), is_decision=False, sod_breach=False)
        return row(HISTORY, values)
    registrants = _registrants(item)
    change = rules.classify_change(dict(previous) if previous else None, dict(item))
    decided = change in (rules.Change.APPROVED, rules.Change.REJECTED)
    deciders = [item.get("changed_by_source_identity"), item.get("changed_by")] if decided else []
    named = [d for d in deciders if d]
    values.update(
        registrant=identity.person(next((r for r in registrants if r), None)),
        decider=identity.person(named[0]) if named else None,
        is_decision=decided,
        sod_breach=bool(named) and identity.conflicting_identities(registrants, named) is not None,
    )
    return row(HISTORY, values)


def metrics_rows(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    vid = str(item["version_id"])
    common = {**item, "model_group": group_of(vid), "version": _number(item.get("version")), "report_key": item["sk"]}
    return [row(METRICS, {**common, "metric": name, "value": float(value)})
            for name, value in sorted((item.get("metrics") or {}).items())]


# ------------------------------------------------------------------------------------ items -> writes

def is_projected(item_keys: Mapping[str, Any]) -> bool:
    sk = str(item_keys.get(keys.SORT_KEY, ""))
    pk = str(item_keys.get(keys.PARTITION_KEY, ""))
    return pk.startswith(keys.VERSION_PK_PREFIX) and (sk == keys.STATE_SORT_KEY or sk.startswith(keys.HISTORY_PREFIX))


def state_write(state: Mapping[str, Any]) -> Write:
    return Write(versions_key(str(state["version_id"])), body([versions_row(state)]))


def history_writes(item: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> list[Write]:
    writes = [Write(history_key(item), body([history_row(item, previous)]))]
    if item.get("item_type") == METRICS_REPORT:
        writes.append(Write(metrics_key(item), body(metrics_rows(item))))
    return writes


def writes_for_record(record: Mapping[str, Any], previous_change: PreviousChange) -> list[Write]:
    """The lake writes one stream record (NEW_AND_OLD_IMAGES) implies; [] for items the lake ignores.

    ``previous_change(item)`` returns the version's registry change before a history item (a table read
    the caller owns, so this stays pure). A history item's MODIFY/REMOVE (never done by the writers;
    history-archive records it as evidence) leaves the lake's row as it was first written.
    """
    change = record.get("dynamodb") or {}
    item_keys = archive.plain_image(change.get("Keys"))
    if not is_projected(item_keys):
        return []
    event = record.get("eventName")
    is_state = item_keys[keys.SORT_KEY] == keys.STATE_SORT_KEY
    if is_state and event in ("INSERT", "MODIFY"):
        return [state_write(archive.plain_image(change["NewImage"]))]
    if is_state and event == "REMOVE":
        old = archive.plain_image(change.get("OldImage"))
        vid = old.get("version_id") or str(item_keys[keys.PARTITION_KEY]).removeprefix(keys.VERSION_PK_PREFIX)
        return [Write(versions_key(str(vid)), None)]
    if not is_state and event == "INSERT":
        item = archive.plain_image(change["NewImage"])
        if item.get("item_type") not in (REGISTRY_CHANGE, METRICS_REPORT):
            return []
        previous = previous_change(item) if item.get("item_type") == REGISTRY_CHANGE else None
        return history_writes(item, previous)
    return []


def previous_in(items: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any] | None]:
    """sk -> the registry change before it, for one version's history items (any order, any types)."""
    result: dict[str, Mapping[str, Any] | None] = {}
    last: Mapping[str, Any] | None = None
    for item in sorted(items, key=lambda i: str(i["sk"])):
        if item.get("item_type") != REGISTRY_CHANGE:
            continue
        result[str(item["sk"])] = last
        last = item
    return result


# ------------------------------------------------------------------------------------ config

def config_rows(config: Any) -> dict[LakeTable, list[dict[str, Any]]]:
    """use_cases, gates and alarms rows from an MlgovConfig, sorted so the bytes are stable."""
    use_cases, gates, alarms = [], [], []
    for name, uc in sorted(config.use_cases.items()):
        group = uc.model_package_group.name
        use_cases.append(row(USE_CASES, {
            "use_case": name, "model_group": group, "description": uc.description,
            "risk_tier": uc.risk_tier.value, "line_of_business": uc.line_of_business,
            "business_owner": uc.owners.business, "data_science_lead": uc.owners.data_science_lead,
            "ml_engineer": uc.owners.ml_engineer,
        }))
        for stage, texts in ((rules.Stage.TEST.value, uc.gates.test), (rules.Stage.PROD.value, uc.gates.prod)):
            for text in texts:
                gate = Gate.parse(text)
                gates.append(row(GATES, {"use_case": name, "model_group": group, "stage": stage, "metric": gate.metric,
                                         "comparison": gate.op, "threshold": gate.threshold}))
        prod = uc.deployments.prod
        if prod is not None:
            for field, metric in ALARM_METRICS:
                alarms.append(row(ALARMS, {"use_case": name, "model_group": group, "metric": metric,
                                           "max_value": float(getattr(prod.alarms, field)),
                                           "source": f"deployments.prod.alarms.{field}"}))
    return {USE_CASES: use_cases, GATES: gates, ALARMS: alarms}


def config_objects(config: Any) -> dict[str, bytes]:
    return {config_key(table): body(rows) for table, rows in config_rows(config).items()}
