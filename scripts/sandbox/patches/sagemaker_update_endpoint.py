"""moto has no UpdateEndpoint (a changed endpoint_config_name cannot be applied in place), drops CreateEndpoint's DeploymentConfig, and UpdateEndpointWeightsAndCapacities wipes the weight or instance count it was not given."""

from __future__ import annotations

from typing import Any

from ._common import add_method, wrap


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpoint
    from moto.sagemaker.models import SageMakerModelBackend as B
    from moto.sagemaker.responses import SageMakerResponse as R

    @wrap(R, "create_endpoint")
    def create_endpoint(orig: Any, self: Any) -> Any:
        result = orig(self)
        deployment = self._get_param("DeploymentConfig")
        if deployment:  # DescribeEndpoint returns it as LastDeploymentConfig (read back as deployment_config)
            self.sagemaker_backend.endpoints[self._get_param("EndpointName")].last_deployment_config = deployment
        return result

    @add_method(R, "update_endpoint")
    def update_endpoint(self: Any) -> Any:
        backend = self.sagemaker_backend
        name = self._get_param("EndpointName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            arn = FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)
            raise ValidationError(message=f"Could not find endpoint '{arn}'.")
        config = backend.describe_endpoint_config(self._get_param("EndpointConfigName"))  # not found -> ValidationException
        # AWS keeps the endpoint (name, ARN, creation time) and moves it to the new configuration's variants.
        endpoint.endpoint_config_name = config["EndpointConfigName"]
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        endpoint.data_capture_config = config.get("DataCaptureConfig") or {}
        deployment = self._get_param("DeploymentConfig")
        if deployment:
            endpoint.last_deployment_config = deployment
        endpoint.endpoint_status = "InService"  # AWS: Updating, then InService once the new fleet serves
        endpoint.last_modified_time = utcnow()
        return ActionResult({"EndpointArn": endpoint.arn})

    @wrap(B, "update_endpoint_weights_and_capacities")
    def update_weights(orig: Any, self: Any, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]) -> str:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None:  # fill in what was not given from the variant's current values
            current = {v["VariantName"]: v for v in endpoint.production_variants}
            desired_weights_and_capacities = [
                {"DesiredWeight": current.get(d.get("VariantName"), {}).get("CurrentWeight"),
                 "DesiredInstanceCount": current.get(d.get("VariantName"), {}).get("CurrentInstanceCount"), **d}
                for d in desired_weights_and_capacities
            ]  # fmt: skip
        arn = orig(self, endpoint_name, desired_weights_and_capacities)
        endpoint.last_modified_time = utcnow()
        return arn
