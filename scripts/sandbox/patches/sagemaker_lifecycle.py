"""moto silently drops ModelLifeCycle on CreateModelPackage/UpdateModelPackage and never returns it."""

from __future__ import annotations

from typing import Any

from ._common import wrap
from .sagemaker_cross_account import find_package


def apply() -> None:
    from moto.sagemaker.models import ModelPackage
    from moto.sagemaker.responses import SageMakerResponse as R

    def keep_lifecycle(orig: Any, self: Any) -> Any:
        result = orig(self)
        lifecycle = self._get_param("ModelLifeCycle")
        if lifecycle is not None:
            find_package(result.result["ModelPackageArn"]).model_life_cycle = dict(lifecycle)
        return result

    wrap(R, "create_model_package")(keep_lifecycle)
    wrap(R, "update_model_package")(keep_lifecycle)

    @wrap(ModelPackage, "gen_response_object")
    def gen_response_object(orig: Any, self: Any) -> dict[str, Any]:
        response = orig(self)
        if getattr(self, "model_life_cycle", None):
            response["ModelLifeCycle"] = self.model_life_cycle
        return response
