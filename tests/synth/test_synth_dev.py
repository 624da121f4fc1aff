"""Dev stack: the MLflow tracking server and its bucket and role, and that dev can never approve.

Approval is checked by evaluating the dev roles' policies against request contexts (the condition
keys CreateModelPackage/UpdateModelPackage carry), so a Deny that stops matching fails here.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

import pytest

from mlgov_config import AccountRole
from modules.naming import Names
from tf_json import actions, as_list, attached, config, iam_role_policy, one, referenced, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
DEV_ACCOUNT = CONFIG.platform.account_id(AccountRole.DEV)
PREFIX = CONFIG.platform.name_prefix
DEV_ROLES = (f"{PREFIX}-data-scientist", f"{PREFIX}-data-science-lead")
GROUPS = [uc.model_package_group.name for uc in CONFIG.use_cases.values() if AccountRole.DEV in uc.shared_with]


@pytest.fixture(scope="module")
def dev(synth) -> dict:
    return synth.stacks[AccountRole.DEV.value]


@pytest.fixture(scope="module")
def tracking_server(dev) -> dict:
    servers = list(resources(dev, "aws_sagemaker_mlflow_tracking_server").values())
    assert len(servers) == 1, f"expected one MLflow tracking server in dev, found {len(servers)}"
    return servers[0]


# --- a tiny IAM evaluator for the operators these policies use ---------------------------------

def condition_holds(operator: str, key: str, expected, context: dict[str, str]) -> bool:
    values = [str(v).lower() for v in as_list(expected)]
    present = key in context
    if operator == "StringEqualsIgnoreCase":
        return present and context[key].lower() in values
    if operator == "StringNotEqualsIgnoreCase":  # a missing key counts as "not equal"
        return not present or context[key].lower() not in values
    if operator == "StringEquals":
        return present and context[key] in as_list(expected)
    if operator == "Null":
        return (not present) == (str(expected).lower() == "true")
    return None  # not modelled: the caller decides the pessimistic answer


def applies(statement: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    """Pessimistic for unmodelled operators: an Allow applies, a Deny does not."""
    unknown = statement["Effect"] == "Allow"
    results = [condition_holds(op, key, value, context)
               for op, block in statement.get("Condition", {}).items() for key, value in block.items()]
    return (
        any(fnmatchcase(action, a) for a in actions(statement))
        and any(fnmatchcase(resource, r) for r in as_list(statement.get("Resource", [])))
        and all(unknown if r is None else r for r in results)
    )


def explicitly_denied(policy: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    return any(st["Effect"] == "Deny" and applies(st, action, resource, context) for st in statements(policy))


def allowed(policy: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    return not explicitly_denied(policy, action, resource, context) and any(
        st["Effect"] == "Allow" and applies(st, action, resource, context) for st in statements(policy))


APPROVING = [
    {"sagemaker:ModelApprovalStatus": "Approved"},
    {"sagemaker:ModelApprovalStatus": "approved"},
    {"sagemaker:ModelApprovalStatus": "Rejected"},
    {"sagemaker:ModelLifeCycle:stage": "Test", "sagemaker:ModelLifeCycle:stageStatus": "Pending"},
    {"sagemaker:ModelLifeCycle:stage": "Prod", "sagemaker:ModelLifeCycle:stageStatus": "Pending"},
    {"sagemaker:ModelLifeCycle:stage": "PROD", "sagemaker:ModelLifeCycle:stageStatus": "Pending"},
    {"sagemaker:ModelLifeCycle:stage": "Production", "sagemaker:ModelLifeCycle:stageStatus": "Pending"},
    {"sagemaker:ModelLifeCycle:stage": "Dev", "sagemaker:ModelLifeCycle:stageStatus": "Approved"},
]
# What the demo and `mlgov register` send: a candidate, pending, in Dev.
REGISTERING = {"sagemaker:ModelApprovalStatus": "PendingManualApproval",
               "sagemaker:ModelLifeCycle:stage": "Dev", "sagemaker:ModelLifeCycle:stageStatus": "Pending"}


def targets() -> list[tuple[str, str]]:
    assert GROUPS, "no group is shared with dev: nothing to check"
    out = []
    for group in GROUPS:
        out.append(("sagemaker:CreateModelPackage", NAMES.group_arn(group)))
        out.append(("sagemaker:UpdateModelPackage", NAMES.group_packages_arn(group).replace("*", "7")))
    return out


# --- the tracking server -------------------------------------------------------------------------

def test_tracking_server_does_not_register_automatically(tracking_server):
    # automatic registration creates a "<name>-<hash>" group of its own, outside the shared registry
    assert tracking_server["automatic_model_registration"] is False


def test_tracking_server_is_pinned_and_sized(tracking_server):
    assert re.fullmatch(r"\d+\.\d+", tracking_server["mlflow_version"]), tracking_server["mlflow_version"]
    assert tracking_server["tracking_server_size"] == "Small"
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):\d\d:\d\d", tracking_server["weekly_maintenance_window_start"])
    assert tracking_server["tracking_server_name"].startswith(PREFIX)


def artifact_bucket(dev: dict, tracking_server: dict) -> tuple[str, dict]:
    bucket_name = re.fullmatch(r"s3://([^/]+)(/.*)?", tracking_server["artifact_store_uri"]).group(1)
    found = [(name, body) for name, body in resources(dev, "aws_s3_bucket").items() if body["bucket"] == bucket_name]
    assert len(found) == 1, f"artifact store {bucket_name!r} is not a bucket of the dev stack"
    return found[0]


def test_artifact_bucket_name_is_global_unique(dev, tracking_server):
    _, bucket = artifact_bucket(dev, tracking_server)
    assert DEV_ACCOUNT in bucket["bucket"] and CONFIG.platform.home_region in bucket["bucket"]


def test_artifact_bucket_is_kms_encrypted_versioned_private_and_tls_only(dev, tracking_server):
    name, bucket = artifact_bucket(dev, tracking_server)
    [sse] = attached(dev, "aws_s3_bucket_server_side_encryption_configuration", "bucket", "aws_s3_bucket", name)
    default = one(one(sse["rule"])["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] == "aws:kms"
    key_type, _, key = referenced(dev, default["kms_master_key_id"])
    assert key_type == "aws_kms_key" and key["enable_key_rotation"] is True

    [versioning] = attached(dev, "aws_s3_bucket_versioning", "bucket", "aws_s3_bucket", name)
    assert one(versioning["versioning_configuration"])["status"] == "Enabled"

    [block] = attached(dev, "aws_s3_bucket_public_access_block", "bucket", "aws_s3_bucket", name)
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))

    [policy] = attached(dev, "aws_s3_bucket_policy", "bucket", "aws_s3_bucket", name)
    tls = [st for st in statements(json.loads(policy["policy"]))
           if st["Effect"] == "Deny" and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert tls and "s3:*" in actions(tls[0]), "no Deny of every S3 action without TLS"
    assert set(as_list(tls[0]["Resource"])) == {f"arn:aws:s3:::{bucket['bucket']}", f"arn:aws:s3:::{bucket['bucket']}/*"}

    [logging] = attached(dev, "aws_s3_bucket_logging", "bucket", "aws_s3_bucket", name)
    _, _, target = referenced(dev, logging["target_bucket"])
    assert DEV_ACCOUNT in target["bucket"], "access logs go to a bucket of another account"


def test_execution_role_is_sagemaker_only_and_least_privilege(dev, tracking_server):
    _, role_name, role = referenced(dev, tracking_server["role_arn"])
    trust, policy = iam_role_policy(dev, role["name"])
    [st] = statements(trust)
    assert st["Principal"] == {"Service": ["sagemaker.amazonaws.com"]}
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": DEV_ACCOUNT}}
    _, bucket = artifact_bucket(dev, tracking_server)
    bucket_arn = f"arn:aws:s3:::{bucket['bucket']}"
    denies = [st["Sid"] for st in statements(policy) if st["Effect"] == "Deny"]
    assert denies and all(sid.startswith("NoDecision") for sid in denies), denies  # registry_guards only
    for st in (st for st in statements(policy) if st["Effect"] == "Allow"):
        for action in actions(st):
            assert action.split(":")[0] in ("s3", "kms"), f"{role_name}: {action} (automatic registration is off; no sagemaker rights)"
        if any(a.startswith("s3:") for a in actions(st)):
            assert all(r == bucket_arn or r.startswith(bucket_arn + "/") for r in as_list(st["Resource"])), st


# --- dev roles: use MLflow, never approve --------------------------------------------------------

@pytest.mark.parametrize("role_name", DEV_ROLES)
def test_dev_roles_use_the_tracking_server_by_its_arn(dev, tracking_server, role_name):
    _, policy = iam_role_policy(dev, role_name)
    server_arn = f"arn:aws:sagemaker:{CONFIG.platform.home_region}:{DEV_ACCOUNT}:mlflow-tracking-server/{tracking_server['tracking_server_name']}"
    for action in ("sagemaker-mlflow:CreateRun", "sagemaker-mlflow:LogMetric", "sagemaker-mlflow:LogBatch",
                   "sagemaker-mlflow:SearchExperiments", "sagemaker-mlflow:GetRun",
                   "sagemaker:CreatePresignedMlflowTrackingServerUrl"):
        assert allowed(policy, action, server_arn, {}), f"{role_name} cannot {action}"
        assert not allowed(policy, action, server_arn.replace(tracking_server["tracking_server_name"], "other"), {})
    for action in ("sagemaker-mlflow:DeleteExperiment", "sagemaker-mlflow:DeleteRun", "sagemaker-mlflow:CreateRegisteredModel"):
        assert not allowed(policy, action, server_arn, {}), f"{role_name} may {action}"


@pytest.mark.parametrize("role_name", DEV_ROLES)
def test_dev_roles_deny_with_the_approval_and_lifecycle_condition_keys(dev, role_name):
    _, policy = iam_role_policy(dev, role_name)
    keys = {key for st in statements(policy) if st["Effect"] == "Deny"
            and "sagemaker:UpdateModelPackage" in actions(st) for block in st.get("Condition", {}).values() for key in block}
    assert {"sagemaker:ModelApprovalStatus", "sagemaker:ModelLifeCycle:stage", "sagemaker:ModelLifeCycle:stageStatus"} <= keys


@pytest.mark.parametrize("role_name", DEV_ROLES)
@pytest.mark.parametrize("context", APPROVING, ids=lambda c: "-".join(c.values()))
def test_dev_roles_cannot_approve_for_test_or_prod(dev, role_name, context):
    _, policy = iam_role_policy(dev, role_name)
    for action, resource in targets():
        assert explicitly_denied(policy, action, resource, context), f"{role_name}: {action} on {resource} with {context} is not denied"


@pytest.mark.parametrize("role_name", DEV_ROLES)
def test_dev_roles_can_still_register_a_candidate(dev, role_name):
    _, policy = iam_role_policy(dev, role_name)
    for group in GROUPS:
        assert allowed(policy, "sagemaker:CreateModelPackage", NAMES.group_arn(group), REGISTERING), f"{role_name} cannot register"
        assert allowed(policy, "sagemaker:CreateModelPackage", NAMES.group_arn(group), {}), f"{role_name} cannot register without lifecycle"


@pytest.mark.parametrize("role_name", DEV_ROLES)
def test_dev_roles_cannot_delete_or_change_the_group_policy(dev, role_name):
    _, policy = iam_role_policy(dev, role_name)
    for group in GROUPS:
        for action in ("sagemaker:DeleteModelPackage", "sagemaker:DeleteModelPackageGroup",
                       "sagemaker:PutModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroupPolicy"):
            for resource in (NAMES.group_arn(group), NAMES.group_packages_arn(group).replace("*", "7")):
                assert explicitly_denied(policy, action, resource, {}), f"{role_name}: {action} on {resource} is not denied"


def test_lead_reads_every_version_of_the_use_cases(dev):
    _, policy = iam_role_policy(dev, f"{PREFIX}-data-science-lead")
    for group in GROUPS:
        assert allowed(policy, "sagemaker:ListModelPackages", NAMES.group_arn(group), {})
        assert allowed(policy, "sagemaker:DescribeModelPackageGroup", NAMES.group_arn(group), {})
        assert allowed(policy, "sagemaker:DescribeModelPackage", NAMES.group_packages_arn(group).replace("*", "7"), {})
        assert allowed(policy, "s3:GetObject", f"{NAMES.artifact_bucket_arn()}/models/{group}/any-run/model.tar.gz", {})


@pytest.mark.parametrize("stack_name", [r.value for r in (AccountRole.DEV, AccountRole.TEST, AccountRole.PROD)])
def test_no_consumer_role_may_approve(synth, stack_name):
    """Approving happens in the governance account, never in a consumer account."""
    stack, checked = synth.stacks[stack_name], 0
    for name, body in resources(stack, "aws_iam_role_policy").items():
        policy = json.loads(body["policy"])
        for context in APPROVING:
            for action, resource in targets():
                assert not allowed(policy, action, resource, context), \
                    f"{stack_name} {name}: {action} on {resource} allowed with {context}"
        checked += 1
    assert checked, f"no IAM role policy in {stack_name}: the property would pass vacuously"
