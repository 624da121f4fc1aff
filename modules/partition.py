"""The partition a construct is built in: its stack's (AccountStack takes it from Names, that is from
the home region), so ARNs, service principals and endpoint names follow the config's partition."""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from mlgov_config.regions import Partition


def of(scope: Construct) -> Partition:
    partition = getattr(TerraformStack.of(scope), "partition", None)
    if not isinstance(partition, Partition):
        raise TypeError(f"{scope.node.path}: not inside an AccountStack, so its partition is unknown")
    return partition
