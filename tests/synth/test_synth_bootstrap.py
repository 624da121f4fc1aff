"""terraform/bootstrap: the state bucket's guards, the exact OIDC trust of the pipeline's roles, and what
each role may do, read from the synthesized policies and decided with the sandbox's IAM evaluator."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest
from tf_json import STACKS, as_list, attached, config, iam_role_policy, one, referenced, resources, statements

from mlgov_config import AccountRole
from modules.github_oidc import AUDIENCE, GITHUB_OIDC_HOST
from modules.naming import Names
from modules.plan_reads import DATA_READS, OBJECT_READS, READ_GROUPS, service_of
from sandbox.patches._policy import evaluate

pytestmark = pytest.mark.synth

CONFIG = config()
PLATFORM = CONFIG.platform
GITOPS = PLATFORM.gitops
BACKEND = PLATFORM.state_backend
NAMES = Names.from_config(CONFIG)
GOV = PLATFORM.account_id(AccountRole.GOVERNANCE)
BUCKET = f"arn:aws:s3:::{BACKEND.bucket}"
STATES = f"{BUCKET}/{BACKEND.key_prefix}"
REPO = GITOPS.repository
ORG = {"aws:principalorgid": [PLATFORM.organization_id]}
TLS = {"aws:securetransport": ["true"]}
DATA_OBJECT = f"arn:aws:s3:::{NAMES.artifact_bucket}/models/m/model.tar.gz"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def caller(account: str, name: str) -> dict[str, str]:
    return {"account": account, "arn": f"arn:aws:sts::{account}:assumed-role/{name}/s", "role_arn": role_arn(account, name)}


def context(who: dict[str, str], org: bool = True) -> dict[str, list[str]]:
    return {**TLS, **(ORG if org else {}), "aws:principalarn": [who["role_arn"]], "aws:principalaccount": [who["account"]]}


@pytest.fixture(scope="module")
def boot(synth) -> dict:
    return synth.stacks["bootstrap"]


def the_bucket(boot: dict, name: str) -> str:
    [address] = [a for a, b in resources(boot, "aws_s3_bucket").items() if b["bucket"] == name]
    return address


@pytest.fixture(scope="module")
def bucket_policy(boot) -> dict:
    [policy] = attached(boot, "aws_s3_bucket_policy", "bucket", "aws_s3_bucket", the_bucket(boot, BACKEND.bucket))
    return json.loads(policy["policy"])


def trust_condition(trust: dict) -> dict:
    [statement] = statements(trust)
    assert statement["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert set(statement["Principal"]) == {"Federated"}
    assert set(statement["Condition"]) == {"StringEquals"}, "only exact matches; StringLike would take patterns"
    return statement["Condition"]["StringEquals"]


# --- the state bucket ----------------------------------------------------------------------------

def test_state_bucket_is_versioned_kms_encrypted_with_its_own_key_private_and_undestroyable(boot):
    address = the_bucket(boot, BACKEND.bucket)
    assert boot["resource"]["aws_s3_bucket"][address]["lifecycle"] == {"prevent_destroy": True}
    [versioning] = attached(boot, "aws_s3_bucket_versioning", "bucket", "aws_s3_bucket", address)
    assert one(versioning["versioning_configuration"])["status"] == "Enabled"
    [sse] = attached(boot, "aws_s3_bucket_server_side_encryption_configuration", "bucket", "aws_s3_bucket", address)
    default = one(one(sse["rule"])["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] == "aws:kms"
    kind, key_name, key = referenced(boot, default["kms_master_key_id"])
    assert kind == "aws_kms_key" and key["lifecycle"] == {"prevent_destroy": True} and key["enable_key_rotation"] is True
    # Its own key: no other bucket is encrypted with it, and its alias names it the state's.
    encrypted = [c for c in resources(boot, "aws_s3_bucket_server_side_encryption_configuration").values()
                 if key_name in json.dumps(c)]
    assert encrypted == [sse]
    [alias] = resources(boot, "aws_kms_alias").values()
    assert alias["name"] == NAMES.state_key_alias and key_name in alias["target_key_id"]
    [block] = attached(boot, "aws_s3_bucket_public_access_block", "bucket", "aws_s3_bucket", address)
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    [ownership] = attached(boot, "aws_s3_bucket_ownership_controls", "bucket", "aws_s3_bucket", address)
    assert one(ownership["rule"])["object_ownership"] == "BucketOwnerEnforced"
    [lifecycle] = attached(boot, "aws_s3_bucket_lifecycle_configuration", "bucket", "aws_s3_bucket", address)
    assert one(one(lifecycle["rule"])["noncurrent_version_expiration"])["noncurrent_days"] > 0
    [logging] = attached(boot, "aws_s3_bucket_logging", "bucket", "aws_s3_bucket", address)
    assert referenced(boot, logging["target_bucket"])[2]["bucket"] == NAMES.state_access_log_bucket(BACKEND.region)


def test_every_stack_keeps_its_state_in_the_bucket_bootstrap_creates(synth):
    keys = {name: one([stack["terraform"]["backend"]["s3"]])["key"] for name, stack in synth.stacks.items()}
    assert keys == {name: f"{BACKEND.key_prefix}/{name}.tfstate" for name in (*STACKS, "bootstrap")}
    assert {stack["terraform"]["backend"]["s3"]["bucket"] for stack in synth.stacks.values()} == {BACKEND.bucket}


@pytest.mark.parametrize("key", [f"{STATES}/dev.tfstate", f"{STATES}/bootstrap.tfstate", f"{BUCKET}/elsewhere/x.tfstate"])
@pytest.mark.parametrize("action", ["s3:DeleteObject", "s3:DeleteObjectVersion"])
def test_no_one_deletes_a_state_object(bucket_policy, key, action):
    admin = caller(GOV, PLATFORM.terraform_role_name)
    assert evaluate(bucket_policy, action, key, admin, context(admin)) == "DENIED"


def test_lock_files_stay_deletable(bucket_policy):
    for who in (caller(GOV, PLATFORM.terraform_role_name), caller(GOV, GITOPS.plan_role_name),
                caller(GOV, GITOPS.apply_role_name("dev"))):
        assert evaluate(bucket_policy, "s3:DeleteObject", f"{STATES}/dev.tfstate.tflock", who, context(who)) != "DENIED"


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"])
def test_principals_outside_the_organisation_are_denied(bucket_policy, action):
    outsider = caller("999999999999", "attacker")
    assert evaluate(bucket_policy, action, f"{STATES}/dev.tfstate", outsider, context(outsider, org=False)) == "DENIED"
    insider = caller(GOV, PLATFORM.terraform_role_name)
    assert evaluate(bucket_policy, action, f"{STATES}/dev.tfstate", insider, context(insider)) != "DENIED"


def test_plain_http_and_other_encryption_are_refused(bucket_policy):
    admin = caller(GOV, PLATFORM.terraform_role_name)
    insecure = {**context(admin), "aws:securetransport": ["false"]}
    assert evaluate(bucket_policy, "s3:GetObject", f"{STATES}/dev.tfstate", admin, insecure) == "DENIED"
    sse_s3 = {**context(admin), "s3:x-amz-server-side-encryption": ["AES256"]}
    assert evaluate(bucket_policy, "s3:PutObject", f"{STATES}/dev.tfstate", admin, sse_s3) == "DENIED"


def test_the_bucket_policy_keeps_pipeline_roles_to_their_own_writes(bucket_policy):
    plan = caller(GOV, GITOPS.plan_role_name)
    assert evaluate(bucket_policy, "s3:PutObject", f"{STATES}/dev.tfstate", plan, context(plan)) == "DENIED"
    assert evaluate(bucket_policy, "s3:PutObject", f"{STATES}/dev.tfstate.tflock", plan, context(plan)) != "DENIED"
    for stack in STACKS:
        applier = caller(GOV, GITOPS.apply_role_name(stack))
        for other in (*STACKS, "bootstrap"):
            for key in (f"{STATES}/{other}.tfstate", f"{STATES}/{other}.tfstate.tflock"):
                expected = other == stack
                assert (evaluate(bucket_policy, "s3:PutObject", key, applier, context(applier)) != "DENIED") is expected, (stack, key)


# --- GitHub OIDC and the pipeline's roles --------------------------------------------------------

def test_github_oidc_provider_takes_only_the_sts_audience(boot):
    [provider] = resources(boot, "aws_iam_openid_connect_provider").values()
    assert provider["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider["client_id_list"] == [AUDIENCE]


def test_plan_role_is_trusted_only_by_pull_requests_and_main_of_the_repository(boot):
    trust, _ = iam_role_policy(boot, GITOPS.plan_role_name)
    condition = trust_condition(trust)
    assert condition[f"{GITHUB_OIDC_HOST}:aud"] == AUDIENCE
    assert sorted(as_list(condition[f"{GITHUB_OIDC_HOST}:sub"])) == sorted(
        [f"repo:{REPO}:pull_request", f"repo:{REPO}:ref:refs/heads/{GITOPS.main_branch}"])


@pytest.mark.parametrize("stack", STACKS)
def test_each_apply_role_is_trusted_only_by_its_stacks_environment(boot, stack):
    trust, _ = iam_role_policy(boot, GITOPS.apply_role_name(stack))
    condition = trust_condition(trust)
    assert condition[f"{GITHUB_OIDC_HOST}:aud"] == AUDIENCE
    assert as_list(condition[f"{GITHUB_OIDC_HOST}:sub"]) == [f"repo:{REPO}:environment:{GITOPS.environments[stack]}"]


def test_no_trust_has_a_wildcard(boot):
    for role in resources(boot, "aws_iam_role").values():
        assert "*" not in role["assume_role_policy"], f"{role['name']}: a wildcard in its trust policy"


def allowed(policy: dict, action: str, resource: str, who: dict) -> bool:
    return evaluate(policy, action, resource, who, context(who)) == "PERMITTED"


def test_plan_role_reads_state_writes_only_locks_and_assumes_only_the_account_plan_roles(boot):
    _, policy = iam_role_policy(boot, GITOPS.plan_role_name)
    who = caller(GOV, GITOPS.plan_role_name)
    for stack in STACKS:
        state = f"{STATES}/{stack}.tfstate"
        assert allowed(policy, "s3:GetObject", state, who)
        assert not allowed(policy, "s3:PutObject", state, who)
        assert not allowed(policy, "s3:DeleteObject", state, who)
        assert allowed(policy, "s3:PutObject", f"{state}.tflock", who) and allowed(policy, "s3:DeleteObject", f"{state}.tflock", who)
    assumable = {r for st in statements(policy) if "sts:AssumeRole" in as_list(st["Action"]) for r in as_list(st["Resource"])}
    assert assumable == {role_arn(PLATFORM.account_id(r), GITOPS.account_plan_role_name) for r in AccountRole}


@pytest.mark.parametrize("stack", STACKS)
def test_apply_role_writes_only_its_state_and_assumes_only_its_accounts_terraform_role(boot, stack):
    _, policy = iam_role_policy(boot, GITOPS.apply_role_name(stack))
    who = caller(GOV, GITOPS.apply_role_name(stack))
    for other in (*STACKS, "bootstrap"):
        state = f"{STATES}/{other}.tfstate"
        assert allowed(policy, "s3:PutObject", state, who) is (other == stack)
        assert allowed(policy, "s3:GetObject", state, who) is (other == stack)
        assert allowed(policy, "s3:DeleteObject", f"{state}.tflock", who) is (other == stack)
    assert not allowed(policy, "s3:DeleteObject", f"{STATES}/{stack}.tfstate", who)
    assumable = {r for st in statements(policy) if "sts:AssumeRole" in as_list(st["Action"]) for r in as_list(st["Resource"])}
    assert assumable == {role_arn(PLATFORM.account_id(AccountRole(stack)), PLATFORM.terraform_role_name)}


# --- the read-only plan role of each account -----------------------------------------------------

def account_plan_role(boot: dict, role: AccountRole) -> tuple[dict, dict, dict]:
    """(role body, trust, policy) of the account plan role created through the account's provider."""
    provider = "aws" if role == AccountRole.GOVERNANCE else f"aws.{role.value}"
    [(address, body)] = [(a, b) for a, b in resources(boot, "aws_iam_role").items()
                         if b["name"] == GITOPS.account_plan_role_name and b.get("provider", "aws") == provider]
    [inline] = attached(boot, "aws_iam_role_policy", "role", "aws_iam_role", address)
    assert inline.get("provider", "aws") == provider
    return body, json.loads(body["assume_role_policy"]), json.loads(inline["policy"])


def test_every_account_has_its_provider_pinned_to_it(boot):
    providers = {p.get("alias", "governance"): p for p in boot["provider"]["aws"]}
    assert sorted(providers) == sorted(STACKS)
    for stack, provider in providers.items():
        assert provider["allowed_account_ids"] == [PLATFORM.account_id(AccountRole(stack))]


@pytest.mark.parametrize("role", list(AccountRole))
def test_account_plan_role_is_trusted_only_by_the_plan_role(boot, role):
    _, trust, _ = account_plan_role(boot, role)
    [statement] = statements(trust)
    assert statement["Principal"] == {"AWS": [role_arn(GOV, GITOPS.plan_role_name)]}
    assert "Condition" not in statement or "sts:SourceIdentity" not in json.dumps(statement)


@pytest.mark.parametrize("role", list(AccountRole))
def test_account_plan_role_reads_no_data(boot, role):
    _, _, policy = account_plan_role(boot, role)
    account = PLATFORM.account_id(role)
    who = caller(account, GITOPS.account_plan_role_name)
    for action in (*DATA_READS, *OBJECT_READS):
        assert evaluate(policy, action, "arn:aws:anything", who, context(who)) == "DENIED", action
        for st in statements(policy):
            if st["Effect"] == "Allow" and any(fnmatchcase(action.lower(), a.lower()) for a in as_list(st["Action"])):
                assert action.startswith("s3:GetObject") and all(r.startswith("arn:aws:s3:::") and "*" not in r
                                                                 for r in as_list(st["Resource"])), (action, st["Sid"])
    assert evaluate(policy, "s3:GetObject", DATA_OBJECT, who, context(who)) == "DENIED"
    for st in statements(policy):
        assert st["Effect"] == "Deny" or not any(a in ("*",) or a.endswith(":*") for a in as_list(st["Action"])), st["Sid"]


@pytest.mark.parametrize("role", list(AccountRole))
def test_account_plan_role_reads_the_configuration_of_every_resource_its_stack_manages(synth, boot, role):
    _, _, policy = account_plan_role(boot, role)
    granted = {st["Sid"] for st in statements(policy) if st["Effect"] == "Allow"}
    needed = {service_of(t) for t in synth.stacks[role.value]["resource"]}
    assert None not in needed
    assert {f"Read{s.capitalize()}Configuration" for s in needed} <= granted
    assert all(READ_GROUPS[s].why for s in needed)
    for config_object in resources(synth.stacks[role.value], "aws_s3_object").values():
        bucket = referenced(synth.stacks[role.value], config_object["bucket"])[2]["bucket"]
        who = caller(PLATFORM.account_id(role), GITOPS.account_plan_role_name)
        assert evaluate(policy, "s3:GetObject", f"arn:aws:s3:::{bucket}/{config_object['key']}", who, context(who)) == "PERMITTED"


# --- the account stacks' provider role -----------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_provider_role_is_an_ephemeral_variable_of_the_stacks_account(synth, stack):
    variable = synth.stacks[stack]["variable"]["assume_role_arn"]
    assert variable["ephemeral"] is True, "a saved plan would otherwise record (and pin) the role"
    account = PLATFORM.account_id(AccountRole(stack))
    [validation] = variable["validation"]
    assert f'"arn:aws:iam::{account}:role/"' in validation["condition"]
