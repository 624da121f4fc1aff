"""One deployment, one partition: every region and ARN of the config in the home region's partition.

IAM trust, resource policies, RAM shares and Lambda layers never cross a partition boundary, and a
GovCloud or China account's credentials cannot reach a commercial state bucket, so a config mixing
partitions would only fail at apply (or, worse, trust nobody). Refused here, naming both fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlgov_config.models import PlatformConfig, UseCaseConfig
from mlgov_config.regions import partition_of, region_problem

HOME = "home_region"
# <account>.dkr.ecr.<region>.<dns suffix>/<repository>
_IMAGE_HOST = re.compile(r"^[0-9]{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?P<suffix>[a-z.]+?)/")


def _arn_partitions(platform: PlatformConfig) -> Iterator[tuple[str, str, str]]:
    """(field, value, partition) of every ARN in platform.yaml."""
    for name in type(platform.role_trust).model_fields:
        for arn in getattr(platform.role_trust, name):
            yield f"role_trust.{name}", arn, arn.split(":")[1]
    for role, arns in platform.ram_permissions.items():
        for arn in arns:
            yield f"ram_permissions.{role.value}", arn, arn.split(":")[1]
    layer = platform.governance.powertools_layer_arn
    yield "governance.powertools_layer_arn", layer, layer.split(":")[1]


def _mixed(field: str, value: str, partition: str, platform: PlatformConfig) -> str:
    home = partition_of(platform.home_region).id
    return (f"field '{field}': {value[:100]!r} is in the partition {partition!r}, but {HOME} "
            f"{platform.home_region!r} is in {home!r}; all accounts of a deployment must be in one partition "
            "(trust, RAM shares and layers do not cross partitions)")


def platform_problems(platform: PlatformConfig) -> list[str]:
    home = partition_of(platform.home_region).id
    backend = platform.state_backend.region
    problems = [_mixed("state_backend.region", backend, partition_of(backend).id, platform)] \
        if partition_of(backend).id != home else []
    problems += [_mixed(field, value, partition, platform)
                 for field, value, partition in _arn_partitions(platform) if partition != home]
    identity = platform.quicksight_identity_region()
    if partition_of(identity).id != home:  # QuickSight's group ARNs name it; a grant never crosses partitions
        problems.append(_mixed("governance.dashboard.identity_region", identity, partition_of(identity).id, platform))
    layer_region = platform.governance.powertools_layer_arn.split(":")[3]
    if not problems and layer_region != platform.home_region:
        problems.append(f"field 'governance.powertools_layer_arn': the layer is in {layer_region!r}; Lambda adds "
                        f"layers of the function's own region only ({HOME} {platform.home_region!r})")
    return problems


def use_case_problems(uc: UseCaseConfig, platform: PlatformConfig) -> list[str]:
    """The Model Monitor image is pulled from ECR of the home region's partition (its DNS suffix)."""
    prod = uc.deployments.prod
    if prod is None:
        return []
    field, image = "deployments.prod.monitoring.analyzer_image_uri", prod.monitoring.analyzer_image_uri
    match = _IMAGE_HOST.match(image)
    if match is None:
        return [f"field '{field}': {image[:100]!r} is not <account>.dkr.ecr.<region>.<aws domain>/<repository>"]
    problem = region_problem(match["region"])
    if problem:
        return [f"field '{field}': {problem}"]
    home, image_partition = partition_of(platform.home_region), partition_of(match["region"])
    if image_partition.id != home.id:
        return [_mixed(field, image, image_partition.id, platform)]
    if match["suffix"] != home.dns_suffix:
        return [f"field '{field}': ECR hosts in {home.id!r} end in {home.dns_suffix!r}, not {match['suffix']!r} "
                f"(value {image[:100]!r})"]
    return []
