"""moto implements no MLflow tracking server API (Create/Describe/Update/Delete/List, CreatePresignedMlflowTrackingServerUrl, tags on its ARN)."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from ._common import add_method, caller_identity, wrap

RESOURCE = "mlflow-tracking-server"
UPDATABLE = ("ArtifactStoreUri", "AutomaticModelRegistration", "TrackingServerSize", "WeeklyMaintenanceWindowStart")


class TrackingServer:
    """What DescribeMlflowTrackingServer returns; `tags` is the list moto's tag calls work on."""

    def __init__(self, account: str, region: str, params: dict[str, Any], creator: dict[str, Any]) -> None:
        name = params["TrackingServerName"]
        now = datetime.now(timezone.utc)
        self.name = name
        self.arn = f"arn:aws:sagemaker:{region}:{account}:{RESOURCE}/{name}"
        self.tags: list[dict[str, str]] = list(params.get("Tags") or [])
        self.fields: dict[str, Any] = {
            "TrackingServerArn": self.arn,
            "TrackingServerName": name,
            "ArtifactStoreUri": params["ArtifactStoreUri"],
            "TrackingServerSize": params.get("TrackingServerSize") or "Small",
            # AWS picks its newest version when none is asked for.
            "MlflowVersion": params.get("MlflowVersion") or "2.16",
            "RoleArn": params["RoleArn"],
            # The sandbox has no provisioning delay: the provider's waiter sees Created at once.
            "TrackingServerStatus": "Created",
            "IsActive": "Active",
            "TrackingServerUrl": f"https://t-{secrets.token_hex(6)}.{region}.experiments.sagemaker.aws",
            "WeeklyMaintenanceWindowStart": params.get("WeeklyMaintenanceWindowStart") or "Tue:03:30",
            "AutomaticModelRegistration": bool(params.get("AutomaticModelRegistration", False)),
            "CreationTime": now.timestamp(),
            "CreatedBy": creator,
            "LastModifiedTime": now.timestamp(),
            "LastModifiedBy": creator,
        }

    def summary(self) -> dict[str, Any]:
        keys = ("TrackingServerArn", "TrackingServerName", "CreationTime", "LastModifiedTime",
                "TrackingServerStatus", "IsActive", "MlflowVersion")
        return {k: self.fields[k] for k in keys}


def _servers(backend: Any) -> dict[str, TrackingServer]:
    if not hasattr(backend, "mlflow_tracking_servers"):
        backend.mlflow_tracking_servers = {}
    return backend.mlflow_tracking_servers


def _creator(response: Any) -> dict[str, Any]:
    try:
        principal_id, arn = caller_identity(response.access_key, response.current_account)
    except Exception:  # noqa: BLE001 - identity is informative only; never fail the call for it
        return {}
    return {"IamIdentity": {"Arn": arn, "PrincipalId": principal_id}}


def _get(response: Any) -> TrackingServer:
    from moto.sagemaker.exceptions import ResourceNotFound

    name = response._get_param("TrackingServerName")
    server = _servers(response.sagemaker_backend).get(name)
    if server is None:
        # Code "ResourceNotFound": the provider's read and delete waiter treat it as gone.
        raise ResourceNotFound(f"Tracking server {name} does not exist")
    return server


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
    from moto.sagemaker.models import SageMakerModelBackend as B
    from moto.sagemaker.responses import SageMakerResponse as R

    @add_method(R, "create_mlflow_tracking_server")
    def create(self: Any) -> Any:
        params = {k: self._get_param(k) for k in (
            "TrackingServerName", "ArtifactStoreUri", "TrackingServerSize", "MlflowVersion", "RoleArn",
            "AutomaticModelRegistration", "WeeklyMaintenanceWindowStart", "Tags")}
        for required in ("TrackingServerName", "ArtifactStoreUri", "RoleArn"):
            if not params[required]:
                raise ValidationError(f"{required} is required")
        servers = _servers(self.sagemaker_backend)
        if params["TrackingServerName"] in servers:
            raise ResourceInUseException(f"Tracking server {params['TrackingServerName']} already exists")
        backend = self.sagemaker_backend
        server = TrackingServer(backend.account_id, backend.region_name, params, _creator(self))
        servers[server.name] = server
        return ActionResult({"TrackingServerArn": server.arn})

    @add_method(R, "describe_mlflow_tracking_server")
    def describe(self: Any) -> Any:
        return ActionResult(dict(_get(self).fields))

    @add_method(R, "update_mlflow_tracking_server")
    def update(self: Any) -> Any:
        server = _get(self)
        for key in UPDATABLE:
            value = self._get_param(key)
            if value is not None:
                server.fields[key] = value
        server.fields.update(
            TrackingServerStatus="Updated",  # the provider's update waiter waits for exactly this
            LastModifiedTime=datetime.now(timezone.utc).timestamp(),
            LastModifiedBy=_creator(self),
        )
        return ActionResult({"TrackingServerArn": server.arn})

    @add_method(R, "delete_mlflow_tracking_server")
    def delete(self: Any) -> Any:
        server = _get(self)
        del _servers(self.sagemaker_backend)[server.name]
        return ActionResult({"TrackingServerArn": server.arn})

    @add_method(R, "list_mlflow_tracking_servers")
    def list_servers(self: Any) -> Any:
        status = self._get_param("TrackingServerStatus")
        servers = sorted(_servers(self.sagemaker_backend).values(), key=lambda s: s.fields["CreationTime"])
        summaries = [s.summary() for s in servers if status in (None, s.fields["TrackingServerStatus"])]
        return ActionResult({"TrackingServerSummaries": summaries})

    @add_method(R, "create_presigned_mlflow_tracking_server_url")
    def presigned_url(self: Any) -> Any:
        server = _get(self)
        expires = self._get_param("ExpiresInSeconds") or 300
        if not 5 <= int(expires) <= 300:
            raise ValidationError(f"ExpiresInSeconds {expires} is not in 5..300")
        url = f"{server.fields['TrackingServerUrl']}/auth?authToken={secrets.token_urlsafe(24)}"
        return ActionResult({"AuthorizedUrl": url})

    @wrap(B, "_get_resource_from_arn")
    def resource_from_arn(orig: Any, self: Any, arn: str) -> Any:
        """AddTags/ListTags/DeleteTags on a tracking server ARN (the provider reads tags after create)."""
        resource = arn.split(":")[-1]
        if resource.startswith(f"{RESOURCE}/"):
            server = _servers(self).get(resource.split("/", 1)[1])
            if server is None:
                raise ValidationError(f"Could not find {RESOURCE} with name {resource.split('/', 1)[1]}")
            return server
        return orig(self, arn)
