"""Path 6 (preventive): the governance table's resource policy and each writer's role, played against
the applied stacks. The sandbox evaluates both (patches/dynamodb_authorization.py); every refusal
leaves the item, PITR and the policy as they were (read back), and each control has a mutation check:
without the statement the same attack succeeds.

Path 6g (detective): break glass, the one principal the policy lets through, raises the alarm when
assumed (modules/break_glass_alarm.py; the sandbox puts STS's CloudTrail record on the bus,
patches/sts_cloudtrail_events.py, and honours the rule's State, patches/events_rule_state.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from mlgov_core import keys
from sandbox.attacks import personas, use_break_glass
from sandbox.lifecycle import USE_CASE
from policy_mutation import role_policy_mutated, rule_state, table_policy, without_condition_key, without_targets

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]


@pytest.fixture(scope="module")
def table(sandbox_story) -> dict[str, Any]:
    deployed, lifecycle = sandbox_story.deployed, sandbox_story.lifecycle
    who = personas(deployed)
    name = deployed.names.governance_table
    reader = who["governance_admin"].client("dynamodb")
    pk = keys.version_pk(USE_CASE, lifecycle.first)
    items = reader.query(TableName=name, KeyConditionExpression="pk = :pk", ConsistentRead=True,
                         ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    history = next(i for i in items if i["sk"]["S"].startswith(keys.HISTORY_PREFIX))
    arn = reader.describe_table(TableName=name)["Table"]["TableArn"]
    return {"deployed": deployed, "who": who, "name": name, "arn": arn, "reader": reader, "history": history,
            "key": {"pk": history["pk"], "sk": history["sk"]}}


def _item(table: dict[str, Any]) -> dict | None:
    return table["reader"].get_item(TableName=table["name"], Key=table["key"], ConsistentRead=True).get("Item")


def _refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException", error.value.response
    return error.value.response["Error"]["Message"]


def _restore(table: dict[str, Any]) -> None:
    """Put the history item back as it was, as break glass (the one principal allowed to)."""
    table["who"]["break_glass"].client("dynamodb").put_item(TableName=table["name"], Item=table["history"])
    assert _item(table) == table["history"]


# ------------------------------------------------------------------------------------------ deletes

@pytest.mark.parametrize("attacker", ["registry_sync", "metrics_ingest", "decision_function", "governance_admin"])
def test_nobody_deletes_a_history_item(table, attacker):
    ddb = table["who"][attacker].client("dynamodb")
    _refused(ddb.delete_item, TableName=table["name"], Key=table["key"])
    _refused(ddb.batch_write_item, RequestItems={table["name"]: [{"DeleteRequest": {"Key": table["key"]}}]})
    assert _item(table) == table["history"]


def test_the_administrators_delete_is_refused_by_the_table_policy(table):
    """The operator's role allows everything by identity: only the table's DenyItemDeletes stops it."""
    message = _refused(table["who"]["governance_admin"].client("dynamodb").delete_item, TableName=table["name"], Key=table["key"])
    assert "explicit deny in a resource-based policy" in message


def test_mutation_without_deny_item_deletes_the_administrator_deletes_history(table):
    glass = table["who"]["break_glass"].client("dynamodb")
    try:
        with table_policy(glass, table["arn"], ("DenyItemDeletes",)):
            table["who"]["governance_admin"].client("dynamodb").delete_item(TableName=table["name"], Key=table["key"])
            assert _item(table) is None
    finally:
        _restore(table)


# ------------------------------------------------------------------------------------------- writes

@pytest.mark.parametrize("attacker", ["approver", "compliance_officer", "governance_admin"])
def test_operator_approver_and_compliance_cannot_write_or_update_an_item(table, attacker):
    ddb = table["who"][attacker].client("dynamodb")
    _refused(ddb.put_item, TableName=table["name"], Item={**table["history"], "approved_by": {"S": "mallory"}})
    _refused(ddb.update_item, TableName=table["name"], Key=table["key"], UpdateExpression="SET approved_by = :m",
             ExpressionAttributeValues={":m": {"S": "mallory"}})
    assert _item(table) == table["history"]


def test_mutation_without_deny_foreign_writers_the_administrator_rewrites_history(table):
    glass = table["who"]["break_glass"].client("dynamodb")
    try:
        with table_policy(glass, table["arn"], ("DenyForeignWriters",)):
            table["who"]["governance_admin"].client("dynamodb").update_item(
                TableName=table["name"], Key=table["key"], UpdateExpression="SET approved_by = :m",
                ExpressionAttributeValues={":m": {"S": "mallory"}})
            assert _item(table)["approved_by"]["S"] == "mallory"
    finally:
        _restore(table)


def test_the_external_registrar_writes_only_external_partitions(table):
    """Its role's dynamodb:LeadingKeys keeps it out of the SageMaker versions' partitions."""
    ddb = table["who"]["external_registrar"].client("dynamodb")
    message = _refused(ddb.put_item, TableName=table["name"], Item={**table["history"], "approved_by": {"S": "mallory"}})
    assert "no identity-based policy allows the dynamodb:PutItem action" in message
    assert _item(table) == table["history"]


def test_mutation_without_leading_keys_the_external_registrar_rewrites_history(table):
    iam = table["who"]["governance_admin"].client("iam")
    role = table["deployed"].names.external_registrar_role
    try:
        with role_policy_mutated(iam, role, "least-privilege", without_condition_key("dynamodb:LeadingKeys")):
            table["who"]["external_registrar"].client("dynamodb").put_item(
                TableName=table["name"], Item={**table["history"], "approved_by": {"S": "mallory"}})
            assert _item(table)["approved_by"]["S"] == "mallory"
    finally:
        _restore(table)


def test_the_decision_function_writes_only_claim_shaped_items(table):
    """dynamodb:Attributes: a compromised decision function cannot write a chained history item."""
    ddb = table["who"]["decision_function"].client("dynamodb")
    message = _refused(ddb.put_item, TableName=table["name"], Item={**table["history"], "approved_by": {"S": "mallory"}})
    assert "no identity-based policy allows" in message
    assert _item(table) == table["history"]


def test_mutation_without_the_attributes_limit_the_decision_function_rewrites_history(table):
    iam = table["who"]["governance_admin"].client("iam")
    role = table["deployed"].names.decision_function_role_arn.rsplit("/", 1)[-1]
    try:
        with role_policy_mutated(iam, role, "least-privilege", without_condition_key("dynamodb:Attributes")):
            table["who"]["decision_function"].client("dynamodb").put_item(
                TableName=table["name"], Item={**table["history"], "approved_by": {"S": "mallory"}})
            assert _item(table)["approved_by"]["S"] == "mallory"
    finally:
        _restore(table)


# ------------------------------------------------------------------------------------ table changes

def _pitr(table: dict[str, Any]) -> str:
    answer = table["reader"].describe_continuous_backups(TableName=table["name"])["ContinuousBackupsDescription"]
    return answer["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]


def _pitr_off(ddb: Any, table: dict[str, Any]) -> Any:
    return ddb.update_continuous_backups(TableName=table["name"],
                                         PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})


def test_nobody_turns_pitr_off_or_replaces_the_table_policy(table):
    admin = table["who"]["governance_admin"].client("dynamodb")
    policy = admin.get_resource_policy(ResourceArn=table["arn"])["Policy"]
    assert _pitr(table) == "ENABLED"
    assert "explicit deny in a resource-based policy" in _refused(_pitr_off, ddb=admin, table=table)
    open_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "dynamodb:DeleteItem", "Resource": table["arn"]}]})
    _refused(admin.put_resource_policy, ResourceArn=table["arn"], Policy=open_policy)
    _refused(admin.delete_resource_policy, ResourceArn=table["arn"])
    _refused(admin.delete_table, TableName=table["name"])
    _refused(admin.update_table, TableName=table["name"], StreamSpecification={"StreamEnabled": False})
    assert _pitr(table) == "ENABLED"
    assert admin.get_resource_policy(ResourceArn=table["arn"])["Policy"] == policy


def test_mutation_without_deny_table_changes_the_administrator_turns_pitr_off(table):
    glass, admin = table["who"]["break_glass"].client("dynamodb"), table["who"]["governance_admin"].client("dynamodb")
    try:
        with table_policy(glass, table["arn"], ("DenyTableChanges",)):
            _pitr_off(admin, table)
            assert _pitr(table) == "DISABLED"
    finally:
        glass.update_continuous_backups(TableName=table["name"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert _pitr(table) == "ENABLED"


# ------------------------------------------------------------------------- break glass is alarmed

class AlarmInbox:
    """A queue the test subscribes to the governance alarm topic, as the on-call's mail would be."""

    def __init__(self, sqs: Any, url: str, break_glass_arn: str) -> None:
        self.sqs, self.url, self.break_glass_arn = sqs, url, break_glass_arn

    def read(self) -> list[Any]:
        out = []
        while messages := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                try:
                    out.append(json.loads(message["Body"]))
                except ValueError:
                    out.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return out

    def break_glass_alarms(self) -> list[dict[str, Any]]:
        return [m for m in self.read() if isinstance(m, dict) and "alarm" in m and m.get("role") == self.break_glass_arn]


@pytest.fixture(scope="module")
def alarm_inbox(table) -> Any:
    deployed, admin = table["deployed"], table["who"]["governance_admin"]
    platform = deployed.config.platform
    topic = f"arn:aws:sns:{platform.home_region}:{admin.account_id}:{platform.name_prefix}-governance-alarms"
    sns, sqs = admin.client("sns"), admin.client("sqs")
    sns.get_topic_attributes(TopicArn=topic)  # the applied stack's topic, not one made here
    url = sqs.create_queue(QueueName=f"{platform.name_prefix}-test-alarm-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True,
                                 Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    inbox = AlarmInbox(sqs, url, deployed.names.role_arn(deployed.names.table_break_glass_role))
    inbox.read()
    yield inbox
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def _rule(table: dict[str, Any]) -> str:
    return f"{table['deployed'].config.platform.name_prefix}-break-glass-used"


def test_assuming_break_glass_raises_the_alarm_naming_the_role_and_the_caller(table, alarm_inbox):
    alarm_inbox.read()
    caller = use_break_glass(table["deployed"], "incident-77", "alice@example.com")
    [alarm] = alarm_inbox.break_glass_alarms()
    assert (alarm["role"], alarm["caller"], alarm["session_name"], alarm["source_identity"]) == (
        alarm_inbox.break_glass_arn, caller, "incident-77", "alice@example.com")
    assert (alarm["caller_account"], alarm["caller_type"], alarm["event_name"]) == (
        table["who"]["governance_admin"].account_id, "AssumedRole", "AssumeRole")
    assert "break-glass" in alarm["alarm"]


def test_assuming_any_other_role_raises_no_break_glass_alarm(table, alarm_inbox):
    deployed, names = table["deployed"], table["deployed"].names
    prefix = deployed.config.platform.name_prefix
    alarm_inbox.read()
    for role in (names.table_reconciler_role, names.external_registrar_role, f"{prefix}-model-approver",
                 f"{prefix}-compliance-officer", deployed.config.platform.terraform_role_name):
        deployed.person(AccountRole.GOVERNANCE, role, "incident-78")  # people's roles need a source identity
    assert alarm_inbox.break_glass_alarms() == []
    use_break_glass(deployed, "incident-78", "alice@example.com")  # the inbox does hear break glass
    assert len(alarm_inbox.break_glass_alarms()) == 1


def test_mutation_with_the_rule_enabled_only_for_change_events_break_glass_goes_unseen(table, alarm_inbox):
    """AssumeRole is a read-only management event: a rule in plain ENABLED state never receives it."""
    events = table["who"]["governance_admin"].client("events")
    alarm_inbox.read()
    with rule_state(events, _rule(table), "ENABLED"):
        use_break_glass(table["deployed"], "incident-79", "alice@example.com")
        assert alarm_inbox.break_glass_alarms() == []
    use_break_glass(table["deployed"], "incident-79", "alice@example.com")
    assert len(alarm_inbox.break_glass_alarms()) == 1, "the rule's State was put back"


def test_mutation_without_the_alarm_topic_target_break_glass_goes_unseen(table, alarm_inbox):
    events = table["who"]["governance_admin"].client("events")
    alarm_inbox.read()
    with without_targets(events, _rule(table)):
        use_break_glass(table["deployed"], "incident-80", "alice@example.com")
        assert alarm_inbox.break_glass_alarms() == []
    use_break_glass(table["deployed"], "incident-80", "alice@example.com")
    assert len(alarm_inbox.break_glass_alarms()) == 1, "the target was put back"
