"""`prevent_destroy` for the resources of mlgov_config.stateful_types.STATEFUL_TYPES.

Terraform then refuses any plan that would destroy one while its block is in the configuration; a
pull request that removes the block (or the flag) is caught by the plan summary's destructive-change
guard instead (scripts/plan_summary.py).
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle

from mlgov_config.stateful_types import STATEFUL_TYPES

__all__ = ["STATEFUL_TYPES", "prevent_destroy"]


def prevent_destroy() -> TerraformResourceLifecycle:
    return TerraformResourceLifecycle(prevent_destroy=True)
