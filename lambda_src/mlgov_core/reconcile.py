"""Rebuild or repair the governance table from the registry (the registry is authoritative).

Per group:
1. ListModelPackages (paginated) -> every version's ARN;
2. DescribeModelPackage per version -> a synthesized state-change event (event_from_description)
   and the identities, the same inputs the registry-sync Lambda has;
3. records.build_items -> the (state, history) items the Lambda would have written;
4. one Query on GSI by_group -> the table's state items of the group; BatchGetItem (100 keys a
   request, key attributes only) -> which of the current changes already have a history item;
5. write only what is wrong: a missing history item through store.write_change (which also writes
   the state if it is not older; idempotent: a change already recorded is "duplicate"), a missing
   or stale state item by a conditional PutItem.

A second run over an unchanged registry writes nothing. The registry holds only each version's
current state, so reconcile can restore the history item of that change, not intermediate changes
no event ever delivered. Table versions that the registry no longer has are reported, never deleted
(the history is append-only). Versions recorded from outside SageMaker (source "external") are not
the registry's and are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from mlgov_core import aws, chain, keys, queries, records, registry, rules, store, timeparse
from mlgov_core.events import MalformedEventError, ModelPackageStateChangeEvent, parse_event
from mlgov_core.registry import PackageDescription

# Attributes that differ between two faithful recordings of the same change (the chain's hashes
# cover recorded_at and event_id, so they differ with them).
VOLATILE_ATTRIBUTES = frozenset({"recorded_at", "event_id", chain.HASH, chain.PREV, chain.HEAD})
# Shown first when a stale state item is described.
_KEY_FIELDS = ("approval_status", "stage", "status", "last_modified", "approved_by", "registered_by")
_BATCH_GET_SIZE = 100
_serializer = TypeSerializer()

MISSING_STATE = "missing state"
STALE_STATE = "stale state"
MISSING_HISTORY = "missing history"
NOT_IN_REGISTRY = "not in registry"
UNREADABLE = "unreadable in registry"


@dataclass
class Fix:
    group: str
    version: int
    problems: list[str]
    detail: str
    action: str  # "written", "would write", "reported", "skipped: ..."

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "problems": ", ".join(self.problems)}


@dataclass
class ReconcileReport:
    dry_run: bool
    groups: list[str] = field(default_factory=list)
    registry_versions: int = 0
    in_sync: int = 0
    fixes: list[Fix] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(1 for fix in self.fixes if fix.action in ("written", "would write"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "groups": self.groups,
            "registry_versions": self.registry_versions,
            "in_sync": self.in_sync,
            "fixed": self.fixed,
            "fixes": [fix.row() for fix in self.fixes],
        }


def event_from_description(described: Mapping[str, Any]) -> ModelPackageStateChangeEvent:
    """The "SageMaker Model Package State Change" event that announces the version as it is now.

    LastModifiedTime falls back to CreationTime (a never-modified version); MalformedEventError if
    the registry holds something the governance model cannot record (e.g. an unknown approval
    status). A lifecycle outside the stage mapping is recorded as rules.UNMAPPED, not refused.
    """
    arn = described["ModelPackageArn"]
    created = described.get("CreationTime")
    modified = described.get("LastModifiedTime") or created
    detail: dict[str, Any] = {
        "ModelPackageGroupName": described.get("ModelPackageGroupName"),
        "ModelPackageVersion": described.get("ModelPackageVersion"),
        "ModelPackageArn": arn,
        "ModelPackageDescription": described.get("ModelPackageDescription"),
        "ModelPackageStatus": described.get("ModelPackageStatus"),
        "ModelApprovalStatus": described.get("ModelApprovalStatus"),
        "ModelLifeCycle": described.get("ModelLifeCycle"),
        "CreationTime": timeparse.to_iso(created) if created is not None else None,
        "LastModifiedTime": timeparse.to_iso(modified) if modified is not None else None,
        "CustomerMetadataProperties": described.get("CustomerMetadataProperties"),
        "ModelMetrics": described.get("ModelMetrics"),
        "InferenceSpecification": described.get("InferenceSpecification"),
    }
    parts = arn.split(":")
    time = detail["LastModifiedTime"]
    return parse_event(
        {
            "version": "0",
            "id": f"reconcile:{arn}:{time}",
            "detail-type": "SageMaker Model Package State Change",
            "source": "aws.sagemaker",
            "account": parts[4] if len(parts) > 4 else "",
            "time": time,
            "region": parts[3] if len(parts) > 3 else "",
            "resources": [arn],
            "detail": {k: v for k, v in detail.items() if v is not None},
        }
    )


def package_description(described: Mapping[str, Any]) -> PackageDescription:
    """The identities of a DescribeModelPackage answer, as registry.describe_package reads them."""
    return registry.description_of(dict(described))


def expected_items(
    described: Mapping[str, Any], *, use_case: str, recorded_at: str, decider_role_arn: str | None = None,
    stage_names: dict[str, rules.Stage] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state, history) the registry-sync Lambda writes for the version as the registry describes it."""
    return records.build_items(
        event_from_description(described), package_description(described), use_case=use_case, recorded_at=recorded_at,
        decider_role_arn=decider_role_arn, stage_names=stage_names,
    )


def list_package_arns(group: str, sagemaker: Any) -> list[str]:
    arns: list[str] = []
    for page in sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, ModelPackageType="Versioned", PaginationConfig={"PageSize": 100}
    ):
        arns.extend(summary["ModelPackageArn"] for summary in page.get("ModelPackageSummaryList", []))
    return arns


def _describe_all(arns: list[str], sagemaker: Any, workers: int) -> list[dict[str, Any] | None]:
    def describe(arn: str) -> dict[str, Any] | None:
        try:
            return sagemaker.describe_model_package(ModelPackageName=arn)
        except ClientError as error:
            if registry.is_not_found(error):  # deleted between List and Describe
                return None
            raise

    if workers <= 1 or len(arns) <= 1:
        return [describe(arn) for arn in arns]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(describe, arns))


def existing_history_keys(table_name: str, keys_to_check: Iterable[tuple[str, str]], dynamodb: Any) -> set[tuple[str, str]]:
    """Which of the (pk, sk) keys exist: BatchGetItem, 100 keys a request, key attributes only."""
    wanted = list(dict.fromkeys(keys_to_check))
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), _BATCH_GET_SIZE):
        request: dict[str, Any] = {
            table_name: {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in wanted[start : start + _BATCH_GET_SIZE]],
                "ProjectionExpression": "#pk, #sk",
                "ExpressionAttributeNames": {"#pk": keys.PARTITION_KEY, "#sk": keys.SORT_KEY},
            }
        }
        while request:
            response = dynamodb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table_name, []):
                found.add((item["pk"]["S"], item["sk"]["S"]))
            request = response.get("UnprocessedKeys") or {}
    return found


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any] | None) -> list[str]:
    """Attribute names whose values differ (volatile attributes ignored); [] if equal."""
    if actual is None:
        return ["<item>"]
    want = queries.plain({k: v for k, v in expected.items() if k not in VOLATILE_ATTRIBUTES})
    have = queries.plain({k: v for k, v in actual.items() if k not in VOLATILE_ATTRIBUTES})
    names = sorted(set(want) | set(have), key=lambda n: (n not in _KEY_FIELDS, _KEY_FIELDS.index(n) if n in _KEY_FIELDS else 0, n))
    return [name for name in names if want.get(name) != have.get(name)]


def _summary(state: Mapping[str, Any]) -> str:
    return f"{state.get('stage')}/{state.get('status')} {state.get('approval_status')} @ {state.get('last_modified')}"


def _put_state(table_name: str, state: dict[str, Any], seen: Mapping[str, Any] | None, dynamodb: Any) -> bool:
    """Write the registry's state; False if the item changed since it was read (a newer event won)."""
    if seen is not None and str(seen.get("last_modified", "")) > state["last_modified"]:
        # The table claims a change the registry does not have: the registry wins, unless the item
        # moved on after we read it.
        condition, values = "last_modified = :seen", {":seen": {"S": str(seen["last_modified"])}}
    else:
        condition, values = store.STATE_CONDITION, {":lm": {"S": state["last_modified"]}}
    try:
        dynamodb.put_item(
            TableName=table_name,
            Item={k: _serializer.serialize(v) for k, v in state.items()},
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def reconcile_group(
    table_name: str,
    group: str,
    use_case: str,
    *,
    sagemaker: Any,
    dynamodb: Any,
    dry_run: bool,
    report: ReconcileReport,
    now: Callable[[], str] = timeparse.now_iso,
    workers: int = 4,
    decider_role_arn: str | None = None,
    stage_names: dict[str, rules.Stage] | None = None,
) -> None:
    arns = list_package_arns(group, sagemaker)
    described_all = _describe_all(arns, sagemaker, workers)
    table_states = {
        int(item["version"]): item
        for item in queries.versions_of_group(table_name, group, client=dynamodb)
        if item.get("source", rules.SOURCE_SAGEMAKER) == rules.SOURCE_SAGEMAKER
    }
    recorded_at = now()
    expected: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for arn, described in zip(arns, described_all):
        if described is None:
            continue
        try:
            expected.append(expected_items(described, use_case=use_case, recorded_at=recorded_at,
                                           decider_role_arn=decider_role_arn, stage_names=stage_names))
        except (MalformedEventError, ValueError) as error:
            version = int(described.get("ModelPackageVersion") or arn.rsplit("/", 1)[-1])
            # In the registry, so not also "not in registry"; its table items are left as they are.
            seen = table_states.pop(version, None)
            kept = f"; table keeps {_summary(seen)}" if seen is not None else ""
            report.fixes.append(Fix(group, version, [UNREADABLE], str(error)[:200] + kept, "skipped: cannot be recorded"))
    report.registry_versions += len(expected)
    present = existing_history_keys(table_name, ((h["pk"], h["sk"]) for _, h in expected), dynamodb)

    for state, history in sorted(expected, key=lambda pair: pair[0]["version"]):
        version = state["version"]
        seen = table_states.pop(version, None)
        history_missing = (history["pk"], history["sk"]) not in present
        changed = differences(state, seen)
        problems = []
        if seen is None:
            problems.append(MISSING_STATE)
        elif changed:
            problems.append(STALE_STATE)
        if history_missing:
            problems.append(MISSING_HISTORY)
        if not problems:
            report.in_sync += 1
            continue
        if seen is None:
            detail = f"-> {_summary(state)}"
        elif changed:
            detail = f"{_summary(seen)} -> {_summary(state)} (differs: {', '.join(changed)})"
        else:
            detail = f"history of {history['last_modified']}"
        action = "would write"
        if not dry_run:
            action = "written"
            state_written = False
            if history_missing:
                result = store.write_change(table_name, state, history, client=dynamodb)
                state_written = result is store.WriteResult.RECORDED
            if (seen is None or changed) and not state_written:
                if not _put_state(table_name, state, seen, dynamodb):
                    action = "skipped: state changed meanwhile"
        report.fixes.append(Fix(group, version, problems, detail, action))

    for version, item in sorted(table_states.items()):
        report.fixes.append(
            Fix(group, version, [NOT_IN_REGISTRY], f"table: {_summary(item)}", "reported (history kept)")
        )


def reconcile(
    table_name: str,
    use_case_by_group: Mapping[str, str],
    *,
    groups: Iterable[str] | None = None,
    sagemaker: Any = None,
    dynamodb: Any = None,
    dry_run: bool = False,
    now: Callable[[], str] = timeparse.now_iso,
    workers: int = 4,
    on_group: Callable[[str], None] | None = None,
    decider_role_arn: str | None = None,
    stage_names: dict[str, rules.Stage] | None = None,
) -> ReconcileReport:
    """Repair the table for ``groups`` (default: every governed group) from the registry.

    ``stage_names``: registry stage name mapping (rules.stage_names, from the platform config), as
    the registry-sync Lambda has it; None means the defaults.
    """
    sagemaker = sagemaker or aws.client("sagemaker")
    dynamodb = dynamodb or aws.client("dynamodb")
    report = ReconcileReport(dry_run=dry_run)
    for group in list(groups) if groups is not None else sorted(use_case_by_group):
        if on_group is not None:
            on_group(group)
        report.groups.append(group)
        reconcile_group(
            table_name, group, use_case_by_group.get(group, rules.UNASSIGNED_USE_CASE),
            sagemaker=sagemaker, dynamodb=dynamodb, dry_run=dry_run, report=report, now=now, workers=workers,
            decider_role_arn=decider_role_arn, stage_names=stage_names,
        )
    return report
