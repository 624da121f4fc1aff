"""Every ARN, service principal and endpoint name follows the config's partition.

The example config moved to cn-north-1 (aws-cn: other ARN prefix and DNS suffix) is synthesized once
per session (tests/conftest.py china_synth); nothing of the commercial partition may be left in it.
"""

from __future__ import annotations

import json
import re

import pytest

from tf_json import STACKS, as_list, one, policy_documents, resources, statements

pytestmark = pytest.mark.synth

REGION, PARTITION, SUFFIX = "cn-north-1", "aws-cn", "amazonaws.com.cn"
ARN = re.compile(r"arn:[a-z0-9-]*:")
# A regional endpoint name with the commercial suffix, e.g. s3.cn-north-1.amazonaws.com (not ...com.cn).
COMMERCIAL_HOST = re.compile(rf"[a-z0-9-]+\.{REGION}\.amazonaws\.com(?!\.cn)")


def _text(china_synth, stack: str) -> str:
    return json.dumps(china_synth.stacks[stack])


@pytest.mark.parametrize("stack", STACKS)
def test_every_arn_is_in_the_configs_partition(china_synth, stack):
    prefixes = set(ARN.findall(_text(china_synth, stack)))
    assert prefixes == {f"arn:{PARTITION}:"}, f"{stack}: ARNs of other partitions: {sorted(prefixes - {f'arn:{PARTITION}:'})}"


@pytest.mark.parametrize("stack", STACKS)
def test_regional_endpoint_names_carry_the_partitions_dns_suffix(china_synth, stack):
    assert not COMMERCIAL_HOST.findall(_text(china_synth, stack)), stack


def _service_principals(stack: dict) -> set[str]:
    return {p for _, doc in policy_documents(stack) for st in statements(doc)
            for p in as_list(st.get("Principal", {}).get("Service", [])) if isinstance(st.get("Principal"), dict)}


def test_service_principals_follow_the_partitions_exceptions(china_synth):
    principals = set().union(*(_service_principals(s) for s in china_synth.stacks.values()))
    # CloudWatch Logs is one of the services whose principal carries the China suffix; the others do not.
    assert f"logs.{REGION}.{SUFFIX}" in principals
    assert {"lambda.amazonaws.com", "sagemaker.amazonaws.com", "events.amazonaws.com"} <= principals
    assert not [p for p in principals if p.startswith("logs.") and not p.endswith(SUFFIX)], principals


def test_cross_account_key_use_is_limited_to_the_partitions_s3_and_ecr(china_synth):
    via = {v for _, doc in policy_documents(china_synth.stacks["governance"]) for st in statements(doc)
           for v in as_list(st.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", []))}
    assert via == {f"ecr.{REGION}.{SUFFIX}", f"s3.{REGION}.{SUFFIX}"}


@pytest.mark.parametrize("stack", STACKS)
def test_terraform_assumes_its_role_in_the_partition(china_synth, stack):
    provider = one(china_synth.stacks[stack]["provider"]["aws"])
    assert one(provider["assume_role"])["role_arn"] == "${var.assume_role_arn}"
    assert china_synth.stacks[stack]["variable"]["assume_role_arn"]["default"].startswith(f"arn:{PARTITION}:iam::")
    assert provider["region"] == REGION


def test_decision_function_compares_package_arns_of_the_partition(china_synth):
    functions = resources(china_synth.stacks["governance"], "aws_lambda_function").values()
    prefixes = [f["environment"]["variables"]["MODEL_PACKAGE_ARN_PREFIX"] for f in functions
                if "MODEL_PACKAGE_ARN_PREFIX" in f.get("environment", {}).get("variables", {})]
    assert prefixes and all(p.startswith(f"arn:{PARTITION}:sagemaker:{REGION}:") for p in prefixes), prefixes


def test_commercial_config_still_synthesizes_commercial_arns(synth):
    # The same code, the default config: only arn:aws: (guards against a partition fixed to aws-cn).
    assert set(ARN.findall(json.dumps(synth.stacks["governance"]))) == {"arn:aws:"}
