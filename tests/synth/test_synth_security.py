"""Security properties of every synthesized stack, read from the Terraform JSON (not resource counts).

Each test checks every resource of its kind in every stack; the governance stack is where most of
them live, and a test that would find nothing to check fails instead of passing vacuously.
"""

from __future__ import annotations

import json

import pytest

from modules.naming import Names
from mlgov_config import AccountRole
from tf_json import STACKS, as_list, attached, config, one, refers_to, resources

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)


def every(synth, type_: str) -> list[tuple[str, str, dict, dict]]:
    """(stack name, resource name, body, stack) for every resource of a type in every stack; never empty."""
    found = [(s, name, body, stack) for s, stack in synth.stacks.items() for name, body in resources(stack, type_).items()]
    assert found, f"no {type_} in any stack: the property below would pass vacuously"
    return found


def is_kms_key_reference(value) -> bool:
    return isinstance(value, str) and (value.startswith("${aws_kms_key.") or value.startswith("arn:aws:kms:"))


# --- S3 ------------------------------------------------------------------------------------------

def sse_default(stack: dict, bucket: str) -> dict:
    [config_] = attached(stack, "aws_s3_bucket_server_side_encryption_configuration", "bucket", "aws_s3_bucket", bucket)
    return one(one(config_["rule"])["apply_server_side_encryption_by_default"])


def test_buckets_block_all_public_access(synth):
    for s, name, _, stack in every(synth, "aws_s3_bucket"):
        blocks = attached(stack, "aws_s3_bucket_public_access_block", "bucket", "aws_s3_bucket", name)
        assert len(blocks) == 1, f"{s}: bucket {name} has {len(blocks)} public access blocks"
        flags = {k: blocks[0].get(k) for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")}
        assert all(v is True for v in flags.values()), f"{s}: bucket {name} public access block {flags}"


def is_access_log_bucket(stack_name: str, bucket: str) -> bool:
    """Each account stack has exactly one access-log bucket, named after the account and region; terraform/bootstrap
    has the state bucket's own (modules/state_bucket.py)."""
    if stack_name == "bootstrap":
        return bucket == NAMES.state_access_log_bucket(CONFIG.platform.state_backend.region)
    account = CONFIG.platform.account_id(AccountRole(stack_name))
    return bucket == f"{CONFIG.platform.name_prefix}-access-logs-{account}-{CONFIG.platform.home_region}"


def test_buckets_encrypt_with_kms_except_the_access_log_target(synth):
    for s, name, body, stack in every(synth, "aws_s3_bucket"):
        default = sse_default(stack, name)
        if is_access_log_bucket(s, body["bucket"]):
            # S3 server access logging delivers only to SSE-S3 buckets.
            assert default["sse_algorithm"] == "AES256", f"{s}: access-log bucket {name}: {default}"
        else:
            assert default["sse_algorithm"] == "aws:kms", f"{s}: bucket {name}: {default}"
            assert is_kms_key_reference(default.get("kms_master_key_id")), f"{s}: bucket {name} has no KMS key: {default}"


def test_every_other_bucket_logs_to_the_access_log_bucket(synth):
    for s, name, body, stack in every(synth, "aws_s3_bucket"):
        log_targets = {n for n, b in resources(stack, "aws_s3_bucket").items() if is_access_log_bucket(s, b["bucket"])}
        assert len(log_targets) == 1, f"{s}: expected one access-log bucket, found {sorted(log_targets)}"
        logging = attached(stack, "aws_s3_bucket_logging", "bucket", "aws_s3_bucket", name)
        if is_access_log_bucket(s, body["bucket"]):
            assert not logging, f"{s}: the access-log bucket {name} must not log to another bucket"
            continue
        assert len(logging) == 1, f"{s}: bucket {name} has no access logging"
        target = logging[0]["target_bucket"]
        assert any(refers_to(target, "aws_s3_bucket", t) for t in log_targets), \
            f"{s}: bucket {name} logs to {target!r}, not to the account's access-log bucket"


def test_buckets_are_versioned(synth):
    for s, name, _, stack in every(synth, "aws_s3_bucket"):
        versioning = attached(stack, "aws_s3_bucket_versioning", "bucket", "aws_s3_bucket", name)
        assert len(versioning) == 1, f"{s}: bucket {name} has no versioning resource"
        assert one(versioning[0]["versioning_configuration"])["status"] == "Enabled", f"{s}: bucket {name}"


def test_buckets_deny_insecure_transport(synth):
    for s, name, body, stack in every(synth, "aws_s3_bucket"):
        policies = attached(stack, "aws_s3_bucket_policy", "bucket", "aws_s3_bucket", name)
        assert len(policies) == 1, f"{s}: bucket {name} has {len(policies)} bucket policies"
        arn = f"arn:aws:s3:::{body['bucket']}"
        denies = [
            st for st in json.loads(policies[0]["policy"])["Statement"]
            if st["Effect"] == "Deny"
            and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
            and "s3:*" in as_list(st["Action"])
            and {arn, f"{arn}/*"} <= set(as_list(st["Resource"]))
        ]
        assert denies, f"{s}: bucket {name}'s policy does not deny s3:* on {arn} and {arn}/* when aws:SecureTransport=false"


# --- keys, tables, queues, logs, topics, repositories ---------------------------------------------

def test_kms_keys_rotate(synth):
    for s, name, body, _ in every(synth, "aws_kms_key"):
        assert body.get("enable_key_rotation") is True, f"{s}: KMS key {name} does not rotate"


def test_dynamodb_tables_are_recoverable_encrypted_and_protected(synth):
    assert CONFIG.platform.governance.deletion_protection is True, "config turns deletion protection off"
    for s, name, body, _ in every(synth, "aws_dynamodb_table"):
        assert one(body.get("point_in_time_recovery", []))["enabled"] is True, f"{s}: table {name} has no PITR"
        sse = one(body.get("server_side_encryption", []))
        assert sse.get("enabled") is True and is_kms_key_reference(sse.get("kms_key_arn")), f"{s}: table {name} SSE {sse}"
        assert body.get("deletion_protection_enabled") is CONFIG.platform.governance.deletion_protection, \
            f"{s}: table {name} deletion_protection_enabled={body.get('deletion_protection_enabled')!r}, config says " \
            f"{CONFIG.platform.governance.deletion_protection}"


def test_sqs_queues_use_kms(synth):
    for s, name, body, _ in every(synth, "aws_sqs_queue"):
        assert is_kms_key_reference(body.get("kms_master_key_id")), f"{s}: queue {name} is not KMS-encrypted"


def test_log_groups_expire_and_use_kms(synth):
    for s, name, body, _ in every(synth, "aws_cloudwatch_log_group"):
        assert body.get("retention_in_days", 0) > 0, f"{s}: log group {name} keeps logs forever"
        assert is_kms_key_reference(body.get("kms_key_id")), f"{s}: log group {name} is not KMS-encrypted"


def test_sns_topics_use_kms(synth):
    for s, name, body, _ in every(synth, "aws_sns_topic"):
        assert is_kms_key_reference(body.get("kms_master_key_id")), f"{s}: topic {name} is not KMS-encrypted"


def test_ecr_repositories_are_immutable_scanned_and_kms_encrypted(synth):
    for s, name, body, _ in every(synth, "aws_ecr_repository"):
        assert body.get("image_tag_mutability") == "IMMUTABLE", f"{s}: repository {name}"
        assert one(body.get("image_scanning_configuration", []))["scan_on_push"] is True, f"{s}: repository {name}"
        encryption = one(body.get("encryption_configuration", []))
        assert encryption["encryption_type"] == "KMS" and is_kms_key_reference(encryption.get("kms_key")), \
            f"{s}: repository {name} encryption {encryption}"


def test_ram_shares_stay_inside_the_organization(synth):
    for s, name, body, _ in every(synth, "aws_ram_resource_share"):
        assert body.get("allow_external_principals") is False, f"{s}: RAM share {name} allows external principals"


# --- Lambda --------------------------------------------------------------------------------------

def test_lambdas_are_traced_bounded_encrypted_and_have_a_failure_destination(synth):
    for s, name, body, stack in every(synth, "aws_lambda_function"):
        assert one(body.get("tracing_config", []))["mode"] == "Active", f"{s}: function {name} is not traced"
        assert body.get("reserved_concurrent_executions", -1) >= 1, f"{s}: function {name} has unbounded concurrency"
        assert is_kms_key_reference(body.get("kms_key_arn")), f"{s}: function {name}'s environment uses the AWS key"
        invoke = attached(stack, "aws_lambda_function_event_invoke_config", "function_name", "aws_lambda_function", name)
        callers = {p["principal"] for p in attached(stack, "aws_lambda_permission", "function_name", "aws_lambda_function", name)}
        if callers == {"apigateway.amazonaws.com"}:
            # Synchronous: errors return to the API caller, there is nothing to dead-letter.
            assert not invoke, f"{s}: API function {name} has an async config it never uses"
            continue
        assert len(invoke) == 1, f"{s}: function {name} has no event invoke config"
        destination = one(one(invoke[0]["destination_config"])["on_failure"]).get("destination")
        assert destination, f"{s}: function {name}'s failed async events vanish (no on_failure destination)"


# --- provider and backend ------------------------------------------------------------------------

@pytest.mark.parametrize("stack_name", STACKS)
def test_provider_is_pinned_to_the_stack_account(synth, stack_name):
    platform = CONFIG.platform
    account = platform.account_id(AccountRole(stack_name))
    providers = synth.stacks[stack_name]["provider"]["aws"]
    assert providers, f"{stack_name}: no aws provider"
    for provider in as_list(providers):
        assert provider.get("allowed_account_ids") == [account], f"{stack_name}: provider allowed_account_ids"
        # The role comes from the stack's input variable; by default the account's Terraform role.
        assert one(provider["assume_role"])["role_arn"] == "${var.assume_role_arn}", f"{stack_name}: assume_role"
        role_arn = synth.stacks[stack_name]["variable"]["assume_role_arn"]["default"]
        assert role_arn == f"arn:aws:iam::{account}:role/{platform.terraform_role_name}", f"{stack_name}: assumes {role_arn}"
        tags = one(provider["default_tags"])["tags"]
        missing = {k: v for k, v in platform.default_tags.items() if tags.get(k) != v}
        assert not missing, f"{stack_name}: provider default tags lack {missing}"


@pytest.mark.parametrize("stack_name", STACKS)
def test_backend_is_s3_with_native_locking(synth, stack_name):
    backend = synth.stacks[stack_name]["terraform"]["backend"]
    assert list(backend) == ["s3"], f"{stack_name}: backend {list(backend)}"
    s3 = backend["s3"]
    assert s3.get("use_lockfile") is True, f"{stack_name}: S3 backend without use_lockfile"
    # `encrypt` without a kms_key_id would ask for SSE-S3, which the state bucket refuses: its default
    # SSE-KMS with its own key encrypts every state (tests/synth/test_synth_bootstrap.py).
    assert "encrypt" not in s3 and "kms_key_id" not in s3, f"{stack_name}: S3 backend overrides the bucket's encryption"
    assert s3.get("bucket") == CONFIG.platform.state_backend.bucket


def test_every_stack_has_its_own_state_key(synth):
    keys = {name: stack["terraform"]["backend"]["s3"]["key"] for name, stack in synth.stacks.items()}
    assert len(set(keys.values())) == len(keys), f"stacks share a state key: {keys}"
