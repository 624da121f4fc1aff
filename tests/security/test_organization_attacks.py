"""An account outside the organisation (docs/security.md, path 7d), against the applied stacks.

The artifact bucket and the metrics bus trust named accounts; ``DenyOutsideOrganization`` (from
``platform.organization_id``) refuses any principal whose account is not in the organisation, whatever
the Allows name. The sandbox plays it by taking the account out of the emulated organisation
(``PUT /_mlgov/organization``, patches/_organization.py): its principals then carry no
aws:PrincipalOrgID, as on AWS. The membership is restored after each test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from policy_mutation import bucket_policy
from sandbox.attacks import report_qa

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]


@contextmanager
def outside_the_organization(deployed, role: AccountRole) -> Iterator[None]:
    platform = deployed.config.platform
    members = sorted(platform.accounts.values())
    outsider = platform.account_id(role)
    deployed.sandbox.set_organization(platform.organization_id, [a for a in members if a != outsider])
    try:
        yield
    finally:
        deployed.sandbox.set_organization(platform.organization_id, members)


def _digest(s3, bucket: str, key: str) -> str:
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def test_the_organization_is_configured_and_the_sandbox_accounts_are_members(released):
    platform = released["deployed"].config.platform
    assert platform.organization_id, "config/platform.yaml names no organization_id: nothing here would be tested"
    membership = released["deployed"].sandbox.set_organization(platform.organization_id, sorted(platform.accounts.values()))
    assert membership == {"id": platform.organization_id, "accounts": sorted(platform.accounts.values())}


def test_a_dev_account_outside_the_organization_can_neither_read_nor_write_artifacts(released):
    deployed, bucket, key = released["deployed"], released["bucket"], released["key"]
    scientist = released["who"]["data_scientist"].client("s3")
    before = _digest(released["admin_s3"], bucket, key)
    scientist.get_object(Bucket=bucket, Key=key)  # a member: allowed
    with outside_the_organization(deployed, AccountRole.DEV):
        for call in (lambda: scientist.get_object(Bucket=bucket, Key=key),
                     lambda: scientist.put_object(Bucket=bucket, Key="models/credit-risk/outsider/model.json", Body=b"{}",
                                                  IfNoneMatch="*")):
            with pytest.raises(ClientError) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert _digest(released["admin_s3"], bucket, key) == before
    assert "Contents" not in released["admin_s3"].list_objects_v2(Bucket=bucket, Prefix="models/credit-risk/outsider/")


def test_mutation_without_the_organization_deny_the_outsider_reads_artifacts(released):
    deployed, bucket, key = released["deployed"], released["bucket"], released["key"]
    scientist = released["who"]["data_scientist"].client("s3")
    with bucket_policy(released["admin_s3"], bucket, ("DenyOutsideOrganization",)), outside_the_organization(deployed, AccountRole.DEV):
        scientist.get_object(Bucket=bucket, Key=key)


def _report(session, bus_arn: str, version: int) -> None:
    report_qa(session, bus_arn, version, auc=0.5, reported_at="2020-01-01T00:00:00Z")


def test_the_qa_publisher_of_a_test_account_outside_the_organization_cannot_report(released):
    deployed = released["deployed"]
    publisher = deployed.session(AccountRole.TEST, f"{deployed.config.platform.name_prefix}-metrics-publisher", "qa")
    with outside_the_organization(deployed, AccountRole.TEST), pytest.raises(ClientError) as refused:
        _report(publisher, deployed.names.metrics_bus_arn(), version=999_998)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


@contextmanager
def without_bus_statement(events, bus: str, sid: str) -> Iterator[None]:
    """RemovePermission by statement id: moto's PutPermission with a whole policy merges statements by Sid
    instead of replacing the policy, so policy_mutation.bus_policy cannot drop one."""
    original = events.describe_event_bus(Name=bus)["Policy"]
    events.remove_permission(EventBusName=bus, StatementId=sid)
    assert sid not in events.describe_event_bus(Name=bus)["Policy"]
    try:
        yield
    finally:
        events.put_permission(EventBusName=bus, Policy=original)


def test_mutation_without_the_organization_deny_the_outsider_reports(released):
    deployed = released["deployed"]
    publisher = deployed.session(AccountRole.TEST, f"{deployed.config.platform.name_prefix}-metrics-publisher", "qa")
    events = released["who"]["governance_admin"].client("events")
    with without_bus_statement(events, deployed.names.metrics_bus, "DenyOutsideOrganization"), \
            outside_the_organization(deployed, AccountRole.TEST):
        _report(publisher, deployed.names.metrics_bus_arn(), version=999_998)  # a version that does not exist
