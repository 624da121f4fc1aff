"""Who may write evidence and who may call what: the metrics bus, metrics-ingest, the publishers, the
inference APIs, the deployer's PassRole, log groups and drift alarms (DESIGN.md section 5)."""

from __future__ import annotations

import json

import pytest

from mlgov_config import AccountRole
from modules.naming import Names
from tf_json import actions, as_list, config, iam_role_policy, principal_values, referenced, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
TRUST = CONFIG.platform.role_trust
TEST, PROD = CONFIG.platform.account_id(AccountRole.TEST), CONFIG.platform.account_id(AccountRole.PROD)
PUBLISHER = f"{PREFIX}-metrics-publisher"
GOVERNED_KEYS = ("sagemaker:ModelApprovalStatus", "sagemaker:ModelLifeCycle:stage", "sagemaker:ModelLifeCycle:stageStatus")
WORKLOADS = ("test", "prod")


def _publisher_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{PUBLISHER}"


def test_metrics_bus_admits_only_the_publisher_role_of_each_sender_account(synth):
    gov = synth.stacks["governance"]
    [policy] = resources(gov, "aws_cloudwatch_event_bus_policy").values()
    allows = [s for s in statements(json.loads(policy["policy"])) if s["Effect"] == "Allow"]
    assert allows
    for s in allows:
        # Account roots (the roles do not exist yet when governance applies) narrowed to the publisher roles.
        assert sorted(principal_values(s)) == [f"arn:aws:iam::{TEST}:root", f"arn:aws:iam::{PROD}:root"], s
        arns = as_list(s["Condition"]["ArnEquals"]["aws:PrincipalArn"])
        assert sorted(arns) == [_publisher_arn(TEST), _publisher_arn(PROD)], s
        assert not any(a.endswith(f"role/{PREFIX}-deployer") or "*" in a for a in arns), s


def test_metrics_ingest_may_write_metadata_but_never_approval_status_or_lifecycle(synth):
    gov = synth.stacks["governance"]
    [function] = [f for f in resources(gov, "aws_lambda_function").values() if f["function_name"] == NAMES.function("metrics-ingest")]
    _, _, role = referenced(gov, function["role"])
    _, policy = iam_role_policy(gov, role["name"])
    denies = [s for s in statements(policy) if s["Effect"] == "Deny" and "sagemaker:UpdateModelPackage" in actions(s)]
    for key in GOVERNED_KEYS:
        assert any(s["Condition"].get("Null", {}).get(key) == "false" for s in denies), f"no Deny on setting {key}"
    updates = [s for s in statements(policy) if s["Effect"] == "Allow" and "sagemaker:UpdateModelPackage" in actions(s)]
    groups = {f"arn:aws:sagemaker:{NAMES.region}:{NAMES.governance_account}:model-package/{uc.model_package_group.name.lower()}/*"
              for uc in CONFIG.use_cases.values()}
    assert updates and all(set(as_list(s["Resource"])) == groups for s in updates)
    reads = [s for s in statements(policy) if s["Effect"] == "Allow" and "dynamodb:GetItem" in actions(s)]
    assert reads and all(not any(r.endswith("/index/*") for r in as_list(s["Resource"])) for s in reads)


@pytest.mark.parametrize(("stage", "trusted"), [("test", TRUST.qa_publisher), ("prod", TRUST.metrics_publisher)])
def test_publisher_is_trusted_by_its_own_principals_never_the_deployers(synth, stage, trusted):
    trust, _ = iam_role_policy(synth.stacks[stage], PUBLISHER)
    principals = {p for s in statements(trust) for p in principal_values(s)}
    assert principals == set(trusted)
    assert not principals & set(TRUST.deployer), "the deployer could attest the QA of what it deploys"


@pytest.mark.parametrize("stage", WORKLOADS)
def test_inference_api_may_be_invoked_only_by_the_publisher_role(synth, stage):
    stack = synth.stacks[stage]
    apis = resources(stack, "aws_api_gateway_rest_api")
    policies = resources(stack, "aws_api_gateway_rest_api_policy")
    assert apis and len(policies) == len(apis)
    for body in policies.values():
        doc = statements(json.loads(body["policy"]))
        account = TEST if stage == "test" else PROD
        [allow] = [s for s in doc if s["Effect"] == "Allow"]
        assert principal_values(allow) == [f"arn:aws:iam::{account}:root"]
        assert as_list(allow["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == [_publisher_arn(account)]
        [deny] = [s for s in doc if s["Effect"] == "Deny"]
        assert actions(deny) == ["execute-api:Invoke"] and principal_values(deny) == ["*"]
        assert as_list(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == [_publisher_arn(account)]
    for deployment in resources(stack, "aws_api_gateway_deployment").values():
        assert any(d.startswith("aws_api_gateway_rest_api_policy.") for d in deployment.get("depends_on", [])), \
            "a resource policy takes effect only with a deployment made after it"


@pytest.mark.parametrize("stage", WORKLOADS)
def test_service_log_groups_are_created_encrypted_with_retention(synth, stage):
    stack = synth.stacks[stage]
    groups = {g["name"]: g for g in resources(stack, "aws_cloudwatch_log_group").values()}
    endpoints = [e["name"] for e in resources(stack, "aws_sagemaker_endpoint").values()]
    apis = list(resources(stack, "aws_api_gateway_rest_api"))
    expected = [f"/aws/sagemaker/Endpoints/{e}" for e in endpoints]
    expected += [f"API-Gateway-Execution-Logs_${{aws_api_gateway_rest_api.{a}.id}}/v1" for a in apis]
    assert endpoints and apis
    for name in expected:
        assert name in groups, f"{name} would be created implicitly, unencrypted and without retention"
        assert groups[name]["kms_key_id"] and groups[name]["retention_in_days"] == CONFIG.platform.governance.log_retention_days
    for body in resources(stack, "aws_api_gateway_method_settings").values():
        assert any(d.startswith("aws_cloudwatch_log_group.") for d in body.get("depends_on", []))


@pytest.mark.parametrize("stage", WORKLOADS)
def test_model_role_may_not_create_its_own_log_group(synth, stage):
    stack = synth.stacks[stage]
    for endpoint in resources(stack, "aws_sagemaker_endpoint").values():
        _, policy = iam_role_policy(stack, f"{endpoint['name']}-model"[:64])
        assert not any("logs:CreateLogGroup" in actions(s) for s in statements(policy) if s["Effect"] == "Allow")


@pytest.mark.parametrize("stage", WORKLOADS)
def test_deployer_may_pass_only_the_model_execution_roles_and_only_to_sagemaker(synth, stage):
    stack = synth.stacks[stage]
    _, policy = iam_role_policy(stack, f"{PREFIX}-deployer")
    passes = [s for s in statements(policy) if s["Effect"] == "Allow" and "iam:PassRole" in actions(s)]
    assert len(passes) == 1, "CreateModel needs iam:PassRole on the model's execution role"
    [grant] = passes
    assert actions(grant) == ["iam:PassRole"]
    assert grant["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    model_roles = {referenced(stack, m["execution_role_arn"])[1] for m in resources(stack, "aws_sagemaker_model").values()}
    passed = {referenced(stack, r)[1] for r in as_list(grant["Resource"])}  # each a reference, never a pattern
    assert model_roles and passed == model_roles


def test_drift_alarms_treat_a_silent_monitor_as_breaching_and_traffic_alarms_do_not(synth):
    alarms = resources(synth.stacks["prod"], "aws_cloudwatch_metric_alarm").values()
    drift = [a for a in alarms if a["metric_name"].startswith("feature_baseline_drift_")]
    assert drift, "prod config names drift_alarm_features"
    assert all(a["treat_missing_data"] == "breaching" for a in drift)
    traffic = [a for a in alarms if a["metric_name"] in ("Invocation5XXErrors", "ModelLatency")]
    assert traffic and all(a["treat_missing_data"] == "notBreaching" for a in traffic)


def test_monitor_role_may_decrypt_the_governance_artifact_key(synth):
    stack = synth.stacks["prod"]
    [schedule] = resources(stack, "aws_sagemaker_data_quality_job_definition").values()
    _, _, role = referenced(stack, schedule["role_arn"])
    _, policy = iam_role_policy(stack, role["name"])
    key = NAMES.artifact_key_pattern_arn()
    decrypts = [s for s in statements(policy) if s["Effect"] == "Allow" and "kms:Decrypt" in actions(s)
                and key in as_list(s["Resource"])]
    assert decrypts, "the monitoring job cannot read the baseline, encrypted with the artifact key"


def test_alarm_topics_subscribe_the_configured_email():
    from cdktf import App, TerraformStack

    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    from mlgov_config.regions import partition_of

    stack = TerraformStack(App(), "alarms")
    stack.partition = partition_of("eu-west-1")  # what an AccountStack carries (modules/partition.py)
    AlarmTopic(stack, "with", AlarmTopicProps("t1", "111111111111", "arn:aws:kms:eu-west-1:111111111111:key/k", "ops@example.com"))
    AlarmTopic(stack, "without", AlarmTopicProps("t2", "111111111111", "arn:aws:kms:eu-west-1:111111111111:key/k"))
    from cdktf import Testing

    synthesized = json.loads(Testing.synth(stack))
    subscriptions = list(synthesized["resource"]["aws_sns_topic_subscription"].values())
    assert [(s["protocol"], s["endpoint"]) for s in subscriptions] == [("email", "ops@example.com")]
