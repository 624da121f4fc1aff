"""The governance report's model, gathered from the governance table with Queries only.

- versions of a use case ..... Query GSI ``by_use_case`` (plus ``by_group`` on the use case's group,
                               which also finds versions recorded before the config claimed the group);
                               only the attributes that list a version (LISTING_ATTRIBUTES) come back
- one version's details ...... Query its partition (state, history, latest metrics), in parallel
Never a Scan: the cost grows with the versions reported, not with the table. One request per version
is the floor: history items are indexed only by change day, latest-metrics items on no index.

The model is plain JSON-able data (``--json`` prints it); the templates only lay it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any


from mlgov_config import MlgovConfig, UseCaseConfig
from mlgov_core import chain, gates, keys, rules
from mlgov_core.queries import deserialize, exact, plain

STAGES = [s.value for s in rules.STAGE_ORDER]
STATUSES = [s.value for s in rules.StageStatus]
QUERY_WORKERS = 8
DECISION_REASON_KEY = "decision_reason"
# What the index Queries return of each state item: enough to list the version and Query its partition.
# The partition Query reads the full state item again (with its history), so the index answers need not
# carry it: at 1,000 versions of one use case, 2,000 full state items fewer to transfer and parse (its
# by_use_case and by_group Queries find the same versions). The read capacity is the same: DynamoDB bills
# the items read, not the attributes returned.
LISTING_ATTRIBUTES = ("version_id", "model_group", "version")


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return deserialize(raw)


class TableReader:
    """Paginated Queries on the governance table through a low-level DynamoDB client."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def _query(self, exact_numbers: bool = False, **params: Any) -> list[dict[str, Any]]:
        convert = exact if exact_numbers else _item
        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("query").paginate(TableName=self.table, **params):
            items += [convert(raw) for raw in page.get("Items", [])]
        return items

    def states_by(self, index: keys.Index, value: str,
                  attributes: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """State items on ``index`` whose partition key is ``value``; only ``attributes`` if given."""
        names = {f"#a{i}": name for i, name in enumerate(dict.fromkeys((index.partition_key, *(attributes or ()))))}
        placeholder = {name: ph for ph, name in names.items()}
        params: dict[str, Any] = {}
        if attributes:
            params["ProjectionExpression"] = ", ".join(placeholder[name] for name in attributes)
        return self._query(IndexName=index.name, KeyConditionExpression=f"{placeholder[index.partition_key]} = :v",
                           ExpressionAttributeNames=names, ExpressionAttributeValues={":v": {"S": value}}, **params)

    def version_partition(self, group: str, version: int, *, exact_numbers: bool = False) -> list[dict[str, Any]]:
        """Every item of one version; ``exact_numbers`` keeps Decimals, as the hash chain needs them."""
        return self._query(exact_numbers=exact_numbers, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": keys.version_pk(group, version)}})


def chain_status(partition: list[dict[str, Any]]) -> dict[str, Any]:
    """chain.verification of one partition read with exact numbers: its history items and its head."""
    history = [i for i in partition if str(i.get("sk", "")).startswith(keys.HISTORY_PREFIX)]
    head = next((i for i in partition if i.get("sk") == keys.CHAIN_SORT_KEY), None)
    return plain(chain.verification(history, head))


def _number_map(value: Any) -> dict[str, float]:
    return {k: float(v) for k, v in (value or {}).items() if isinstance(v, (int, float))}


def version_report(state: dict[str, Any], partition: list[dict[str, Any]], uc: UseCaseConfig | None) -> dict[str, Any]:
    """One version: state, history (oldest first), latest QA and production metrics, gate results.

    The partition's state item wins over ``state`` (the index's listing of the version), which stands in
    only if the state item is gone from the partition by the time it is read.
    """
    state = next((i for i in partition if i.get("sk") == keys.STATE_SORT_KEY), state)
    history_items = sorted((i for i in partition if i.get("item_type") == "history"),
                           key=lambda i: (i.get("last_modified", ""), i.get("sk", "")))
    latest = [i for i in partition if i.get("item_type") == "metrics_latest"]
    qa_item = next((i for i in latest if i.get("kind") == "qa"), None)
    production = sorted(({"variant": i.get("variant", ""), "metrics": _number_map(i.get("metrics")),
                          "reported_at": i.get("reported_at"), "reported_by": i.get("reported_by"),
                          "window_start": i.get("window_start"), "window_end": i.get("window_end")}
                         for i in latest if i.get("kind") == "production"), key=lambda p: p["variant"])
    # QA evidence is only what metrics-ingest recorded (mlgov_core.evidence); qa:* registry metadata is
    # a copy anyone who may write metadata can type, so it never stands in for a missing report.
    if qa_item is not None:
        qa = {"metrics": _number_map(qa_item.get("metrics")), "reported_at": qa_item.get("reported_at"),
              "reported_by": qa_item.get("reported_by"), "source": "table"}
    else:
        qa = None

    history = []
    previous = None
    for item in history_items:
        action = rules.classify_change(previous, item).value
        metadata = item.get("customer_metadata") or {}
        claimed = None
        if action in ("approved", "rejected"):
            # The decider is the registry's LastModifiedBy for this change (changed_by), never the
            # approved_by/rejected_by metadata: it outlives its decision and anyone may type it.
            actor, claimed = item.get("changed_by"), item.get("claimed_decided_by")
            reason = item.get("reason") or item.get("stage_description") or metadata.get(DECISION_REASON_KEY)
        elif action == rules.Change.METADATA.value:
            # Stage and status carried over from the last decision: its decider and reason are not this change's.
            actor = reason = None
        else:
            registered = action == rules.Change.REGISTERED.value
            actor = item.get("registered_by") if registered else item.get("changed_by")
            claimed = item.get("claimed_registered_by") if registered else None
            reason = item.get("reason") or item.get("stage_description")
        # The registry's sts:SourceIdentity of the session that made the change: the person behind ``by``.
        source_identity = item.get("registered_by_source_identity" if action == rules.Change.REGISTERED.value
                                   else "changed_by_source_identity") if actor else None
        history.append({
            "at": item.get("last_modified"), "action": action, "stage": item.get("stage"), "status": item.get("status"),
            "approval_status": item.get("approval_status"), "by": actor, "by_source_identity": source_identity,
            "claimed_by": claimed, "reason": reason, "source": item.get("source"),
        })
        previous = item

    gate_results = []
    if uc is not None:
        recorded = qa["metrics"] if qa else {}
        for stage, configured in (("Test", uc.gates.test), ("Prod", uc.gates.prod)):
            for result in gates.evaluate_all(configured, recorded):
                gate_results.append({"stage": stage, "gate": str(result.gate), "metric": result.gate.metric,
                                     "op": result.gate.op, "threshold": result.gate.threshold,
                                     "value": result.value, "passed": result.passed, "reason": result.reason})
    prod_gates = [g for g in gate_results if g["stage"] == "Prod"]
    return {
        "group": state.get("model_group") or state.get("version_id", "#").split("#")[0],
        "version": int(state.get("version", 0)),
        "version_id": state.get("version_id"),
        "stage": state.get("stage"),
        "status": state.get("status"),
        "registry_stage": state.get("registry_stage"),
        "registry_stage_status": state.get("registry_stage_status"),
        "approval_status": state.get("approval_status"),
        "source": state.get("source"),
        "model_package_arn": state.get("model_package_arn"),
        "description": state.get("description"),
        "stage_description": state.get("stage_description"),
        "registered_by": state.get("registered_by"),
        # The last decision's decider from its own history item: the state's approved_by names whoever
        # made the latest change in a decided status, which may be a metadata writer such as metrics-ingest.
        "approved_by": next((h["by"] for h in reversed(history) if h["action"] in ("approved", "rejected")), None),
        "created_at": state.get("created_at"),
        "last_modified": state.get("last_modified"),
        "training_metrics": _number_map(state.get("metrics")),
        "qa": qa,
        "production": production,
        "gates": gate_results,
        "prod_gates_pass": (all(g["passed"] for g in prod_gates) if prod_gates else None),
        "gates_pass": (all(g["passed"] for g in gate_results) if gate_results else None),
        "history": history,
    }


def _matrix(versions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter((v["stage"], v["status"]) for v in versions)
    rows = {stage: {status: counts.get((stage, status), 0) for status in STATUSES} for stage in STAGES}
    for (stage, status), n in counts.items():  # values outside the enums still show up
        rows.setdefault(stage, {s: 0 for s in STATUSES}).setdefault(status, 0)
        rows[stage][status] = n
    return {"stages": list(rows), "statuses": STATUSES, "counts": rows,
            "row_totals": {stage: sum(row.values()) for stage, row in rows.items()},
            "column_totals": {status: sum(row.get(status, 0) for row in rows.values()) for status in STATUSES},
            "total": sum(counts.values())}


def _deployments(uc: UseCaseConfig) -> dict[str, Any]:
    d = uc.deployments
    return {
        "test": {"version": d.test.version} if d.test else None,
        "prod": [{"variant": v.name, "version": v.version, "weight": v.weight} for v in d.prod.variants] if d.prod else [],
    }


def build_report(config: MlgovConfig, reader: TableReader, *, use_case: str | None = None,
                 now: datetime | None = None, workers: int = QUERY_WORKERS,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The report model for every configured use case (or one), plus versions no use case claims."""
    now = now or datetime.now(timezone.utc)
    selected = [config.use_cases[use_case]] if use_case else sorted(config.use_cases.values(), key=lambda u: u.name)
    by_group = {uc.model_package_group.name: uc for uc in config.use_cases.values()}

    # 1. the versions (listing attributes of the state items) of each use case: two index Queries per use case
    states: dict[str, tuple[str, dict[str, Any]]] = {}  # version_id -> (use case name, listing)
    for uc in selected:
        for item in (reader.states_by(keys.BY_USE_CASE, uc.name, LISTING_ATTRIBUTES)
                     + reader.states_by(keys.BY_GROUP, uc.model_package_group.name, LISTING_ATTRIBUTES)):
            states[item["version_id"]] = (uc.name, item)
    if use_case is None:
        for item in reader.states_by(keys.BY_USE_CASE, rules.UNASSIGNED_USE_CASE, LISTING_ATTRIBUTES):
            owner = by_group.get(item.get("model_group", ""))
            states.setdefault(item["version_id"], (owner.name if owner else rules.UNASSIGNED_USE_CASE, item))

    # 2. each version's partition: state, history and latest metrics (one Query per version, overlapped
    #    by a small thread pool: it hides network latency; against in-process moto it changes nothing)
    ordered = sorted(states.items())
    done = 0
    lock = threading.Lock()

    def fetch(entry: tuple[str, tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
        nonlocal done
        _, (uc_name, state) = entry
        # Read once with exact numbers: the chain is verified on them, the report uses their plain form.
        partition = reader.version_partition(state["model_group"], int(state["version"]), exact_numbers=True)
        result = version_report(state, [plain(i) for i in partition], config.use_cases.get(uc_name))
        result["chain"] = chain_status(partition)
        with lock:
            done += 1
            if progress:
                progress(done, len(ordered))
        return uc_name, result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        fetched = list(pool.map(fetch, ordered))

    versions_by_uc: dict[str, list[dict[str, Any]]] = {}
    for uc_name, version in fetched:
        versions_by_uc.setdefault(uc_name, []).append(version)

    use_cases = []
    names = [uc.name for uc in selected] + ([rules.UNASSIGNED_USE_CASE] if rules.UNASSIGNED_USE_CASE in versions_by_uc else [])
    for name in names:
        uc = config.use_cases.get(name)
        versions = sorted(versions_by_uc.get(name, []), key=lambda v: (v["group"], v["version"]))
        use_cases.append({
            "name": name,
            "configured": uc is not None,
            "description": uc.description if uc else "versions of groups no use case config claims",
            "group": uc.model_package_group.name if uc else None,
            "groups": sorted({v["group"] for v in versions} | ({uc.model_package_group.name} if uc else set())),
            "owners": uc.owners.model_dump() if uc else {},
            "risk_tier": uc.risk_tier.value if uc else None,
            "gates": {"test": list(uc.gates.test), "prod": list(uc.gates.prod)} if uc else {"test": [], "prod": []},
            "deployments": _deployments(uc) if uc else {"test": None, "prod": []},
            "versions": versions,
            "matrix": _matrix(versions),
            "owners_of_versions": sorted({v["registered_by"] for v in versions if v.get("registered_by")}),
        })

    all_versions = [v for u in use_cases for v in u["versions"]]
    pending = []
    for u in use_cases:
        for v in u["versions"]:
            if v["status"] == rules.StageStatus.PENDING.value:
                waiting = None
                if v.get("last_modified"):
                    try:
                        since = datetime.fromisoformat(v["last_modified"].replace("Z", "+00:00"))
                        waiting = round((now - since).total_seconds() / 86400, 1)
                    except ValueError:
                        pass
                pending.append({"use_case": u["name"], "group": v["group"], "version": v["version"],
                                "stage": v["stage"], "registered_by": v.get("registered_by"),
                                "since": v.get("last_modified"), "waiting_days": waiting,
                                "prod_gates_pass": v["prod_gates_pass"]})
    pending.sort(key=lambda p: (p["since"] or "", p["use_case"], p["version"]))
    # Exceptions: recorded with a registry lifecycle outside the stage mapping (alarmed by registry-sync).
    unmapped = [{"use_case": u["name"], "group": v["group"], "version": v["version"], "registry_stage": v["registry_stage"],
                 "registry_stage_status": v["registry_stage_status"], "since": v.get("last_modified")}
                for u in use_cases for v in u["versions"] if v["stage"] == rules.UNMAPPED]

    timeline = sorted(
        ({"use_case": u["name"], "group": v["group"], "version": v["version"], **h}
         for u in use_cases for v in u["versions"] for h in v["history"] if h["action"] in ("approved", "rejected")),
        key=lambda t: (t["at"] or "", t["use_case"], t["version"]))

    # Every version's hash chain: the tamper evidence of its history (mlgov_core.chain).
    verification = [{"use_case": u["name"], "group": v["group"], "version": v["version"], **v["chain"]}
                    for u in use_cases for v in u["versions"]]
    gate_counts = Counter("none" if v["gates_pass"] is None else ("pass" if v["gates_pass"] else "fail") for v in all_versions)
    return {
        "generated_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "table": reader.table,
        "filter": {"use_case": use_case},
        "summary": {
            "use_cases": len(use_cases),
            "versions": len(all_versions),
            "pending": len(pending),
            "unmapped": len(unmapped),
            "approved_decisions": sum(1 for t in timeline if t["action"] == "approved"),
            "rejected_decisions": sum(1 for t in timeline if t["action"] == "rejected"),
            "versions_with_qa": sum(1 for v in all_versions if v["qa"]),
            "versions_with_production_metrics": sum(1 for v in all_versions if v["production"]),
            "gates_pass": gate_counts.get("pass", 0),
            "gates_fail": gate_counts.get("fail", 0),
            "gates_none": gate_counts.get("none", 0),
            "chains_ok": sum(1 for c in verification if c["ok"]),
            "chains_broken": sum(1 for c in verification if not c["ok"]),
        },
        "matrix": _matrix(all_versions),
        "use_cases": use_cases,
        "pending": pending,
        "unmapped": unmapped,
        "timeline": timeline,
        "verification": verification,
    }
