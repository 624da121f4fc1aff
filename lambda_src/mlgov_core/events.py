"""Typed model of the EventBridge "SageMaker Model Package State Change" event.

Every detail field is optional (DESIGN.md section 2) except the three that identify the version;
without them the event cannot be recorded, so they raise MalformedEventError, as do values that
contradict the registry's own constraints (non-numeric version, a lifecycle value SageMaker would
refuse) and an ARN that names another group, version, account or region than the event itself
(InconsistentEventError). ModelLifeCycle values are kept as the registry wrote them: which of them
are governance stages is the stage mapping's business (rules.map_lifecycle), not the parser's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from mlgov_core import rules, timeparse

DETAIL_TYPE = "SageMaker Model Package State Change"
SOURCE = "aws.sagemaker"


class MalformedEventError(ValueError):
    """The event cannot be recorded; the message names the offending field and value."""


class InconsistentEventError(MalformedEventError):
    """The event contradicts itself or the registry (identity or time); it is refused, never filed."""


def _timestamp(value: Any) -> Any:
    return None if value is None else timeparse.to_iso(value)


def _string_map(value: Any) -> Any:
    # Metadata values are strings in the registry API; coerce rather than reject an optional field.
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None}
    return value


def _strict_version(value: Any) -> Any:
    # pydantic's lax mode would read true as version 1.
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value


def _sagemaker_name(value: str) -> str:
    if not rules.is_sagemaker_name(value):
        raise ValueError(f"must match {rules.SAGEMAKER_NAME_PATTERN.pattern}")
    return value


Timestamp = Annotated[str | None, BeforeValidator(_timestamp)]


class LifeCycle(BaseModel):
    model_config = ConfigDict(extra="ignore")

    Stage: Annotated[str, AfterValidator(_sagemaker_name)]
    StageStatus: Annotated[str, AfterValidator(_sagemaker_name)]
    StageDescription: str | None = None


class ModelPackageStateDetail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ModelPackageArn: str = Field(pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/\S+$")
    ModelPackageGroupName: Annotated[str, AfterValidator(_sagemaker_name)]
    ModelPackageVersion: Annotated[int, BeforeValidator(_strict_version), Field(ge=1)]
    ModelApprovalStatus: rules.ApprovalStatus | None = None
    ModelLifeCycle: LifeCycle | None = None
    ModelPackageStatus: str | None = None
    ModelPackageDescription: str | None = None
    CreationTime: Timestamp = None
    LastModifiedTime: Timestamp = None
    CustomerMetadataProperties: Annotated[dict[str, str] | None, BeforeValidator(_string_map)] = None
    ModelMetrics: dict[str, Any] | None = None
    InferenceSpecification: dict[str, Any] | None = None


class ModelPackageStateChangeEvent(EventBridgeModel):
    detail_type: Literal["SageMaker Model Package State Change"] = Field(alias="detail-type")
    source: Literal["aws.sagemaker"]
    time: datetime | None = None  # only a fallback for a missing LastModifiedTime
    detail: ModelPackageStateDetail

    @field_validator("time", mode="before")
    @classmethod
    def _lenient_time(cls, value: Any) -> Any:
        return None if value is None else timeparse.to_datetime(value)

    @property
    def last_modified(self) -> str:
        """When the change happened: LastModifiedTime, else the event's own time."""
        if self.detail.LastModifiedTime:
            return self.detail.LastModifiedTime
        if self.time is not None:
            return timeparse.format_iso(self.time)
        raise MalformedEventError("detail.LastModifiedTime: missing, and the event has no 'time' to fall back on")


def parse_event(event: Any) -> ModelPackageStateChangeEvent:
    """Validate a raw EventBridge event; MalformedEventError names every offending field and value."""
    if isinstance(event, ModelPackageStateChangeEvent):
        return event
    if not isinstance(event, dict):
        raise MalformedEventError(f"event: expected a JSON object, got {type(event).__name__}")
    try:
        parsed = ModelPackageStateChangeEvent.model_validate(event)
    except ValidationError as error:
        raise MalformedEventError(_describe(error)) from None
    parsed.last_modified  # noqa: B018 - fail now, not halfway through processing
    check_identity(parsed)
    return parsed


def check_identity(event: ModelPackageStateChangeEvent) -> None:
    """The version the ARN names is the one the detail and the envelope name, or InconsistentEventError.

    The history item's key is built from group and version, so a disagreement would file the change
    under another version. EventBridge sets account and region of the envelope itself.
    """
    detail = event.detail
    arn = detail.ModelPackageArn
    _, _, _, region, account, resource = arn.split(":", 5)
    group, _, version = resource.removeprefix("model-package/").rpartition("/")
    problems = []
    # Ignoring case: some SageMaker ARNs are lower-cased; the registry's exact name is checked in sync.
    if group.casefold() != detail.ModelPackageGroupName.casefold():
        problems.append(f"detail.ModelPackageGroupName={_short(detail.ModelPackageGroupName)} but the ARN names group {_short(group)}")
    if version != str(detail.ModelPackageVersion):
        problems.append(f"detail.ModelPackageVersion={detail.ModelPackageVersion} but the ARN names version {_short(version)}")
    if account != event.account:
        problems.append(f"the ARN names account {account} but the event comes from account {_short(event.account)}")
    if region != event.region:
        problems.append(f"the ARN names region {_short(region)} but the event comes from region {_short(event.region)}")
    if problems:
        raise InconsistentEventError(f"inconsistent event for {_short(arn, 160)}: " + "; ".join(problems))


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        value = "<missing>" if item["type"] == "missing" else repr(item.get("input"))
        problems.append(f"{field}={value}: {item['msg']}")
    return "malformed SageMaker model package event: " + "; ".join(problems)
