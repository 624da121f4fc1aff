"""dynamodb_authorization: item writes and table changes are decided by IAM semantics over the caller's
identity policies and the table's resource policy, with dynamodb:LeadingKeys and dynamodb:Attributes."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import GOV, REGION

from sandbox.accounts import assume
from sandbox.patches.dynamodb_authorization import update_attributes

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:ConditionCheckItem"]


def _role(aws, statements: list[dict]) -> str:
    iam, name = aws("iam", GOV), f"ddb-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return arn


def _as(sandbox_url: str, role_arn: str):
    return assume(sandbox_url, REGION, role_arn, "mallory").client("dynamodb")


def _table(aws, policy_statements: list[dict] | None = None) -> tuple[str, str]:
    ddb, name = aws("dynamodb", GOV), f"t-{uuid.uuid4().hex[:8]}"
    arn = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                 {"AttributeName": "sk", "AttributeType": "S"}])["TableDescription"]["TableArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "HIST#1"}, "who": {"S": "carol"}})
    if policy_statements:
        ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {**s, "Principal": {"AWS": "*"}, "Resource": arn} for s in policy_statements]}))
    return name, arn


def _denied(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException", error.value.response
    return error.value.response["Error"]["Message"]


def _history(aws, name: str) -> dict | None:
    return aws("dynamodb", GOV).get_item(TableName=name, Key={"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "HIST#1"}}).get("Item")


KEY = {"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "HIST#1"}}


def test_resource_policy_deny_refuses_the_administrator_and_leaves_the_item(aws, sandbox_url):
    """A principal not in IAM (the account's administrator) is still held to the table's Denies; the named role is not."""
    glass = _role(aws, [{"Effect": "Allow", "Action": WRITES, "Resource": "*"}])
    name, _ = _table(aws, [{"Sid": "DenyItemDeletes", "Effect": "Deny", "Action": ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
                            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [glass]}}}])
    admin = aws("dynamodb", GOV)
    message = _denied(admin.delete_item, TableName=name, Key=KEY)
    assert "explicit deny in a resource-based policy" in message and "dynamodb:DeleteItem" in message
    _denied(admin.batch_write_item, RequestItems={name: [{"DeleteRequest": {"Key": KEY}}]})
    assert _history(aws, name) is not None
    _as(sandbox_url, glass).delete_item(TableName=name, Key=KEY)
    assert _history(aws, name) is None


def test_partiql_and_table_changes_are_governed(aws, sandbox_url):
    name, arn = _table(aws, [
        {"Sid": "DenyPartiQLDelete", "Effect": "Deny", "Action": "dynamodb:PartiQLDelete"},
        {"Sid": "DenyTableChanges", "Effect": "Deny",
         "Action": ["dynamodb:UpdateContinuousBackups", "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy",
                    "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTimeToLive"]}])
    admin = aws("dynamodb", GOV)
    assert "PartiQLDelete" in _denied(admin.execute_statement,
                                      Statement=f"DELETE FROM \"{name}\" WHERE pk='MODEL#g#000001' AND sk='HIST#1'")
    _denied(admin.update_continuous_backups, TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    _denied(admin.put_resource_policy, ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    _denied(admin.delete_resource_policy, ResourceArn=arn)
    _denied(admin.delete_table, TableName=name)
    _denied(admin.update_time_to_live, TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "x"})
    assert _history(aws, name) is not None and "DenyTableChanges" in admin.get_resource_policy(ResourceArn=arn)["Policy"]


def test_writers_named_by_principal_arn(aws, sandbox_url):
    """Deny PutItem unless aws:PrincipalArn is a writer: an identity Allow does not help anyone else."""
    writer, other = (_role(aws, [{"Effect": "Allow", "Action": WRITES, "Resource": "*"}]) for _ in range(2))
    name, _ = _table(aws, [{"Sid": "DenyForeignWriters", "Effect": "Deny", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [writer]}}}])
    forged = {**KEY, "who": {"S": "mallory"}}
    _denied(_as(sandbox_url, other).put_item, TableName=name, Item=forged)
    _denied(_as(sandbox_url, other).update_item, TableName=name, Key=KEY, UpdateExpression="SET who = :w",
            ExpressionAttributeValues={":w": {"S": "mallory"}})
    assert _history(aws, name)["who"]["S"] == "carol"
    _as(sandbox_url, writer).put_item(TableName=name, Item=forged)
    assert _history(aws, name)["who"]["S"] == "mallory"


def test_leading_keys_limit_partitions_in_items_and_transactions(aws, sandbox_url):
    role = _role(aws, [{"Sid": "Versions", "Effect": "Allow", "Action": WRITES, "Resource": "*",
                        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["MODEL#*"]}}}])
    name, _ = _table(aws)
    ddb = _as(sandbox_url, role)
    ddb.put_item(TableName=name, Item={"pk": {"S": "MODEL#g#000002"}, "sk": {"S": "STATE"}})
    message = _denied(ddb.put_item, TableName=name, Item={"pk": {"S": "EXTERNAL#g-external#v1"}, "sk": {"S": "LABEL"}})
    assert "no identity-based policy allows the dynamodb:PutItem action" in message
    _denied(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "MODEL#g#000003"}, "sk": {"S": "STATE"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "COUNTER#g-external"}, "sk": {"S": "VERSION"}}}}])
    admin = aws("dynamodb", GOV)
    assert "Item" not in admin.get_item(TableName=name, Key={"pk": {"S": "MODEL#g#000003"}, "sk": {"S": "STATE"}})


def test_attributes_limit_what_an_item_may_hold(aws, sandbox_url):
    role = _role(aws, [{"Sid": "Claims", "Effect": "Allow", "Action": WRITES, "Resource": "*",
                        "Condition": {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "claim_id", "withdrawn_at"]}}}])
    name, _ = _table(aws)
    ddb = _as(sandbox_url, role)
    claim = {"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "DECISION#Test"}, "claim_id": {"S": "c1"}}
    ddb.put_item(TableName=name, Item=claim)
    ddb.update_item(TableName=name, Key={"pk": claim["pk"], "sk": claim["sk"]}, UpdateExpression="SET #w = :t",
                    ExpressionAttributeNames={"#w": "withdrawn_at"}, ExpressionAttributeValues={":t": {"S": "now"}})
    _denied(ddb.put_item, TableName=name, Item={**KEY, "chain_hash": {"S": "forged"}})
    _denied(ddb.update_item, TableName=name, Key=KEY, UpdateExpression="SET who = :w", ExpressionAttributeValues={":w": {"S": "x"}})
    assert _history(aws, name)["who"]["S"] == "carol"


@pytest.mark.parametrize(("expression", "names", "expected"), [
    ("SET withdrawn_at = :t", None, {"withdrawn_at"}),
    ("SET #a = :x, b.c = :y REMOVE d[0] ADD n :one", {"#a": "alpha"}, {"alpha", "b", "d", "n"}),
    ("SET l = list_append(if_not_exists(l, :empty), :v)", None, {"l"}),
])
def test_update_attributes(expression, names, expected):
    assert update_attributes(expression, names, None) == expected
