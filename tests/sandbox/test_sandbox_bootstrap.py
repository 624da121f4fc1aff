"""terraform/bootstrap applies to the sandbox unchanged (every account through its provider alias), a second
plan is clean, and the state bucket's policy refuses the pipeline's roles and an administrator what the
design forbids, played as each of them; dropping the statement lets the same attack through (mutation check).

The sandbox evaluates bucket policies (patches/s3_bucket_policy.py) and identity-policy Denies on S3
(patches/s3_identity_denies.py), never a missing identity Allow: the state refusals come from the bucket
policy's guards alone (they hold whatever the roles' own policies are widened to), the data read from
the account plan role's own Deny. tests/synth/test_synth_bootstrap.py decides the identity Allows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import GOV, REGION

from mlgov_config import AccountRole, load_config
from sandbox.accounts import AccountSession, assume
from sandbox.stacks import apply_stack, replan_changes
from tests.security.policy_mutation import bucket_policy, role_policy

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]

REPO_ROOT = Path(__file__).resolve().parents[2]
PLATFORM = load_config(REPO_ROOT / "config").platform
GITOPS, BACKEND = PLATFORM.gitops, PLATFORM.state_backend
BUCKET = BACKEND.bucket
STATE = f"{BACKEND.key_prefix}/dev.tfstate"


@pytest.fixture(scope="module")
def applied(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    work = tmp_path_factory.mktemp("bootstrap") / "work"
    return apply_stack(REPO_ROOT / "terraform" / "bootstrap", work, sandbox_url, REGION), work


def session_of(sandbox_url: str, role_name: str) -> AccountSession:
    return assume(sandbox_url, BACKEND.region, f"arn:aws:iam::{GOV}:role/{role_name}", "attacker")


def web_identity_session(sandbox_url: str, role_name: str):
    """A workflow run's session: AssumeRoleWithWebIdentity, as aws-actions/configure-aws-credentials does."""
    import boto3

    sts = boto3.client("sts", endpoint_url=sandbox_url, region_name=BACKEND.region)
    creds = sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{GOV}:role/{role_name}", RoleSessionName="run",
                                              WebIdentityToken="a-github-token")["Credentials"]
    return boto3.client("s3", endpoint_url=sandbox_url, region_name=BACKEND.region, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def refused(call) -> bool:
    try:
        call()
    except ClientError as err:
        assert err.response["Error"]["Code"] == "AccessDenied", err
        return True
    return False


def test_bootstrap_applies_in_every_account_and_a_second_plan_is_clean(applied, aws):
    result, work = applied
    assert result.failed == {}
    assert replan_changes(work) == []
    for role in AccountRole:
        account = PLATFORM.account_id(role)
        aws("iam", account).get_role(RoleName=GITOPS.account_plan_role_name)
    providers = aws("iam", GOV).list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert any(p["Arn"].endswith("oidc-provider/token.actions.githubusercontent.com") for p in providers)


def test_no_one_deletes_a_state_object_but_lock_files_go(applied, sandbox_url, aws):
    admin = session_of(sandbox_url, PLATFORM.terraform_role_name).client("s3")  # not in IAM: the account's administrator
    admin.put_object(Bucket=BUCKET, Key=STATE, Body=b"{}")
    admin.put_object(Bucket=BUCKET, Key=f"{STATE}.tflock", Body=b"{}")

    assert refused(lambda: admin.delete_object(Bucket=BUCKET, Key=STATE))
    version = admin.head_object(Bucket=BUCKET, Key=STATE)["VersionId"]
    assert refused(lambda: admin.delete_object(Bucket=BUCKET, Key=STATE, VersionId=version))
    admin.delete_object(Bucket=BUCKET, Key=f"{STATE}.tflock")  # native locking releases the lock this way

    with bucket_policy(aws("s3", GOV), BUCKET, ("DenyProtectedObjectDeletion",)):
        assert not refused(lambda: admin.delete_object(Bucket=BUCKET, Key=f"{BACKEND.key_prefix}/x.tfstate"))


def test_the_plan_role_cannot_overwrite_a_state(applied, sandbox_url, aws):
    plan = web_identity_session(sandbox_url, GITOPS.plan_role_name)
    assert refused(lambda: plan.put_object(Bucket=BUCKET, Key=STATE, Body=b"tampered"))
    plan.put_object(Bucket=BUCKET, Key=f"{STATE}.tflock", Body=b"{}")
    plan.delete_object(Bucket=BUCKET, Key=f"{STATE}.tflock")

    with bucket_policy(aws("s3", GOV), BUCKET, ("PlanRoleWritesOnlyLocks",)):
        assert not refused(lambda: plan.put_object(Bucket=BUCKET, Key=f"{BACKEND.key_prefix}/scratch.tfstate", Body=b"x"))


def test_an_apply_role_writes_only_its_own_state(applied, sandbox_url, aws):
    dev = web_identity_session(sandbox_url, GITOPS.apply_role_name("dev"))
    dev.put_object(Bucket=BUCKET, Key=STATE, Body=b"{}")
    governance_state = f"{BACKEND.key_prefix}/governance.tfstate"
    assert refused(lambda: dev.put_object(Bucket=BUCKET, Key=governance_state, Body=b"tampered"))
    assert refused(lambda: dev.put_object(Bucket=BUCKET, Key=f"{BACKEND.key_prefix}/bootstrap.tfstate", Body=b"tampered"))

    with bucket_policy(aws("s3", GOV), BUCKET, ("ApplyRoleDevWritesOnlyItsState",)):
        assert not refused(lambda: dev.put_object(Bucket=BUCKET, Key=governance_state, Body=b"tampered"))


def test_a_principal_outside_the_organisation_reads_no_state(applied, sandbox_url, aws):
    from sandbox.patches._organization import set_organization

    outsider = session_of(sandbox_url, PLATFORM.terraform_role_name).client("s3")
    outsider.put_object(Bucket=BUCKET, Key=STATE, Body=b"{}")
    members = sorted(PLATFORM.accounts.values())
    set_organization(PLATFORM.organization_id, [a for a in members if a != GOV])  # the bucket's own account leaves
    try:
        assert refused(lambda: outsider.get_object(Bucket=BUCKET, Key=STATE))
        with bucket_policy(aws("s3", GOV), BUCKET, ("DenyOutsideOrganization",)):
            assert outsider.get_object(Bucket=BUCKET, Key=STATE)["Body"].read() == b"{}"
    finally:
        set_organization(PLATFORM.organization_id, members)


def test_a_prs_plan_reads_no_data_object(applied, sandbox_url, aws):
    """The chain a pull request's plan runs as: the plan role (OIDC), then the account's read-only plan role."""
    import boto3

    admin = session_of(sandbox_url, PLATFORM.terraform_role_name).client("s3")
    data_bucket = f"{PLATFORM.name_prefix}-data-{GOV}-{REGION}"
    admin.create_bucket(Bucket=data_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    admin.put_object(Bucket=data_bucket, Key="models/m/model.tar.gz", Body=b"weights")
    sts = boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION)
    run = sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{GOV}:role/{GITOPS.plan_role_name}", RoleSessionName="pr",
                                            WebIdentityToken="a-github-token")["Credentials"]
    reader = boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION, aws_access_key_id=run["AccessKeyId"],
                          aws_secret_access_key=run["SecretAccessKey"], aws_session_token=run["SessionToken"]).assume_role(
        RoleArn=f"arn:aws:iam::{GOV}:role/{GITOPS.account_plan_role_name}", RoleSessionName="plan")["Credentials"]
    s3 = boto3.client("s3", endpoint_url=sandbox_url, region_name=REGION, aws_access_key_id=reader["AccessKeyId"],
                      aws_secret_access_key=reader["SecretAccessKey"], aws_session_token=reader["SessionToken"])

    assert refused(lambda: s3.get_object(Bucket=data_bucket, Key="models/m/model.tar.gz"))
    with role_policy(aws("iam", GOV), GITOPS.account_plan_role_name, "least-privilege", ("DenyObjectReads",)):
        assert s3.get_object(Bucket=data_bucket, Key="models/m/model.tar.gz")["Body"].read() == b"weights"
