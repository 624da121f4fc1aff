"""AWS regions and partitions, read from botocore's bundled endpoint data (never a hand-typed list).

A partition is a separate AWS (commercial, China, GovCloud): its own ARN prefix, DNS suffix and
accounts. IAM trust, resource policies and RAM shares work only within one partition, so one
deployment lives in one partition, derived from its home region here and nowhere else.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

from botocore.loaders import create_loader

# The isolated partitions (aws-iso*, aws-eusc) are left out on purpose: they lack services the stacks
# create (SageMaker managed MLflow, QuickSight, RAM sharing of model package groups) and nothing here
# can check them, so a region there is refused rather than half supported.
SUPPORTED_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

# Services whose principal carries the partition's DNS suffix instead of amazonaws.com. The aws
# provider 5.100.0 uses the same table for its aws_service_principal data source (it follows AWS
# CDK's region-info); every other service principal is <service>.amazonaws.com in every partition.
_OWN_SUFFIX_PRINCIPALS = {"aws-cn": frozenset({"codedeploy", "elasticmapreduce", "logs"})}


@dataclass(frozen=True)
class Partition:
    id: str  # aws, aws-cn, aws-us-gov
    dns_suffix: str  # amazonaws.com, amazonaws.com.cn

    def arn(self, service: str, region: str, account: str, resource: str) -> str:
        return f"arn:{self.id}:{service}:{region}:{account}:{resource}"

    def iam_arn(self, account: str, resource: str) -> str:
        """IAM is global: no region in its ARNs."""
        return self.arn("iam", "", account, resource)

    def s3_arn(self, resource: str) -> str:
        """S3 names are global: neither region nor account in their ARNs."""
        return self.arn("s3", "", "", resource)

    def service_principal(self, service: str, region: str | None = None) -> str:
        """e.g. lambda.amazonaws.com; with a region the regional form logs.<region>.<suffix>."""
        suffix = self.dns_suffix if service in _OWN_SUFFIX_PRINCIPALS.get(self.id, ()) else "amazonaws.com"
        return f"{service}.{region}.{suffix}" if region else f"{service}.{suffix}"

    def service_host(self, service: str, region: str) -> str:
        """A regional endpoint name, e.g. s3.cn-north-1.amazonaws.com.cn (what kms:ViaService compares)."""
        return f"{service}.{region}.{self.dns_suffix}"


@functools.lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[str, str]]:
    """region -> (partition id, DNS suffix) for every region botocore knows, in every partition."""
    data = create_loader().load_data("endpoints")
    return {region: (p["partition"], p["dnsSuffix"]) for p in data["partitions"] for region in p["regions"]}


def known_regions() -> list[str]:
    return sorted(r for r, (partition, _) in _regions().items() if partition in SUPPORTED_PARTITIONS)


def region_problem(region: str) -> str | None:
    """Why ``region`` cannot be used (with the nearest known region), or None when it can."""
    known = _regions()
    if region in known:
        partition = known[region][0]
        if partition in SUPPORTED_PARTITIONS:
            return None
        return (f"{region!r} is in the partition {partition!r}, which mlgov does not support "
                f"(supported: {', '.join(SUPPORTED_PARTITIONS)})")
    near = difflib.get_close_matches(region.lower(), known_regions(), n=1, cutoff=0.5)
    hint = f"did you mean {near[0]!r}?" if near else "e.g. 'eu-west-1', 'us-gov-west-1' or 'cn-north-1'"
    return f"{region[:40]!r} is not an AWS region known to botocore; {hint}"


def partition_of(region: str) -> Partition:
    """The partition of a region; ValueError (with the nearest known region) when there is none."""
    problem = region_problem(region)
    if problem:
        raise ValueError(problem)
    partition, suffix = _regions()[region]
    return Partition(partition, suffix)
