"""moto has no monitoring schedules (Create/Describe/Update/Delete/ListMonitoringSchedules answer 500) and its DescribeDataQualityJobDefinition returns empty blocks for members not given (perpetual diff)."""

from __future__ import annotations

from typing import Any

from ._common import add_method, wrap
from .sagemaker_readback import drop_empty

SCHEDULES = "mlgov_monitoring_schedules"  # attribute on each SageMakerModelBackend: name -> schedule dict


def schedules(backend: Any) -> dict[str, dict[str, Any]]:
    return backend.__dict__.setdefault(SCHEDULES, {})


class _Schedule(dict):
    """A stored schedule; `tags` makes moto's ListTags/AddTags/DeleteTags work on its ARN."""

    @property
    def tags(self) -> list[dict[str, str]]:
        return self.setdefault("Tags", [])

    @tags.setter
    def tags(self, value: list[dict[str, str]]) -> None:
        self["Tags"] = value


def _not_found(name: str) -> Exception:
    from moto.sagemaker.exceptions import ResourceNotFound

    return ResourceNotFound(f"Monitoring Schedule {name} not found")  # code ResourceNotFound, as the provider expects


def _endpoint_of(backend: Any, config: dict[str, Any]) -> str | None:
    """The endpoint a schedule monitors: from its job definition (data quality) or inline job input."""
    definition = backend.data_quality_job_definitions.get(config.get("MonitoringJobDefinitionName") or "")
    job_input = definition.data_quality_job_input if definition else (config.get("MonitoringJobDefinition") or {}).get("MonitoringInputs", [{}])[0]
    return ((job_input or {}).get("EndpointInput") or {}).get("EndpointName")


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.utils import utcnow
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeDataQualityJobDefinition
    from moto.sagemaker.models import SageMakerModelBackend as B
    from moto.sagemaker.responses import SageMakerResponse as R
    from moto.sagemaker.utils import arn_formatter

    drop_empty(R, "describe_data_quality_job_definition")  # every empty member: AWS omits members not given

    def summary(self: Any) -> dict[str, Any]:
        return {
            "MonitoringJobDefinitionName": self.job_definition_name,
            "MonitoringJobDefinitionArn": self.arn,
            "CreationTime": self.creation_time,
            "EndpointName": (self.data_quality_job_input.get("EndpointInput") or {}).get("EndpointName", ""),
        }

    FakeDataQualityJobDefinition.summary_object = property(summary)  # moto reports the literal "EndpointName"

    @add_method(R, "create_monitoring_schedule")
    def create(self: Any) -> Any:
        backend = self.sagemaker_backend
        name = self._get_param("MonitoringScheduleName")
        if name in schedules(backend):
            from moto.sagemaker.exceptions import ResourceInUseException

            raise ResourceInUseException(f"Monitoring Schedule {name} already exists")
        config = self._get_param("MonitoringScheduleConfig") or {}
        definition = config.get("MonitoringJobDefinitionName")
        if definition and config.get("MonitoringType", "DataQuality") == "DataQuality" and definition not in backend.data_quality_job_definitions:
            raise ValidationError(message=f"Could not find job definition {definition}")
        now = utcnow()
        schedule = _Schedule(
            MonitoringScheduleArn=arn_formatter("monitoring-schedule", name, backend.account_id, backend.region_name),
            MonitoringScheduleName=name, MonitoringScheduleStatus="Scheduled",
            MonitoringType=config.get("MonitoringType", "DataQuality"), CreationTime=now, LastModifiedTime=now,
            MonitoringScheduleConfig=config, Tags=list(self._get_param("Tags") or []),
        )  # fmt: skip
        endpoint = _endpoint_of(backend, config)
        if endpoint:
            schedule["EndpointName"] = endpoint
        schedules(backend)[name] = schedule
        return ActionResult({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})

    def find(self: Any) -> dict[str, Any]:
        name = self._get_param("MonitoringScheduleName")
        schedule = schedules(self.sagemaker_backend).get(name)
        if schedule is None:
            raise _not_found(name)
        return schedule

    @add_method(R, "describe_monitoring_schedule")
    def describe(self: Any) -> Any:
        return ActionResult({k: v for k, v in find(self).items() if k != "Tags"})

    @add_method(R, "update_monitoring_schedule")
    def update(self: Any) -> Any:
        schedule = find(self)
        schedule["MonitoringScheduleConfig"] = self._get_param("MonitoringScheduleConfig") or {}
        schedule["MonitoringType"] = schedule["MonitoringScheduleConfig"].get("MonitoringType", schedule["MonitoringType"])
        schedule["LastModifiedTime"] = utcnow()
        schedule["MonitoringScheduleStatus"] = "Scheduled"
        return ActionResult({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})

    @add_method(R, "delete_monitoring_schedule")
    def delete(self: Any) -> Any:
        del schedules(self.sagemaker_backend)[find(self)["MonitoringScheduleName"]]
        return EmptyResult()

    @add_method(R, "start_monitoring_schedule")
    def start(self: Any) -> Any:
        find(self)["MonitoringScheduleStatus"] = "Scheduled"
        return EmptyResult()

    @add_method(R, "stop_monitoring_schedule")
    def stop(self: Any) -> Any:
        find(self)["MonitoringScheduleStatus"] = "Stopped"
        return EmptyResult()

    @add_method(R, "list_monitoring_schedules")
    def list_(self: Any) -> Any:
        endpoint = self._get_param("EndpointName")
        name_contains = self._get_param("NameContains")
        rows = [
            {k: s[k] for k in ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime", "LastModifiedTime",
                               "MonitoringScheduleStatus", "EndpointName", "MonitoringType") if k in s}
            | {"MonitoringJobDefinitionName": s["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName")}
            for s in schedules(self.sagemaker_backend).values()
            if (not endpoint or s.get("EndpointName") == endpoint) and (not name_contains or name_contains in s["MonitoringScheduleName"])
        ]  # fmt: skip
        return ActionResult({"MonitoringScheduleSummaries": [{k: v for k, v in r.items() if v is not None} for r in rows]})

    @wrap(B, "_get_resource_from_arn")
    def resource_from_arn(orig: Any, self: Any, arn: str) -> Any:
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "monitoring-schedule":
            schedule = schedules(self).get(name)
            if schedule is None:
                raise ValidationError(message=f"Could not find {kind} with name {name}")
            return schedule
        return orig(self, arn)
