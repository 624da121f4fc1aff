"""Typed model of the "Model Metrics Reported" event (schema version 1) and the table items it becomes.

Test (QA runs) and prod (production metrics per variant) put these events on the governance
account's metrics bus; the contract is documented in docs/metrics-events.md. Everything that is
wrong with an event raises MetricsEventError naming the field and the value, so a rejected event
ends in the dead-letter queue with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, DecimalException
from enum import Enum
from typing import Annotated, Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from boto3.dynamodb.types import DYNAMODB_CONTEXT
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from mlgov_core import keys, rules, timeparse
from mlgov_core.events import MalformedEventError

SOURCE = "mlgov.metrics"
DETAIL_TYPE = "Model Metrics Reported"
SCHEMA_VERSION = 1

METRIC_NAME_PATTERN = re.compile(r"[a-z0-9_]{1,64}")
# Names that collide with the registry keys metrics-ingest writes next to the QA metrics.
RESERVED_METRIC_NAMES = frozenset({"reported_at", "reported_by"})
# The registry holds at most 50 CustomerMetadataProperties per version; QA metrics share them.
MAX_METRICS = 32
# The characters the registry accepts in a metadata value (reported_by is written there).
REPORTER_PATTERN = re.compile(r"[\w .:/=+\-@]{1,256}")
# A report from the future would block every real report until then (newer-wins writes).
FUTURE_TOLERANCE = timedelta(minutes=5)
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")


class MetricsEventError(MalformedEventError):
    """The metrics event cannot be recorded; the message names the offending field and value."""


class Kind(str, Enum):
    QA = "qa"  # from the test account, about the version
    PRODUCTION = "production"  # from the prod account, about one production variant


STAGE_FOR_KIND = {Kind.QA: rules.Stage.TEST, Kind.PRODUCTION: rules.Stage.PROD}


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode would read true as 1.
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _schema_version(value: Any) -> Any:
    _not_bool(value)
    if value != SCHEMA_VERSION or not isinstance(value, int):
        raise ValueError(f"unsupported schema version; this function reads schema_version {SCHEMA_VERSION}")
    return value


def _sagemaker_name(value: str) -> str:
    if not rules.is_sagemaker_name(value):
        raise ValueError(f"must match {rules.SAGEMAKER_NAME_PATTERN.pattern}")
    return value


def _metric_name(value: str) -> str:
    if METRIC_NAME_PATTERN.fullmatch(value) is None:
        raise ValueError(f"metric names must match {METRIC_NAME_PATTERN.pattern}")
    if value in RESERVED_METRIC_NAMES:
        raise ValueError(f"reserved name; metric names may not be one of {sorted(RESERVED_METRIC_NAMES)}")
    return value


def _metric_value(value: Any) -> Decimal:
    """A finite JSON number that DynamoDB can store exactly (38 significant digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a JSON number")
    try:
        number = DYNAMODB_CONTEXT.create_decimal(str(value))
    except DecimalException:
        raise ValueError("is not representable as a DynamoDB number (at most 38 significant digits)") from None
    if not number.is_finite():
        raise ValueError("must be a finite number (NaN and Infinity are not metrics)")
    return number


def _reporter(value: str) -> str:
    if REPORTER_PATTERN.fullmatch(value) is None:
        raise ValueError("must be 1-256 letters, digits, spaces or _.:/=+-@ (the registry's metadata value characters)")
    return value


def _timestamp(value: Any) -> str:
    return timeparse.to_iso(value)


Timestamp = Annotated[str, BeforeValidator(_timestamp)]
SageMakerName = Annotated[str, AfterValidator(_sagemaker_name)]
MetricName = Annotated[str, AfterValidator(_metric_name)]
MetricValue = Annotated[Decimal, BeforeValidator(_metric_value)]


class Window(BaseModel):
    """The period the metrics describe (optional)."""

    model_config = ConfigDict(extra="forbid")

    start: Timestamp
    end: Timestamp


class MetricsDetail(BaseModel):
    """The event's detail, schema version 1. Unknown fields are refused so a typo cannot pass silently."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Annotated[int, BeforeValidator(_schema_version)]
    model_package_group: SageMakerName
    model_version: Annotated[int, BeforeValidator(_not_bool), Field(ge=1, strict=True)]
    model_package_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/\S+$"
    )
    stage: Literal["Test", "Prod"]
    kind: Kind
    variant: SageMakerName | None = None
    window: Window | None = None
    metrics: Annotated[dict[MetricName, MetricValue], Field(min_length=1, max_length=MAX_METRICS)]
    reported_by: Annotated[str, AfterValidator(_reporter)]
    reported_at: Timestamp


class MetricsReportedEvent(EventBridgeModel):
    detail_type: Literal["Model Metrics Reported"] = Field(alias="detail-type")
    source: Literal["mlgov.metrics"]
    detail: MetricsDetail


def parse_metrics_event(
    event: Any,
    *,
    account_for_kind: Mapping[Kind, str],
    known_groups: frozenset[str] = frozenset(),
    now: str | None = None,
) -> MetricsReportedEvent:
    """Validate a raw EventBridge event and who sent it.

    ``account_for_kind``: the only account that may report each kind (EventBridge sets ``account``
    to the sender's account; senders cannot choose it). ``known_groups``: if not empty, the groups a
    report may name. ``now``: reports dated more than FUTURE_TOLERANCE after it are refused.
    """
    if isinstance(event, MetricsReportedEvent):
        parsed = event
    elif not isinstance(event, dict):
        raise MetricsEventError(f"malformed metrics event: event: expected a JSON object, got {type(event).__name__}")
    else:
        try:
            parsed = MetricsReportedEvent.model_validate(event)
        except ValidationError as error:
            raise MetricsEventError(_describe(error)) from None
    detail = parsed.detail
    problems = _consistency_problems(detail)
    if problems:
        raise MetricsEventError("malformed metrics event: " + "; ".join(problems))
    expected = account_for_kind[detail.kind]
    if parsed.account != expected:
        raise MetricsEventError(
            f"malformed metrics event: account={parsed.account!r}: {detail.kind.value} metrics are accepted only "
            f"from account {expected}"
        )
    if known_groups and detail.model_package_group not in known_groups:
        raise MetricsEventError(
            f"malformed metrics event: detail.model_package_group={detail.model_package_group!r}: "
            "not a group of any configured use case"
        )
    if now is not None and timeparse.to_datetime(detail.reported_at) > timeparse.to_datetime(now) + FUTURE_TOLERANCE:
        raise MetricsEventError(
            f"malformed metrics event: detail.reported_at={detail.reported_at!r}: more than "
            f"{int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes in the future (received at {now})"
        )
    return parsed


def _consistency_problems(detail: MetricsDetail) -> list[str]:
    """Rules between fields, each reported as ``detail.<field>=<value>: <reason>``."""
    problems = []
    expected = STAGE_FOR_KIND[detail.kind].value
    if detail.stage != expected:
        problems.append(f"detail.stage={detail.stage!r}: kind {detail.kind.value!r} is reported from stage {expected!r}")
    if detail.kind is Kind.PRODUCTION and detail.variant is None:
        problems.append("detail.variant=<missing>: required for kind 'production' (metrics are per production variant)")
    if detail.model_package_arn is not None and not detail.model_package_arn.lower().endswith(
        f":model-package/{detail.model_package_group.lower()}/{detail.model_version}"
    ):
        problems.append(
            f"detail.model_package_arn={detail.model_package_arn!r}: not version {detail.model_version} "
            f"of group {detail.model_package_group!r}"
        )
    if detail.window is not None and detail.window.end < detail.window.start:  # normalized: string order is time order
        problems.append(f"detail.window.end={detail.window.end!r}: before window.start {detail.window.start!r}")
    return problems


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        value = "<missing>" if item["type"] == "missing" else repr(item.get("input"))
        if len(value) > 200:
            value = value[:200] + "...'"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{field}={value}: {message}")
    return "malformed metrics event: " + "; ".join(problems)


def latest_variant(detail: MetricsDetail) -> str | None:
    """The variant in the latest-metrics key: production metrics are per variant, QA per version."""
    return detail.variant if detail.kind is Kind.PRODUCTION else None


def metrics_digest(metrics: Mapping[str, Decimal]) -> str:
    """The same numbers give the same digest however they were written (1, 1.0, 1e0)."""
    canonical = "\n".join(f"{name}={value.normalize()}" for name, value in sorted(metrics.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(detail: MetricsDetail) -> str:
    """Identifies one report however often it is delivered: group, version, kind, variant, time, metrics."""
    material = "\n".join((
        detail.model_package_group,
        str(detail.model_version),
        detail.kind.value,
        detail.variant or "",
        detail.reported_at,
        metrics_digest(detail.metrics),
    ))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def build_items(
    event: MetricsReportedEvent, *, model_package_arn: str, recorded_at: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(latest-metrics item, history item) for one report; attributes without a value are left out.

    Neither item carries model_group, use_case or stage_status, the partition keys of the state
    indexes, so metrics never show up where versions are listed; the history item carries
    change_day/change_key so reports appear among recent changes (item_type 'metrics').
    ``last_modified`` is the report time: store.write_change's newer-wins condition reads it.
    """
    detail = event.detail
    group, version = detail.model_package_group, detail.model_version
    vid = keys.version_id(group, version)
    idem = idempotency_key(detail)
    common: dict[str, Any] = {
        "pk": keys.version_pk(group, version),
        "version": version,
        "version_key": keys.version_key(version),
        "version_id": vid,
        "model_package_arn": model_package_arn,
        "kind": detail.kind.value,
        "stage": detail.stage,
        "variant": detail.variant,
        "metrics": dict(detail.metrics),
        "window_start": detail.window.start if detail.window else None,
        "window_end": detail.window.end if detail.window else None,
        "reported_by": detail.reported_by,
        "reported_at": detail.reported_at,
        "reported_from_account": event.account,
        "schema_version": detail.schema_version,
        "last_modified": detail.reported_at,
        "recorded_at": recorded_at,
        "idempotency_key": idem,
        "event_id": event.id,
    }
    latest = {**common, "sk": keys.metrics_sk(detail.kind.value, latest_variant(detail)), "item_type": "metrics_latest"}
    history = {
        **common,
        "sk": keys.history_sk(detail.reported_at, idem),
        "item_type": "metrics",
        "change_day": timeparse.day_of(detail.reported_at),
        "change_key": keys.change_key(detail.reported_at, vid),
    }
    return _without_none(latest), _without_none(history)


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def is_account_id(value: str) -> bool:
    return ACCOUNT_PATTERN.fullmatch(value) is not None
