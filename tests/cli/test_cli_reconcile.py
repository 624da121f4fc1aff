"""`mlgov reconcile` against moto in process: the registry is authoritative, the table a projection it rebuilds.

Deleted or corrupted table items and dropped events are repaired to exactly what the registry-sync
Lambda writes; a second run fixes nothing and writes nothing; --dry-run writes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from governance_testkit import GROUP, OTHER_GROUP, Gov, aws_env, cli_calls, config_dir, gov, run, wide_console  # noqa: F401

from mlgov_core import chain, keys, reconcile

WRITES = {"dynamodb.TransactWriteItems", "dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem",
          "dynamodb.BatchWriteItem"}


# Where a change sits in the hash chain depends on what the table went through (a deleted item keeps
# its position), so the registry truth is compared without the chain; the chain is checked on its own.
CHAIN_FIELDS = frozenset({chain.SEQ, chain.PREV, chain.HASH, chain.HEAD, chain.LENGTH, chain.HEAD_SK})


def comparable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without what differs between two faithful recordings of the same change."""
    return [{k: v for k, v in item.items() if k not in reconcile.VOLATILE_ATTRIBUTES | CHAIN_FIELDS} for item in items]


@pytest.fixture
def registry(gov: Gov) -> dict[str, list[str]]:
    """Versions in the registry, each in a single-change state; nothing in the table yet."""
    gov.create_table()
    gov.group(GROUP)
    gov.group(OTHER_GROUP)
    arns = {GROUP: [], OTHER_GROUP: []}
    for n in range(5):
        arn = gov.register(GROUP, **{"metric:auc": f"0.8{n}"})
        arns[GROUP].append(arn)
    gov.decide(arns[GROUP][1], "Test", "Approved", "offline-eval-ok")
    gov.decide(arns[GROUP][2], "Test", "Rejected", "auc-too-low")
    gov.decide(arns[GROUP][3], "Prod", "Approved", "qa-gates-passed", **{"qa:auc": "0.9"})
    arns[OTHER_GROUP].append(gov.register(OTHER_GROUP))
    return arns


@pytest.fixture
def truth(gov: Gov, registry) -> list[dict[str, Any]]:
    """The items the sync Lambda writes for the registry as it is, in a separate reference table."""
    reference = gov.create_table("reference")
    for arns in registry.values():
        for arn in arns:
            assert gov.sync(arn, table=reference) == "recorded"
    return comparable(gov.items(reference))


@pytest.fixture
def synced(gov: Gov, registry, truth) -> Gov:
    """The governance table as the Lambda left it after every event was delivered."""
    for arns in registry.values():
        for arn in arns:
            gov.sync(arn)
    assert comparable(gov.items()) == truth
    return gov


def reconcile_json(config_dir: Path, *args: str) -> dict[str, Any]:
    result = run(config_dir, "--json", "reconcile", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def fixes_by_version(report: dict[str, Any]) -> dict[tuple[str, int], str]:
    return {(f["group"], f["version"]): f["problems"] for f in report["fixes"]}


def test_reconcile_into_an_empty_table_rebuilds_it(gov: Gov, registry, truth, config_dir: Path, cli_calls: Counter):
    report = reconcile_json(config_dir)
    assert comparable(gov.items()) == truth
    assert report["registry_versions"] == 6 and report["fixed"] == 6 and report["in_sync"] == 0
    assert set(fixes_by_version(report).values()) == {"missing state, missing history"}
    assert cli_calls["sagemaker.DescribeModelPackage"] == 6
    assert cli_calls["dynamodb.TransactWriteItems"] == 6
    assert "dynamodb.Scan" not in cli_calls


def test_reconcile_after_deleting_and_corrupting_items_restores_the_registry_truth(
    synced: Gov, truth, config_dir: Path
):
    gov, table = synced, synced.table
    v = {n: keys.version_pk(GROUP, n) for n in range(1, 6)}
    state = {"S": keys.STATE_SORT_KEY}
    gov.ddb.delete_item(TableName=table, Key={"pk": {"S": v[1]}, "sk": state})  # state lost
    hist = next(i for i in gov.items() if i["pk"] == v[2] and i["sk"].startswith(keys.HISTORY_PREFIX))
    gov.ddb.delete_item(TableName=table, Key={"pk": {"S": v[2]}, "sk": {"S": hist["sk"]}})  # history lost
    for item in gov.items():  # a whole version lost
        if item["pk"] == v[3]:
            gov.ddb.delete_item(TableName=table, Key={"pk": {"S": v[3]}, "sk": {"S": item["sk"]}})
    gov.ddb.update_item(  # stale: the table says Prod/Approved, the registry Dev/Pending
        TableName=table, Key={"pk": {"S": v[5]}, "sk": state},
        UpdateExpression="SET stage = :s, #st = :t, stage_status = :ss",
        ExpressionAttributeNames={"#st": "status"},
        ExpressionAttributeValues={":s": {"S": "Prod"}, ":t": {"S": "Approved"}, ":ss": {"S": "Prod#Approved"}})
    gov.ddb.update_item(  # the table claims a later change the registry never made
        TableName=table, Key={"pk": {"S": v[4]}, "sk": state},
        UpdateExpression="SET last_modified = :lm, approved_by = :who",
        ExpressionAttributeValues={":lm": {"S": "2099-01-01T00:00:00.000Z"}, ":who": {"S": "mallory"}})

    dry = reconcile_json(config_dir, "--dry-run")
    assert {f["action"] for f in dry["fixes"]} == {"would write"}
    assert comparable(gov.items()) != truth  # nothing written

    report = reconcile_json(config_dir)
    assert fixes_by_version(report) == {
        (GROUP, 1): "missing state",
        (GROUP, 2): "missing history",
        (GROUP, 3): "missing state, missing history",
        (GROUP, 4): "stale state",
        (GROUP, 5): "stale state",
    } == fixes_by_version(dry)
    assert report["in_sync"] == 1  # fraud-detection v1
    assert {f["action"] for f in report["fixes"]} == {"written"}
    assert comparable(gov.items()) == truth
    # The restored history item is linked after the deleted one's place: the chain still shows the deletion.
    v2 = [i for i in gov.items() if i["pk"] == v[2]]
    breaks = chain.verify_chain([i for i in v2 if i["sk"].startswith(keys.HISTORY_PREFIX)],
                                next(i for i in v2 if i["sk"] == keys.CHAIN_SORT_KEY))
    assert [b.kind for b in breaks] == [chain.Kind.DELETED]
    detail = {f["version"]: f["detail"] for f in report["fixes"]}
    assert detail[5].startswith("Prod/Approved PendingManualApproval") and "-> Dev/Pending PendingManualApproval" in detail[5]


def test_reconcile_adds_versions_whose_events_were_dropped(synced: Gov, truth, registry, config_dir: Path):
    gov = synced
    dropped = [gov.register(GROUP), gov.register(OTHER_GROUP)]  # registered; no event reached the Lambda
    gov.decide(dropped[0], "Test", "Approved", "late-approval")
    later_change = registry[GROUP][0]
    gov.decide(later_change, "Test", "Approved", "approved-while-the-lambda-was-down")  # event dropped too

    report = reconcile_json(config_dir)
    assert fixes_by_version(report) == {
        (GROUP, 1): "stale state, missing history",
        (GROUP, 6): "missing state, missing history",
        (OTHER_GROUP, 2): "missing state, missing history",
    }
    # exactly what the Lambda writes when it receives those events
    reference = gov.create_table("reference-after")
    for arns in registry.values():
        for arn in arns:
            gov.sync(arn, table=reference)
    for arn in dropped:
        gov.sync(arn, table=reference)
    mine = [i for i in comparable(gov.items()) if i["sk"] == keys.STATE_SORT_KEY]
    assert mine == [i for i in comparable(gov.items(reference)) if i["sk"] == keys.STATE_SORT_KEY]
    history_v1 = [i for i in gov.items() if i["pk"] == keys.version_pk(GROUP, 1) and i["sk"].startswith("HIST#")]
    assert [(h["stage"], h["status"]) for h in history_v1] == [("Dev", "Pending"), ("Test", "Approved")]


def test_second_reconcile_fixes_and_writes_nothing(gov: Gov, registry, config_dir: Path, cli_calls: Counter):
    reconcile_json(config_dir)
    cli_calls.clear()
    before = gov.items()
    report = reconcile_json(config_dir)
    assert report["fixes"] == [] and report["fixed"] == 0 and report["in_sync"] == 6
    assert gov.items() == before
    assert not WRITES & set(cli_calls), cli_calls
    assert cli_calls["dynamodb.BatchGetItem"] == 2  # one per group (up to 100 versions each)
    human = run(config_dir, "reconcile")
    assert human.exit_code == 0 and "6 in sync, fixed 0" in human.output


def test_dry_run_into_an_empty_table_writes_nothing(gov: Gov, registry, config_dir: Path, cli_calls: Counter):
    result = run(config_dir, "reconcile", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would fix 6" in result.output and "dry run, nothing written" in result.output
    assert gov.items() == []
    assert not WRITES & set(cli_calls)


def test_one_group_only(gov: Gov, registry, config_dir: Path):
    report = reconcile_json(config_dir, "--group", OTHER_GROUP)
    assert report["groups"] == [OTHER_GROUP] and report["fixed"] == 1
    assert {i["pk"] for i in gov.items()} == {keys.version_pk(OTHER_GROUP, 1)}


def test_versions_missing_from_the_registry_are_reported_not_deleted(synced: Gov, config_dir: Path):
    gov = synced  # moto has no DeleteModelPackage: a state item for a version the registry never had
    orphan = next(i for i in gov.items() if i["pk"] == keys.version_pk(OTHER_GROUP, 1) and i["sk"] == "STATE")
    orphan.update(pk=keys.version_pk(OTHER_GROUP, 7), version=7, version_key=keys.version_key(7),
                  version_id=keys.version_id(OTHER_GROUP, 7))
    from boto3.dynamodb.types import TypeSerializer

    gov.ddb.put_item(TableName=gov.table, Item={k: TypeSerializer().serialize(v) for k, v in orphan.items()
                                                 if not isinstance(v, float)})
    report = reconcile_json(config_dir)
    assert [(f["group"], f["version"], f["problems"], f["action"]) for f in report["fixes"]] == [
        (OTHER_GROUP, 7, "not in registry", "reported (history kept)")]
    assert keys.version_pk(OTHER_GROUP, 7) in {i["pk"] for i in gov.items()}


def test_paginates_the_registry(gov: Gov, config_dir: Path, cli_calls: Counter):
    gov.create_table()
    gov.group(GROUP)
    for _ in range(105):
        gov.register(GROUP)
    report = reconcile_json(config_dir, "--group", GROUP)
    assert report["fixed"] == 105
    assert cli_calls["sagemaker.ListModelPackages"] == 2
    assert cli_calls["dynamodb.BatchGetItem"] == 2


def test_unknown_group_exits_2(gov: Gov, config_dir: Path):
    result = run(config_dir, "reconcile", "--group", "nope")
    assert result.exit_code == 2 and "owns model package group 'nope'" in result.output


# ------------------------------------------------------------------ registry stage names, unrecordable versions


def _lifecycles(gov: Gov, lifecycles: list[tuple[str, str]]) -> list[str]:
    """One version of GROUP per (Stage, StageStatus), as SageMaker Studio or another tool leaves it."""
    gov.create_table()
    gov.group(GROUP)
    arns = []
    for stage, status in lifecycles:
        arn = gov.register(GROUP)
        gov.decide(arn, stage, status, "set in studio")
        arns.append(arn)
    return arns


def _states(gov: Gov) -> dict[int, dict[str, Any]]:
    return {int(i["version"]): i for i in gov.items() if i["sk"] == keys.STATE_SORT_KEY}


def test_registry_stage_names_are_mapped_and_unmapped_versions_recorded(gov: Gov, config_dir: Path):
    arns = _lifecycles(gov, [("Staging", "Approved"), ("Production", "Approved"), ("Archived", "Retired")])
    report = reconcile_json(config_dir, "--group", GROUP)
    assert (report["registry_versions"], report["fixed"]) == (3, 3)  # nothing skipped, nothing "unreadable"
    states = _states(gov)
    assert [states[v]["stage_status"] for v in (1, 2, 3)] == ["Test#Approved", "Prod#Approved", "Unmapped#Unmapped"]
    assert [states[v]["registry_stage"] for v in (1, 2, 3)] == ["Staging", "Production", "Archived"]
    # Exactly what registry-sync writes for the same versions, and a second run has nothing to fix.
    reference = gov.create_table("reference")
    for arn in arns:
        assert gov.sync(arn, table=reference) == "recorded"
    assert comparable([i for i in gov.items() if i["pk"].endswith(("#000001", "#000002", "#000003"))]) == \
        comparable(gov.items(reference))
    again = reconcile_json(config_dir, "--group", GROUP)
    assert (again["in_sync"], again["fixed"], again["fixes"]) == (3, 0, [])


def test_reconcile_uses_the_platform_config_stage_names(gov: Gov, config_dir: Path):
    platform = config_dir / "platform.yaml"
    text = platform.read_text()
    assert "  registry_stage_names: {}\n" in text
    platform.write_text(text.replace("  registry_stage_names: {}\n", "  registry_stage_names:\n    Integration: Test\n"))
    _lifecycles(gov, [("Integration", "Approved")])
    reconcile_json(config_dir, "--group", GROUP)
    assert _states(gov)[1]["stage_status"] == "Test#Approved"


def test_a_version_that_cannot_be_recorded_is_reported_once_not_also_as_missing(synced: Gov, config_dir: Path):
    from sandbox.patches.sagemaker_cross_account import find_package

    arn = next(i["model_package_arn"] for i in synced.items()
               if (i["pk"], i["sk"]) == (keys.version_pk(OTHER_GROUP, 1), keys.STATE_SORT_KEY))
    find_package(arn).model_approval_status = "Archived"  # a value a newer registry could hold; unknown to mlgov
    report = reconcile_json(config_dir, "--group", OTHER_GROUP)
    assert [(f["group"], f["version"], f["problems"], f["action"]) for f in report["fixes"]] == [
        (OTHER_GROUP, 1, reconcile.UNREADABLE, "skipped: cannot be recorded")]
    assert "ModelApprovalStatus='Archived'" in report["fixes"][0]["detail"]
    assert "table keeps" in report["fixes"][0]["detail"]
    human = run(config_dir, "reconcile", "--group", OTHER_GROUP)
    assert human.exit_code == 0 and reconcile.NOT_IN_REGISTRY not in human.output
