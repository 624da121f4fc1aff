"""The partition of a region (mlgov_config/regions.py): ARNs, service principals, endpoint names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlgov_config.regions import partition_of
from modules.naming import Names

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("region", "partition", "suffix"), [
    ("eu-west-1", "aws", "amazonaws.com"), ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-east-1", "aws-us-gov", "amazonaws.com")])
def test_partition_and_dns_suffix_come_from_botocore(region, partition, suffix):
    p = partition_of(region)
    assert (p.id, p.dns_suffix) == (partition, suffix)
    assert p.iam_arn("111111111111", "root") == f"arn:{partition}:iam::111111111111:root"
    assert p.s3_arn("bucket/key") == f"arn:{partition}:s3:::bucket/key"
    assert p.service_host("s3", region) == f"s3.{region}.{suffix}"


@pytest.mark.parametrize(("region", "service", "principal"), [
    ("cn-north-1", "logs", "logs.cn-north-1.amazonaws.com.cn"),  # regional, China's own suffix
    ("cn-north-1", "lambda", "lambda.amazonaws.com"),  # most principals keep amazonaws.com in China too
    ("cn-north-1", "events", "events.amazonaws.com"),
    ("us-gov-west-1", "logs", "logs.us-gov-west-1.amazonaws.com"),
    ("eu-west-1", "sagemaker", "sagemaker.amazonaws.com"),
])
def test_service_principals(region, service, principal):
    p = partition_of(region)
    assert p.service_principal(service, region if service == "logs" else None) == principal


def test_names_derive_every_arn_from_the_home_regions_partition():
    names = Names("mlgov", "us-gov-west-1", "111111111111")
    arns = [names.metrics_bus_arn(), names.package_arn("g", 1), names.decision_function_role_arn, names.role_arn("r"),
            names.artifact_bucket_arn(), names.artifact_key_pattern_arn(), names.model_repository_arn(),
            names.group_arn("g"), names.group_packages_arn("g")]
    assert all(arn.startswith("arn:aws-us-gov:") for arn in arns), arns


def test_no_commercial_arn_literal_in_modules_or_stacks():
    literal = re.compile(r"arn:aws:")
    found = [f"{path.relative_to(REPO_ROOT)}:{n}" for folder in ("modules", "stacks")
             for path in sorted((REPO_ROOT / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert not found, found
