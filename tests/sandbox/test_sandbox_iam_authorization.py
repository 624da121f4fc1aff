"""iam_authorization: the IAM writes that widen a principal or a boundary are decided by IAM semantics over
the caller's identity policies and permissions boundary, with iam:PermissionsBoundary and iam:PolicyARN."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import GOV, REGION

from modules.role_boundary import BOUNDARY_CHANGES, BOUNDARY_REMOVAL, UNBOUNDED_PRINCIPALS
from sandbox.accounts import assume

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def _doc(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _policy(aws, statements: list[dict], name: str | None = None) -> str:
    name = name or f"p-{uuid.uuid4().hex[:8]}"
    return aws("iam", GOV).create_policy(PolicyName=name, PolicyDocument=_doc(statements))["Policy"]["Arn"]


def _boundary(aws, allow: list[str]) -> str:
    """A boundary shaped like modules/role_boundary.py's: Allow some services, the three self-escalation Denies."""
    arn = f"arn:aws:iam::{GOV}:policy/b-{uuid.uuid4().hex[:8]}"
    principals = [f"arn:aws:iam::{GOV}:role/*", f"arn:aws:iam::{GOV}:user/*"]
    created = _policy(aws, [
        {"Sid": "UsedServices", "Effect": "Allow", "Action": allow, "Resource": "*"},
        {"Sid": "DenyBoundaryRemoval", "Effect": "Deny", "Action": list(BOUNDARY_REMOVAL), "Resource": principals},
        {"Sid": "DenyBoundaryChanges", "Effect": "Deny", "Action": list(BOUNDARY_CHANGES), "Resource": arn},
        {"Sid": "DenyUnboundedPrincipals", "Effect": "Deny", "Action": list(UNBOUNDED_PRINCIPALS), "Resource": principals,
         "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": arn}}}], name=arn.rsplit("/", 1)[1])
    assert created == arn
    return arn


def _role(aws, statements: list[dict], boundary: str | None = None) -> str:
    iam, name = aws("iam", GOV), f"iam-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                    **({"PermissionsBoundary": boundary} if boundary else {}))
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=_doc(statements))
    return name


def _as(sandbox_url: str, role: str):
    return assume(sandbox_url, REGION, f"arn:aws:iam::{GOV}:role/{role}", "mallory").client("iam")


def _denied(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    response = error.value.response
    assert response["Error"]["Code"] == "AccessDenied" and response["ResponseMetadata"]["HTTPStatusCode"] == 403, response
    return response["Error"]["Message"]


def _boundary_of(aws, role: str) -> str | None:
    return aws("iam", GOV).get_role(RoleName=role)["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")


def test_allowed_by_identity_refused_without_an_allow(aws, sandbox_url):
    target, other = _role(aws, []), _role(aws, [])
    caller = _role(aws, [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": f"arn:aws:iam::{GOV}:role/{target}"}])
    iam = _as(sandbox_url, caller)
    iam.put_role_policy(RoleName=target, PolicyName="added", PolicyDocument=_doc([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))
    message = _denied(iam.put_role_policy, RoleName=other, PolicyName="added",
                      PolicyDocument=_doc([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))
    assert message == (f"User: arn:aws:sts::{GOV}:assumed-role/{caller}/mallory is not authorized to perform: iam:PutRolePolicy "
                       f"on resource: arn:aws:iam::{GOV}:role/{other} because no identity-based policy allows the iam:PutRolePolicy action")
    _denied(iam.update_assume_role_policy, RoleName=target, PolicyDocument=json.dumps(TRUST))
    assert aws("iam", GOV).list_role_policies(RoleName=other)["PolicyNames"] == []


def test_the_boundary_denies_its_removal_replacement_and_change_whatever_the_identity_allows(aws, sandbox_url):
    boundary, other = _boundary(aws, ["iam:*"]), _boundary(aws, ["iam:*", "s3:*"])
    role = _role(aws, [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}], boundary)
    iam = _as(sandbox_url, role)
    message = _denied(iam.delete_role_permissions_boundary, RoleName=role)
    assert message.endswith(f"iam:DeleteRolePermissionsBoundary on resource: arn:aws:iam::{GOV}:role/{role} "
                            "with an explicit deny in a permissions boundary"), message
    _denied(iam.put_role_permissions_boundary, RoleName=role, PermissionsBoundary=other)
    _denied(iam.create_policy_version, PolicyArn=boundary, SetAsDefault=True,
            PolicyDocument=_doc([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))
    _denied(iam.delete_policy, PolicyArn=boundary)
    assert _boundary_of(aws, role) == boundary
    assert len(aws("iam", GOV).list_policy_versions(PolicyArn=boundary)["Versions"]) == 1
    iam.put_role_policy(RoleName=role, PolicyName="more", PolicyDocument=_doc([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]))


def test_iam_permissions_boundary_in_the_request_is_evaluated(aws, sandbox_url):
    boundary, other = _boundary(aws, ["iam:*"]), _boundary(aws, ["iam:*"])
    iam = _as(sandbox_url, _role(aws, [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}], boundary))
    unbounded, swapped, bounded = (f"new-{uuid.uuid4().hex[:8]}" for _ in range(3))
    assert "explicit deny in a permissions boundary" in _denied(iam.create_role, RoleName=unbounded, AssumeRolePolicyDocument=json.dumps(TRUST))
    _denied(iam.create_role, RoleName=swapped, AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=other)
    _denied(iam.create_user, UserName=unbounded)
    iam.create_role(RoleName=bounded, AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=boundary)
    assert _boundary_of(aws, bounded) == boundary
    names = {r["RoleName"] for r in aws("iam", GOV).list_roles()["Roles"]}
    assert unbounded not in names and swapped not in names


def test_no_boundary_allow_refuses_and_policy_arn_is_evaluated(aws, sandbox_url):
    readonly, admin = (_policy(aws, [{"Effect": "Allow", "Action": a, "Resource": "*"}]) for a in ("s3:GetObject", "*"))
    target = _role(aws, [])
    caller = _role(aws, [{"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": "*",
                          "Condition": {"ArnEquals": {"iam:PolicyARN": readonly}}}])
    iam = _as(sandbox_url, caller)
    iam.attach_role_policy(RoleName=target, PolicyArn=readonly)
    assert "no identity-based policy allows the iam:AttachRolePolicy" in _denied(iam.attach_role_policy, RoleName=target, PolicyArn=admin)
    iam.detach_role_policy(RoleName=target, PolicyArn=readonly)
    assert aws("iam", GOV).list_attached_role_policies(RoleName=target)["AttachedPolicies"] == []
    capped = _as(sandbox_url, _role(aws, [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}], _boundary(aws, ["s3:*"])))
    assert "because no permissions boundary allows the iam:AttachRolePolicy action" in _denied(
        capped.attach_role_policy, RoleName=target, PolicyArn=readonly)


def test_the_administrator_is_allowed_and_user_boundaries_are_kept(aws, sandbox_url):
    """A caller not in IAM (the sandbox's Terraform role, the kits' sandbox-test) stands for the administrator."""
    admin, boundary = aws("iam", GOV), _boundary(aws, ["iam:*"])
    role = _role(aws, [], boundary)
    admin.delete_role_permissions_boundary(RoleName=role)
    assert _boundary_of(aws, role) is None
    admin.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    user = f"u-{uuid.uuid4().hex[:8]}"
    admin.create_user(UserName=user, PermissionsBoundary=boundary)
    assert admin.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    admin.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=_doc([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]))
    key = admin.create_access_key(UserName=user)["AccessKey"]
    as_user = boto3.client("iam", endpoint_url=sandbox_url, region_name=REGION,
                           aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert "explicit deny in a permissions boundary" in _denied(as_user.delete_user_permissions_boundary, UserName=user)
    assert admin.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    admin.delete_user_permissions_boundary(UserName=user)
    assert "PermissionsBoundary" not in admin.get_user(UserName=user)["User"]
    as_user.put_user_permissions_boundary(UserName=user, PermissionsBoundary=boundary)  # unbounded now: identity allows
