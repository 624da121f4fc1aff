"""Who a person is (docs/security.md, path 7f): people's roles require sts:SourceIdentity, the registry
records it, and the history credits it. Played against the applied stacks' committed trust policies,
evaluated by the sandbox (patches/sts_source_identity.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from mlgov_core import keys
from sandbox.accounts import SANDBOX_KEY
from sandbox.demo import version_items
from sandbox.lifecycle import REGISTRANT, USE_CASE
from policy_mutation import trust_policy_mutated, without_condition_key

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]


@pytest.fixture(scope="module")
def world(sandbox_story) -> dict[str, Any]:
    deployed = sandbox_story.deployed
    platform, names, prefix = deployed.config.platform, deployed.names, deployed.config.platform.name_prefix
    people = {
        "data-scientist": (AccountRole.DEV, f"{prefix}-data-scientist"),
        "data-science-lead": (AccountRole.DEV, f"{prefix}-data-science-lead"),
        "model-approver": (AccountRole.GOVERNANCE, f"{prefix}-model-approver"),
        "compliance-officer": (AccountRole.GOVERNANCE, f"{prefix}-compliance-officer"),
        "reconciler": (AccountRole.GOVERNANCE, names.table_reconciler_role),
        "external-registrar": (AccountRole.GOVERNANCE, names.external_registrar_role),
        "break-glass": (AccountRole.GOVERNANCE, names.table_break_glass_role),
    }
    arns = {k: f"arn:aws:iam::{platform.account_id(role)}:role/{name}" for k, (role, name) in people.items()}
    return {"deployed": deployed, "lifecycle": sandbox_story.lifecycle, "people": people, "arns": arns}


def _sts(world: dict[str, Any]) -> Any:
    """The sandbox administrator's STS client: it matches every trusted principal, so only conditions decide."""
    deployed = world["deployed"]
    return boto3.client("sts", endpoint_url=deployed.sandbox.url, region_name=deployed.config.platform.home_region,
                        aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)


def _refused(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "AccessDenied", error.value.response
    return error.value.response


@pytest.mark.parametrize("person_role", ["data-scientist", "data-science-lead", "model-approver", "compliance-officer",
                                         "reconciler", "external-registrar", "break-glass"])
def test_a_peoples_role_without_a_source_identity_is_refused_and_issues_nothing(world, person_role):
    arn = world["arns"][person_role]
    refused = _refused(_sts(world).assume_role, RoleArn=arn, RoleSessionName="mallory")
    assert "Credentials" not in refused and "no statement of the trust policy allows it" in refused["Error"]["Message"]
    # Not a role that refuses everyone: the same call naming the person is let through.
    granted = _sts(world).assume_role(RoleArn=arn, RoleSessionName="mallory", SourceIdentity="mallory")
    assert granted["SourceIdentity"] == "mallory"


def test_a_pipeline_role_needs_none_and_accepts_none(world):
    deployed = world["deployed"]
    deployer = f"arn:aws:iam::{deployed.config.platform.account_id(AccountRole.TEST)}:role/{deployed.config.platform.name_prefix}-deployer"
    assert "SourceIdentity" not in _sts(world).assume_role(RoleArn=deployer, RoleSessionName="pipeline")
    _refused(_sts(world).assume_role, RoleArn=deployer, RoleSessionName="pipeline", SourceIdentity="alice")


def test_a_session_cannot_change_the_person_it_was_assumed_for(world):
    """alice's data-scientist session passes another source identity on a chained AssumeRole: refused."""
    deployed = world["deployed"]
    alice = deployed.person(AccountRole.DEV, f"{deployed.config.platform.name_prefix}-data-scientist", "alice")
    sts = alice.client("sts")
    message = _refused(sts.assume_role, RoleArn=world["arns"]["model-approver"], RoleSessionName="carol",
                       SourceIdentity="carol")["Error"]["Message"]
    assert "cannot be changed" in message


def test_without_the_trust_condition_the_refused_assume_role_succeeds(world):
    """Mutation check: drop the Null sts:SourceIdentity condition from the data scientist's trust."""
    deployed = world["deployed"]
    iam = deployed.session(AccountRole.DEV, deployed.config.platform.terraform_role_name, "mutation").client("iam")
    role = world["people"]["data-scientist"][1]
    with trust_policy_mutated(iam, role, without_condition_key("sts:SourceIdentity")):
        granted = _sts(world).assume_role(RoleArn=world["arns"]["data-scientist"], RoleSessionName="mallory")
        assert granted["Credentials"]["AccessKeyId"] and "SourceIdentity" not in granted
    _refused(_sts(world).assume_role, RoleArn=world["arns"]["data-scientist"], RoleSessionName="mallory")


def test_the_registration_is_credited_to_the_recorded_source_identity(world):
    """The lifecycle registered through the CLI as REGISTRANT: the registry's CreatedBy carries the source
    identity, and the history item registry-sync wrote records it (covered by the hash chain)."""
    deployed, lifecycle = world["deployed"], world["lifecycle"]
    governance = deployed.governance()
    arn = lifecycle.model_package_arns[lifecycle.first]
    created = governance.client("sagemaker").describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"]
    assert created["SourceIdentity"] == REGISTRANT and created["Arn"].endswith(f"/{REGISTRANT}")
    items = version_items(governance, deployed.names.governance_table, USE_CASE, lifecycle.first)
    history = [i for i in items if i["sk"]["S"].startswith(keys.HISTORY_PREFIX) and "registered_by" in i]
    assert history and {i["registered_by_source_identity"]["S"] for i in history} == {REGISTRANT}
    approvals = [i for i in history if i.get("approved_by")]
    # Decisions are written by the decision function, a Lambda role with no person: no source identity of its own.
    assert approvals and not [i for i in approvals if "changed_by_source_identity" in i]
