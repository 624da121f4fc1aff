"""The governance table's preventive controls as synthesized: its resource policy, each writer's
partition and attribute limits, the reconcile / register-external / break-glass roles, and who can
no longer write it."""

from __future__ import annotations

import json

import pytest

from mlgov_core import decision, keys
from modules.naming import Names
from tf_json import actions, as_list, config, iam_role_policy, refers_to, resources, statements

CONFIG = config()
NAMES = Names.from_config(CONFIG)
TRUST = CONFIG.platform.role_trust
GROUPS = [uc.model_package_group.name for uc in CONFIG.use_cases.values()]
BREAK_GLASS = NAMES.role_arn(NAMES.table_break_glass_role)
WRITERS = {NAMES.function_role_arn("registry-sync"), NAMES.function_role_arn("metrics-ingest"),
           NAMES.decision_function_role_arn, NAMES.role_arn(NAMES.table_reconciler_role),
           NAMES.role_arn(NAMES.external_registrar_role)}
DELETES = {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLDelete"}
TAMPERING = {"dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive",
             "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:RestoreTableToPointInTime"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate"}
TABLE_WRITES = WRITES | DELETES | {"dynamodb:ConditionCheckItem"}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks["governance"]


@pytest.fixture(scope="module")
def table_policy(governance) -> dict:
    [(table_address, _)] = resources(governance, "aws_dynamodb_table").items()
    [policy] = resources(governance, "aws_dynamodb_resource_policy").values()
    assert refers_to(policy["resource_arn"], "aws_dynamodb_table", table_address)
    return {"doc": json.loads(policy["policy"]), "body": policy, "table_arn": f"${{aws_dynamodb_table.{table_address}.arn}}"}


def _deny(table_policy: dict, sid: str) -> dict:
    [statement] = [s for s in statements(table_policy["doc"]) if s["Sid"] == sid]
    assert statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": ["*"]}, statement
    assert statement["Resource"] == [table_policy["table_arn"]]
    return statement


@pytest.mark.parametrize(("sid", "covered"), [("DenyItemDeletes", DELETES), ("DenyTableChanges", TAMPERING)])
def test_deletes_and_table_changes_are_denied_to_all_but_break_glass(table_policy, sid, covered):
    statement = _deny(table_policy, sid)
    assert covered <= set(actions(statement)), covered - set(actions(statement))
    assert statement["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [BREAK_GLASS]}}


def test_writes_are_denied_to_all_but_the_writer_roles(table_policy):
    statement = _deny(table_policy, "DenyForeignWriters")
    assert WRITES <= set(actions(statement))
    assert set(statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == WRITERS | {BREAK_GLASS}
    assert table_policy["body"]["confirm_remove_self_resource_access"] is True


def _table_grants(inline: dict) -> list[dict]:
    return [s for s in statements(inline) if s["Effect"] == "Allow" and set(actions(s)) & TABLE_WRITES]


@pytest.mark.parametrize(("role", "partitions", "attributes"), [
    (NAMES.function_role_arn("registry-sync"), [f"{keys.VERSION_PK_PREFIX}*"], None),
    (NAMES.function_role_arn("metrics-ingest"), [f"{keys.VERSION_PK_PREFIX}*"], None),
    (NAMES.decision_function_role_arn, [f"{keys.VERSION_PK_PREFIX}*"], list(decision.CLAIM_ATTRIBUTES)),
    (NAMES.role_arn(NAMES.table_reconciler_role), [f"MODEL#{g}#*" for g in GROUPS], None),
    (NAMES.role_arn(NAMES.external_registrar_role),
     [p for g in GROUPS for p in (f"EXTERNAL#{g}-external#*", f"COUNTER#{g}-external", f"MODEL#{g}-external#*")], None),
])
def test_each_writer_writes_only_its_partitions_and_never_deletes(governance, role, partitions, attributes):
    _, inline = iam_role_policy(governance, role.rsplit("/", 1)[-1])
    grants = _table_grants(inline)
    assert grants, f"{role} has no table write grant"
    for grant in grants:
        assert not set(actions(grant)) & DELETES, grant
        assert grant["Condition"]["ForAllValues:StringLike"] == {"dynamodb:LeadingKeys": partitions}, grant
        if attributes is not None:
            assert grant["Condition"]["ForAllValues:StringEquals"] == {"dynamodb:Attributes": attributes}
    if attributes is not None:  # the decision function's claims cannot carry a history item's chain fields
        assert not {"chain_hash", "chain_prev", "chain_seq"} & set(attributes)


def test_no_other_role_may_write_the_table(governance):
    writer_names = {arn.rsplit("/", 1)[-1] for arn in WRITERS | {BREAK_GLASS}}
    for role in resources(governance, "aws_iam_role").values():
        if role["name"] in writer_names:
            continue
        _, inline = iam_role_policy(governance, role["name"])
        assert not _table_grants(inline), f"{role['name']} may write the governance table"


@pytest.mark.parametrize(("role_name", "trusted"), [
    (NAMES.table_reconciler_role, TRUST.table_reconciler), (NAMES.external_registrar_role, TRUST.external_registrar),
    (NAMES.table_break_glass_role, TRUST.break_glass)])
def test_table_roles_trust_only_their_config_principals(governance, role_name, trusted):
    trust, _ = iam_role_policy(governance, role_name)
    [statement] = statements(trust)
    assert sorted(as_list(statement["Principal"]["AWS"])) == sorted(trusted)


def test_break_glass_sessions_are_limited_and_it_alone_may_change_the_table(governance):
    [role] = [r for r in resources(governance, "aws_iam_role").values() if r["name"] == NAMES.table_break_glass_role]
    assert role["max_session_duration"] == 3600
    _, inline = iam_role_policy(governance, NAMES.table_break_glass_role)
    granted = {a for s in statements(inline) if s["Effect"] == "Allow" for a in actions(s)}
    assert DELETES | TAMPERING <= granted


def test_the_reconciler_reads_the_registry_but_never_decides(governance):
    _, inline = iam_role_policy(governance, NAMES.table_reconciler_role)
    granted = {a for s in statements(inline) if s["Effect"] == "Allow" for a in actions(s)}
    assert {"sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "dynamodb:Query"} <= granted
    assert "sagemaker:UpdateModelPackage" not in granted
