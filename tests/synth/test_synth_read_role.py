"""The compliance officer's role allows what the CLI's read commands read, and no write.

`status`, `list`, `history`, `report`, `check`, `promote`'s registry read and `reconcile --dry-run`
assume it by default (mlgov_cli.context.Context.reader_client); a read it lacks would be exit 3 on AWS.
The sandbox does not govern reads, so this evaluates the synthesized policy itself.
"""

from __future__ import annotations

import pytest

from modules.naming import Names
from mlgov_core import keys
from sandbox.patches._policy import evaluate
from tf_json import config, iam_role_policy

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
GROUP = "credit-risk"
CALLER = {"arn": f"arn:aws:sts::{NAMES.governance_account}:assumed-role/{NAMES.compliance_officer_role}/erin",
          "account": NAMES.governance_account}


def _policy(synth) -> tuple[dict, str]:
    _, policy = iam_role_policy(synth.stacks["governance"], NAMES.compliance_officer_role)
    table = next(r for s in policy["Statement"] if s.get("Sid") == "ReadGovernanceTable" for r in s["Resource"]
                 if "/index/" not in r)
    return policy, table


def reads(table: str) -> list[tuple[str, str]]:
    return [
        ("sagemaker:DescribeModelPackage", NAMES.package_arn(GROUP, 3)),  # check, promote
        ("sagemaker:DescribeModelPackage", NAMES.release_package_arn(GROUP, 1)),  # check: prod's release
        ("sagemaker:ListModelPackages", NAMES.group_arn(GROUP)),  # reconcile --dry-run
        ("dynamodb:Query", table),  # history, list --group
        ("dynamodb:GetItem", table),  # check: recorded QA metrics
        *(("dynamodb:Query", f"{table}/index/{index.name}") for index in keys.INDEXES),  # status, list, report
    ]


def test_the_compliance_officer_may_read_what_the_read_commands_read(synth) -> None:
    policy, table = _policy(synth)
    refused = [(a, r) for a, r in reads(table) if evaluate(policy, a, r, CALLER, {}, "role policy") != "PERMITTED"]
    assert not refused, refused


def test_the_compliance_officer_writes_nothing(synth) -> None:
    policy, table = _policy(synth)
    for action, resource in (("dynamodb:PutItem", table), ("dynamodb:UpdateItem", table),
                             ("sagemaker:UpdateModelPackage", NAMES.package_arn(GROUP, 1)),
                             ("sagemaker:CreateModelPackage", NAMES.group_arn(GROUP))):
        assert evaluate(policy, action, resource, CALLER, {}, "role policy") != "PERMITTED", action


def test_mutation_without_the_release_read_check_cannot_read_prod_releases(synth) -> None:
    policy, table = _policy(synth)
    mutated = {**policy, "Statement": [s for s in policy["Statement"] if s.get("Sid") != "ReadReleases"]}
    release = NAMES.release_package_arn(GROUP, 1)
    assert evaluate(mutated, "sagemaker:DescribeModelPackage", release, CALLER, {}, "role policy") == "NEUTRAL"
