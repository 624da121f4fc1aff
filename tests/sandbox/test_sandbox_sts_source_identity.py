"""sts_source_identity: AssumeRole is decided by the target role's trust policy, and the session keeps
its source identity through role chaining, in the registry's CreatedBy and in the authorisation context."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION

from sandbox.accounts import SANDBOX_KEY, assume

# The human roles' trust as modules/iam_role.py renders it, with a principal the test controls.
def _people_trust(principal: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "TrustedPeople", "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": {"Null": {"sts:SourceIdentity": "false"}}}]}


PIPELINE_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Sid": "TrustedPrincipals", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Sid": "LambdaAssume", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": GOV}}}]}
ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Resource": "*"}]}


def _role(aws, account: str, trust: dict, name: str | None = None) -> str:
    iam, name = aws("iam", account), name or f"si-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(ASSUME_ANY))
    return arn


def _sts(sandbox_url: str, session=None):
    if session is not None:
        return session.session.client("sts", endpoint_url=sandbox_url)
    return boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION,
                        aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)


def _refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "AccessDenied", error.value.response
    return error.value.response["Error"]["Message"]


def test_a_role_requiring_a_source_identity_refuses_a_session_without_one_and_returns_it_when_set(aws, sandbox_url):
    arn = _role(aws, GOV, _people_trust("*"))
    message = _refused(_sts(sandbox_url).assume_role, RoleArn=arn, RoleSessionName="alice")
    assert "sts:AssumeRole" in message and "no statement of the trust policy" in message
    answer = _sts(sandbox_url).assume_role(RoleArn=arn, RoleSessionName="alice", SourceIdentity="alice")
    assert answer["SourceIdentity"] == "alice"


def test_a_pipeline_role_refuses_a_source_identity_its_trust_does_not_allow(aws, sandbox_url):
    """Setting one needs sts:SetSourceIdentity in the trust; without it AWS refuses the AssumeRole."""
    arn = _role(aws, GOV, PIPELINE_TRUST)
    assert "SourceIdentity" not in _sts(sandbox_url).assume_role(RoleArn=arn, RoleSessionName="pipeline")
    assert "sts:SetSourceIdentity" in _refused(_sts(sandbox_url).assume_role, RoleArn=arn, RoleSessionName="pipeline", SourceIdentity="alice")


def test_the_principal_must_match_for_a_caller_in_iam_and_a_role_arn_names_its_sessions(aws, sandbox_url):
    entry = _role(aws, DEV, _people_trust("*"))
    other = _role(aws, DEV, _people_trust("*"))
    target = _role(aws, GOV, _people_trust(entry))
    as_entry = assume(sandbox_url, REGION, entry, "alice", "alice")
    as_other = assume(sandbox_url, REGION, other, "bob", "bob")
    assert _sts(sandbox_url, as_entry).assume_role(RoleArn=target, RoleSessionName="alice")["SourceIdentity"] == "alice"
    assert "no statement" in _refused(_sts(sandbox_url, as_other).assume_role, RoleArn=target, RoleSessionName="bob",
                                      SourceIdentity="bob")


def test_the_source_identity_persists_through_chaining_and_cannot_be_changed(aws, sandbox_url):
    entry = _role(aws, GOV, PIPELINE_TRUST)
    target = _role(aws, GOV, _people_trust("*"))
    as_alice = assume(sandbox_url, REGION, entry, "alice", None)  # no source identity yet: the trust does not need one
    assert "no statement" in _refused(_sts(sandbox_url, as_alice).assume_role, RoleArn=target, RoleSessionName="xx")
    first = _role(aws, GOV, _people_trust("*"))
    as_first = assume(sandbox_url, REGION, first, "alice", "alice")
    chained = _sts(sandbox_url, as_first).assume_role(RoleArn=target, RoleSessionName="someone-else")  # none passed: inherited
    assert chained["SourceIdentity"] == "alice"
    message = _refused(_sts(sandbox_url, as_first).assume_role, RoleArn=target, RoleSessionName="bob", SourceIdentity="bob")
    assert "cannot be changed" in message


def test_conditions_apply_to_the_administrator_and_a_service_trust_stays_usable(aws, sandbox_url):
    """A caller not in IAM matches every principal (the sandbox's administrator) but not a failing condition."""
    bound = _role(aws, GOV, {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"sts:SourceIdentity": "alice", "sts:RoleSessionName": "alice"}}}]})
    _sts(sandbox_url).assume_role(RoleArn=bound, RoleSessionName="alice", SourceIdentity="alice")
    _refused(_sts(sandbox_url).assume_role, RoleArn=bound, RoleSessionName="mallory", SourceIdentity="alice")
    _refused(_sts(sandbox_url).assume_role, RoleArn=bound, RoleSessionName="alice", SourceIdentity="mallory")
    lambda_role = _role(aws, GOV, LAMBDA_TRUST)
    _sts(sandbox_url).assume_role(RoleArn=lambda_role, RoleSessionName="runner")  # the administrator stands in for the service
    in_iam = assume(sandbox_url, REGION, _role(aws, GOV, PIPELINE_TRUST), "caller")
    _refused(_sts(sandbox_url, in_iam).assume_role, RoleArn=lambda_role, RoleSessionName="xx")  # a role is not the service


def test_an_invalid_source_identity_is_a_validation_error(aws, sandbox_url):
    arn = _role(aws, GOV, _people_trust("*"))
    for bad in ("has space", "aws:x", "semi;colon"):  # botocore itself refuses lengths outside 2..64
        with pytest.raises(ClientError) as error:
            _sts(sandbox_url).assume_role(RoleArn=arn, RoleSessionName="ok", SourceIdentity=bad)
        assert error.value.response["Error"]["Code"] == "ValidationError", bad


def test_the_registry_records_the_source_identity_and_policies_see_aws_source_identity(aws, sandbox_url):
    role = f"si-{uuid.uuid4().hex[:8]}"
    arn = _role(aws, GOV, _people_trust("*"), role)
    aws("iam", GOV).put_role_policy(RoleName=role, PolicyName="registry", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"], "Resource": "*"},
            {"Effect": "Deny", "Action": "sagemaker:CreateModelPackage", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:SourceIdentity": "alice"}}}]}))
    group = f"g-{uuid.uuid4().hex[:8]}"
    aws("sagemaker", GOV).create_model_package_group(ModelPackageGroupName=group)
    spec = {"Containers": [{"Image": f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/m:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    as_alice = assume(sandbox_url, REGION, arn, "alice-laptop", "alice").client("sagemaker")
    package = as_alice.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec,
                                            ModelApprovalStatus="PendingManualApproval")["ModelPackageArn"]
    created = as_alice.describe_model_package(ModelPackageName=package)["CreatedBy"]["IamIdentity"]
    assert created["SourceIdentity"] == "alice" and created["Arn"].endswith("/alice-laptop")
    as_bob = assume(sandbox_url, REGION, arn, "alice", "bob").client("sagemaker")
    with pytest.raises(ClientError) as error:
        as_bob.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec,
                                    ModelApprovalStatus="PendingManualApproval")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
