"""Registry patches: cross-account group ARN, ModelLifeCycle, field-preserving updates, caller identity."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from sandbox_accounts import DEV, GOV, REGION
from sandbox_registry import INFERENCE, REGISTER, shared_group

# The governance account's decisions (UpdateModelPackage) need no grant: its sandbox-test role
# is not in IAM, so it acts as the account's administrator. Dev's updates below are granted here
# only to show the routing; the stacks never grant dev UpdateModelPackage.
DEV_UPDATE = {"Sid": "DevUpdates", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
              "Action": "sagemaker:UpdateModelPackage", "Resource": "*"}  # fmt: skip


@pytest.fixture
def group(aws):
    return shared_group(aws, {DEV: REGISTER}, extra=(DEV_UPDATE,))


def test_group_arn_resolves_to_owner_account(aws, group):
    """sagemaker_cross_account"""
    name, group_arn = group
    dev = aws("sagemaker", DEV)
    pkg_arn = dev.create_model_package(ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)["ModelPackageArn"]
    assert pkg_arn == f"arn:aws:sagemaker:{REGION}:{GOV}:model-package/{name}/1"
    assert dev.describe_model_package(ModelPackageName=pkg_arn)["ModelPackageGroupName"] == name
    assert dev.describe_model_package_group(ModelPackageGroupName=group_arn)["ModelPackageGroupArn"] == group_arn
    listed = dev.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [pkg_arn]
    dev.update_model_package(ModelPackageArn=pkg_arn, ModelApprovalStatus="Approved")
    gov = aws("sagemaker", GOV)
    assert gov.describe_model_package(ModelPackageName=pkg_arn)["ModelApprovalStatus"] == "Approved"
    # nothing landed in the caller's own account
    assert dev.list_model_packages(ModelPackageType="Both")["ModelPackageSummaryList"] == []


def test_model_lifecycle_kept(aws, group):
    """sagemaker_lifecycle"""
    sm = aws("sagemaker", DEV)
    lifecycle = {"Stage": "Development", "StageStatus": "InProgress", "StageDescription": "trained"}
    arn = sm.create_model_package(ModelPackageGroupName=group[1], InferenceSpecification=INFERENCE, ModelLifeCycle=lifecycle)[
        "ModelPackageArn"
    ]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"] == lifecycle
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"})
    assert sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"] == {"Stage": "Staging", "StageStatus": "Approved"}
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]["Stage"] == "Staging"


def test_update_keeps_unspecified_fields(aws, group):
    """sagemaker_update_fields + sagemaker_identity"""
    sm = aws("sagemaker", DEV)
    arn = sm.create_model_package(
        ModelPackageGroupName=group[1],
        InferenceSpecification=INFERENCE,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"a": "1", "b": "2"},
    )["ModelPackageArn"]
    before = sm.describe_model_package(ModelPackageName=arn)
    assert before["CreatedBy"]["IamIdentity"]["Arn"].startswith(f"arn:aws:sts::{DEV}:assumed-role/sandbox-test/")
    time.sleep(0.01)
    gov = aws("sagemaker", GOV)
    gov.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    after = sm.describe_model_package(ModelPackageName=arn)
    assert after["CustomerMetadataProperties"] == {"a": "1", "b": "2"}
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert after["LastModifiedBy"]["IamIdentity"]["Arn"].startswith(f"arn:aws:sts::{GOV}:assumed-role/")
    gov.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"c": "3"}, CustomerMetadataPropertiesToRemove=["a"])
    after = sm.describe_model_package(ModelPackageName=arn)
    assert after["ModelApprovalStatus"] == "Approved"
    assert after["ApprovalDescription"] == "ok"
    assert after["CustomerMetadataProperties"] == {"b": "2", "c": "3"}


def test_group_policy_and_delete(aws, group):
    """sagemaker_group_policy"""
    name, arn = group
    sm = aws("sagemaker", GOV)
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sagemaker:CreateModelPackage","Resource":"*"}]}'
    sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy)
    assert sm.get_model_package_group_policy(ModelPackageGroupName=arn)["ResourcePolicy"] == policy
    sm.delete_model_package_group_policy(ModelPackageGroupName=name)
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        sm.get_model_package_group_policy(ModelPackageGroupName=name)
    pkg = sm.create_model_package(ModelPackageGroupName=name, InferenceSpecification=INFERENCE)["ModelPackageArn"]
    sm.delete_model_package(ModelPackageName=pkg)
    sm.delete_model_package_group(ModelPackageGroupName=name)
    with pytest.raises(ClientError, match="does not exist"):
        sm.describe_model_package_group(ModelPackageGroupName=name)
    with pytest.raises(ClientError, match="Cannot find Model Package Group"):
        sm.get_model_package_group_policy(ModelPackageGroupName=name)
