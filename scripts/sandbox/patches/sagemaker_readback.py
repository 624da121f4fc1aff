"""moto's DescribeModel returns an empty VpcConfig and always EnableNetworkIsolation=false (CreateModel drops it), DescribeEndpointConfig an empty DataCaptureConfig: the aws provider re-plans them as replacements."""

from __future__ import annotations

from typing import Any

from ._common import wrap

def drop_empty(owner: Any, action: str, keys: tuple[str, ...] | None = None) -> None:
    """Wrap a SageMakerResponse action so its result omits empty members (AWS omits members not given).

    Only the API answer changes: moto's own objects keep their empty values (create_endpoint reads them).
    """
    from moto.core.responses import ActionResult

    @wrap(owner, action)
    def described(orig: Any, self: Any) -> Any:
        result = orig(self)
        body = dict(result.result)
        for key in list(body if keys is None else keys):
            if key in body and body[key] in (None, {}, [], ""):
                del body[key]
        return ActionResult(body)

def apply() -> None:
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

    drop_empty(R, "describe_model", ("VpcConfig", "Containers", "Tags"))
    drop_empty(R, "describe_endpoint_config", ("DataCaptureConfig", "AsyncInferenceConfig", "KmsKeyId", "Tags"))
