"""Checkov suppressions that travel with the generated Terraform.

checkov reads a skip from any line inside a resource's block, so the reason is written into the
resource's "//" comment object (Terraform JSON ignores "//"), next to the resource it excuses.
"""

from __future__ import annotations

from cdktf import TerraformResource


def skip_checks(resource: TerraformResource, reasons: dict[str, str]) -> None:
    for check_id, reason in sorted(reasons.items()):
        if not reason.strip():
            raise ValueError(f"skip of {check_id} on {resource.node.path} needs a reason")
        resource.add_override(f"//.checkov.{check_id}", f"checkov:skip={check_id}:{reason}")
