"""moto's DescribeModel returns an empty VpcConfig and always EnableNetworkIsolation=false (CreateModel drops it), DescribeEndpointConfig an empty DataCaptureConfig: the aws provider re-plans them as replacements."""

from __future__ import annotations

from typing import Any

from ._common import wrap


def wrap_property(owner: Any, name: str, after: Any) -> None:
    """Replace a read-only property by one returning after(original value); idempotent."""
    orig = owner.__dict__[name]
    if getattr(orig.fget, "_mlgov_after", None) is after.__code__:
        return

    def getter(self: Any) -> Any:
        return after(orig.fget(self))

    getter._mlgov_after = after.__code__  # type: ignore[attr-defined]
    setattr(owner, name, property(getter))


def apply() -> None:
    from moto.sagemaker.models import FakeEndpointConfig, Model
    from moto.sagemaker.responses import SageMakerResponse as R

    @wrap(R, "create_model")
    def create_model(orig: Any, self: Any) -> Any:
        result = orig(self)
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        config = self._get_param("InferenceExecutionConfig")
        if config:
            model.inference_execution_config = config
        return result

    def without_empty(response: dict[str, Any]) -> dict[str, Any]:
        for key in ("VpcConfig", "Containers", "Tags"):
            if not response.get(key):  # AWS omits members that were not given
                response.pop(key, None)
        return response

    wrap_property(Model, "response_object", without_empty)

    def config_without_empty(response: dict[str, Any]) -> dict[str, Any]:
        for key in ("DataCaptureConfig", "AsyncInferenceConfig", "KmsKeyId", "Tags"):
            if not response.get(key):
                response.pop(key, None)
        return response

    wrap_property(FakeEndpointConfig, "response_object", config_without_empty)
