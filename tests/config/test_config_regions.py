"""Regions are real regions of a supported partition, and one deployment lives in one partition.

Classes: unknown regions (with the nearest known region suggested), regions of unsupported
partitions, mixed partitions (naming both fields), a layer outside the home region.
"""

from __future__ import annotations

import boto3
import pytest

from config_edits import CREDIT_RISK, PLATFORM, move_to_region, refusal, replace_line
from mlgov_config import load_config
from mlgov_config.regions import SUPPORTED_PARTITIONS, known_regions

BACKEND_REGION = "  region: eu-west-1"

# (description, line as committed, line as mistyped, words the message must contain)
UNKNOWN_REGIONS = [
    ("transposed letters", "home_region: eu-west-1", "home_region: eu-wset-1", ["'home_region'", "'eu-wset-1'", "did you mean 'eu-west-1'"]),
    ("no such number", "home_region: eu-west-1", "home_region: us-east-7", ["'home_region'", "'us-east-7'", "did you mean 'us-east-"]),
    ("upper case", "home_region: eu-west-1", "home_region: EU-WEST-1", ["'home_region'", "did you mean 'eu-west-1'"]),
    ("GCP spelling", BACKEND_REGION, "  region: europe-west1", ["'state_backend.region'", "'europe-west1'", "did you mean"]),
    ("pseudo region", BACKEND_REGION, "  region: aws-global", ["'state_backend.region'", "'aws-global'", "not an AWS region"]),
    ("isolated partition", "home_region: eu-west-1", "home_region: us-iso-east-1", ["'home_region'", "'aws-iso'", "not support"]),
    ("sovereign cloud", BACKEND_REGION, "  region: eusc-de-east-1", ["'state_backend.region'", "'aws-eusc'", "not support"]),
]


@pytest.mark.parametrize("case", UNKNOWN_REGIONS, ids=[c[0] for c in UNKNOWN_REGIONS])
def test_unknown_region_is_refused_with_the_nearest_known(config_dir, case):
    _, old, new, words = case
    replace_line(config_dir, PLATFORM, old, new)
    message = refusal(config_dir)
    assert "platform.yaml" in message
    for word in words:
        assert word in message


def test_known_regions_are_botocores_for_every_supported_partition():
    session = boto3.session.Session()
    for partition in SUPPORTED_PARTITIONS:
        regions = session.get_available_regions("sagemaker", partition_name=partition)
        assert regions and set(regions) <= set(known_regions()), partition
    assert not [r for r in known_regions() if r.startswith(("us-iso", "eusc-"))]


@pytest.mark.parametrize("region", ["mx-central-1", "ap-southeast-7", "cn-northwest-1", "us-gov-east-1"])
def test_regions_outside_the_old_hand_typed_pattern_list_load(config_dir, region):
    move_to_region(config_dir, region)
    assert load_config(config_dir).platform.home_region == region


# (description, file, line in the GovCloud copy, line from another partition, field named)
MIXED = [
    ("trust ARN", PLATFORM, "- arn:aws-us-gov:iam::111111111111:role/mlgov-cd-pipeline",
     "- arn:aws:iam::111111111111:role/mlgov-cd-pipeline", "role_trust.deployer"),
    ("RAM permission", PLATFORM, "- arn:aws-us-gov:ram::aws:permission/AWSRAMPermissionSageMakerModelPackageGroupAllowRegister",
     "- arn:aws-cn:ram::aws:permission/AWSRAMPermissionSageMakerModelPackageGroupAllowRegister", "ram_permissions.dev"),
    ("layer ARN", PLATFORM, "powertools_layer_arn: arn:aws-us-gov:lambda:us-gov-west-1:",
     "powertools_layer_arn: arn:aws:lambda:us-gov-west-1:", "governance.powertools_layer_arn"),
    ("state backend", PLATFORM, "  region: us-gov-west-1", "  region: us-east-1", "state_backend.region"),
    ("monitor image", CREDIT_RISK, ".dkr.ecr.us-gov-west-1.amazonaws.com/", ".dkr.ecr.eu-west-1.amazonaws.com/",
     "deployments.prod.monitoring.analyzer_image_uri"),
]


@pytest.mark.parametrize("case", MIXED, ids=[c[0] for c in MIXED])
def test_mixed_partitions_are_refused_naming_both(config_dir, case):
    _, rel, old, new, field = case
    move_to_region(config_dir, "us-gov-west-1")
    replace_line(config_dir, rel, old, new)
    message = refusal(config_dir)
    assert rel.split("/")[-1] in message
    assert f"'{field}'" in message and "home_region 'us-gov-west-1'" in message and "'aws-us-gov'" in message
    assert "one partition" in message


def test_china_ecr_host_needs_the_china_dns_suffix(config_dir):
    move_to_region(config_dir, "cn-north-1")
    replace_line(config_dir, CREDIT_RISK, ".dkr.ecr.cn-north-1.amazonaws.com.cn/", ".dkr.ecr.cn-north-1.amazonaws.com/")
    message = refusal(config_dir)
    assert "analyzer_image_uri" in message and "'amazonaws.com.cn'" in message


def test_monitor_image_in_an_unknown_region_is_refused(config_dir):
    replace_line(config_dir, CREDIT_RISK, ".dkr.ecr.eu-west-1.", ".dkr.ecr.eu-weest-1.")
    message = refusal(config_dir)
    assert "analyzer_image_uri" in message and "did you mean 'eu-west-1'" in message


def test_layer_from_another_region_is_refused(config_dir):
    replace_line(config_dir, PLATFORM, "powertools_layer_arn: arn:aws:lambda:eu-west-1:", "powertools_layer_arn: arn:aws:lambda:us-east-1:")
    message = refusal(config_dir)
    assert "governance.powertools_layer_arn" in message and "'us-east-1'" in message and "'eu-west-1'" in message
