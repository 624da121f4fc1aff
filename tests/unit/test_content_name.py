"""Replacement names follow what a resource references, not the order constructs were created in."""

from __future__ import annotations

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.model_endpoint import content_name


def _name(constructs_before: int, referenced: str = "arn") -> str:
    stack = TerraformStack(App(), "stack")
    AwsProvider(stack, "aws", region="eu-west-1")
    for index in range(constructs_before):
        IamRole(stack, f"unrelated-{index}", name=f"unrelated-{index}", assume_role_policy="{}")
    role = IamRole(stack, "execution", name="execution", assume_role_policy="{}")
    return content_name(stack, "endpoint", ["package-arn", getattr(role, referenced)])


def test_adding_unrelated_constructs_keeps_the_name():
    assert _name(0) == _name(3)


def test_referencing_something_else_changes_the_name():
    assert _name(0, "arn") != _name(0, "name")
