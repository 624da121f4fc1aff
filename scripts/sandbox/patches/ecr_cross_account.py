"""moto's ECR BatchGetImage ignores registryId and looks the repository up in the caller's account, so dev cannot resolve a tag in the governance account's repository; AWS reads the registry named."""

from __future__ import annotations

from typing import Any

from ._common import wrap


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.ecr.models import ecr_backends
    from moto.ecr.responses import ECRResponse

    @wrap(ECRResponse, "batch_get_image")
    def batch_get_image(orig: Any, self: Any) -> Any:
        registry_id = self._get_param("registryId")
        if not registry_id or registry_id == self.current_account:
            return orig(self)
        # The owner's repository policy is not evaluated (moto enforces no cross-account permissions).
        owner = ecr_backends[registry_id][self.region]
        return ActionResult(owner.batch_get_image(self._get_param("repositoryName"), registry_id, self._get_param("imageIds")))
