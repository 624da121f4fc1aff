"""ram_permission_arns: a share created with a specific managed permission reports that permission."""

from __future__ import annotations

import uuid

from sandbox_accounts import DEV, GOV

ALLOW_REGISTER = "arn:aws:ram::aws:permission/AWSRAMPermissionSageMakerModelPackageGroupAllowRegister"


def test_share_reports_given_permission_arns(aws):
    group_arn = aws("sagemaker", GOV).create_model_package_group(ModelPackageGroupName=f"g-{uuid.uuid4().hex[:8]}")[
        "ModelPackageGroupArn"
    ]
    ram = aws("ram", GOV)
    share = ram.create_resource_share(name="register", allowExternalPrincipals=False, permissionArns=[ALLOW_REGISTER])[
        "resourceShare"
    ]["resourceShareArn"]
    ram.associate_resource_share(resourceShareArn=share, resourceArns=[group_arn], principals=[DEV])

    perms = ram.list_resource_share_permissions(resourceShareArn=share)["permissions"]
    assert [(p["arn"], p["name"], p["resourceType"], p["permissionType"]) for p in perms] == [
        (ALLOW_REGISTER, "AWSRAMPermissionSageMakerModelPackageGroupAllowRegister", "sagemaker:ModelPackageGroup", "AWS_MANAGED")
    ]
    ram.delete_resource_share(resourceShareArn=share)


def test_share_without_permission_arns_gets_the_default(aws):
    group_arn = aws("sagemaker", GOV).create_model_package_group(ModelPackageGroupName=f"g-{uuid.uuid4().hex[:8]}")[
        "ModelPackageGroupArn"
    ]
    ram = aws("ram", GOV)
    share = ram.create_resource_share(name="default", resourceArns=[group_arn])["resourceShare"]["resourceShareArn"]
    perms = ram.list_resource_share_permissions(resourceShareArn=share)["permissions"]
    assert [p["name"] for p in perms] == ["AWSRAMDefaultPermissionSageMakerModelPackageGroup"]
    ram.delete_resource_share(resourceShareArn=share)
