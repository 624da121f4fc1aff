"""Steps 7 and 9 of the seed: record one metrics report in the governance table (and QA in the registry).

Per report: parse and check the sender; for QA one DescribeModelPackage (the version must exist);
store.write_change (one read of the chain head, one TransactWriteItems: latest-metrics item if newer, history item if
new); for QA, if this report is the latest one the table holds and the registry does not show it
yet, one UpdateModelPackage with the ``qa:*`` keys.

Which report is latest is decided by the table alone: the latest-metrics item metrics-ingest wrote
(``last_modified`` = the report's ``reported_at``, checked at receipt to be no more than
FUTURE_TOLERANCE ahead). The registry's ``qa:reported_at`` is never compared: a registrant can type
any value there (CreateModelPackage takes any metadata), and a far-future one would otherwise make
every real report look older and never reach the registry. The ``qa:*`` keys in the registry are a
copy for people; gates read the table (mlgov_core.evidence).

Order and retries: the table is written before the registry. If the registry update fails, the
invocation fails and Lambda retries it; the retry finds the report recorded (duplicate), still the
latest in the table, and the registry not showing it, so it updates the registry then. A duplicate
whose registry update already happened writes nothing and updates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from mlgov_core import aws, metrics, records, registry, store, timeparse
from mlgov_core.metrics import Kind, MetricsEventError, MetricsReportedEvent
from mlgov_core.settings import TABLE_ENV, ConfigurationError, use_case_mapping

TEST_ACCOUNT_ENV = "TEST_ACCOUNT_ID"
PROD_ACCOUNT_ENV = "PROD_ACCOUNT_ID"

QA_REPORTED_AT_KEY = f"{records.QA_METRIC_PREFIX}reported_at"
QA_REPORTED_BY_KEY = f"{records.QA_METRIC_PREFIX}reported_by"
# SageMaker's limit on CustomerMetadataProperties entries per model package.
MAX_METADATA_ENTRIES = 50


@dataclass(frozen=True)
class MetricsSettings:
    table_name: str
    test_account_id: str
    prod_account_id: str
    use_case_by_group: Mapping[str, str] = field(default_factory=dict)

    @property
    def account_for_kind(self) -> dict[Kind, str]:
        return {Kind.QA: self.test_account_id, Kind.PRODUCTION: self.prod_account_id}


def settings_from_env(environ: Mapping[str, str]) -> MetricsSettings:
    """GOVERNANCE_TABLE_NAME, TEST_ACCOUNT_ID, PROD_ACCOUNT_ID (required), USE_CASE_BY_GROUP (JSON, optional)."""
    table = environ.get(TABLE_ENV, "").strip()
    if not table:
        raise ConfigurationError(f"{TABLE_ENV} is not set: the metrics-ingest function needs the governance table name")
    accounts = {}
    for name in (TEST_ACCOUNT_ENV, PROD_ACCOUNT_ENV):
        value = environ.get(name, "").strip()
        if not metrics.is_account_id(value):
            raise ConfigurationError(f"{name} must be a 12-digit AWS account id: {value!r}")
        accounts[name] = value
    return MetricsSettings(
        table_name=table,
        test_account_id=accounts[TEST_ACCOUNT_ENV],
        prod_account_id=accounts[PROD_ACCOUNT_ENV],
        use_case_by_group=use_case_mapping(environ),
    )


@dataclass(frozen=True)
class RegistryLocation:
    """Partition, region and account of the registry: the governance account this function runs in."""

    partition: str
    region: str
    account_id: str

    @classmethod
    def from_function_arn(cls, function_arn: str) -> RegistryLocation:
        parts = function_arn.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
            raise ConfigurationError(f"cannot read partition, region and account from the function ARN {function_arn!r}")
        return cls(partition=parts[1], region=parts[3], account_id=parts[4])

    def package_arn(self, group: str, version: int) -> str:
        # SageMaker writes resource names in lower case in ARNs.
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account_id}:model-package/{group.lower()}/{version}"


@dataclass(frozen=True)
class QaRegistryUpdate:
    """What UpdateModelPackage must send to put one QA report into the registry."""

    properties: dict[str, str]
    to_remove: list[str]
    # False when the registry's qa:* keys are exactly this report's already (a redelivery).
    registry_differs: bool


def qa_registry_update(described: Mapping[str, str] | None, event: MetricsReportedEvent) -> QaRegistryUpdate:
    """The ``qa:*`` keys of this report, and the other ``qa:*`` keys it replaces.

    Only ``qa:*`` keys are sent: UpdateModelPackage keeps the keys it is not given, so other
    metadata (registrant, run id, training metrics) is never rewritten from a possibly stale read.
    Every ``qa:*`` key the report does not carry is removed, including any a registrant typed in.
    """
    detail = event.detail
    current = dict(described or {})
    properties = {f"{records.QA_METRIC_PREFIX}{name}": str(value) for name, value in sorted(detail.metrics.items())}
    properties[QA_REPORTED_AT_KEY] = detail.reported_at
    properties[QA_REPORTED_BY_KEY] = detail.reported_by
    to_remove = sorted(k for k in current if k.startswith(records.QA_METRIC_PREFIX) and k not in properties)
    after = (set(current) - set(to_remove)) | set(properties)
    if len(after) > MAX_METADATA_ENTRIES:
        raise MetricsEventError(
            f"malformed metrics event: detail.metrics: {len(detail.metrics)} QA metrics would give version "
            f"{detail.model_version} of {detail.model_package_group!r} {len(after)} registry metadata entries "
            f"(SageMaker allows {MAX_METADATA_ENTRIES})"
        )
    differs = bool(to_remove) or any(current.get(k) != v for k, v in properties.items())
    return QaRegistryUpdate(properties=properties, to_remove=to_remove, registry_differs=differs)


def is_latest_in_table(result: store.WriteResult, latest: Mapping[str, Any], table_name: str, dynamodb: Any) -> bool:
    """Is this report the latest-metrics item now? Decided on what metrics-ingest recorded, never on metadata.

    RECORDED: the conditional write made it the latest. STALE: a newer report holds the item. A
    DUPLICATE may or may not still be the latest (a newer report may have come in between): one
    strongly consistent GetItem compares the item's idempotency key with this report's.
    """
    if result is store.WriteResult.RECORDED:
        return True
    if result is store.WriteResult.STALE:
        return False
    client = dynamodb or aws.client("dynamodb")
    found = client.get_item(
        TableName=table_name, ConsistentRead=True, ProjectionExpression="idempotency_key",
        Key={"pk": {"S": latest["pk"]}, "sk": {"S": latest["sk"]}},
    ).get("Item") or {}
    return found.get("idempotency_key", {}).get("S") == latest["idempotency_key"]


def record_metrics_report(
    event: Any,
    settings: MetricsSettings,
    *,
    registry_location: RegistryLocation,
    sagemaker: Any = None,
    dynamodb: Any = None,
    now: Callable[[], str] = timeparse.now_iso,
) -> dict[str, Any]:
    """Record one report. Returns {"result": "recorded" | "duplicate" | "stale", "registry_updated": bool, ...}.

    Raises MetricsEventError for a report that cannot be recorded (before anything is written).
    """
    received_at = now()
    parsed = metrics.parse_metrics_event(
        event,
        account_for_kind=settings.account_for_kind,
        known_groups=frozenset(settings.use_case_by_group),
        now=received_at,
    )
    detail = parsed.detail
    arn = registry_location.package_arn(detail.model_package_group, detail.model_version)
    if detail.model_package_arn is not None and detail.model_package_arn.lower() != arn.lower():
        raise MetricsEventError(
            f"malformed metrics event: detail.model_package_arn={detail.model_package_arn!r}: not in the "
            f"governance registry (expected {arn})"
        )
    update = None
    if detail.kind is Kind.QA:
        update = qa_registry_update(_describe_metadata(arn, detail, sagemaker), parsed)
    latest, history = metrics.build_items(parsed, model_package_arn=arn, recorded_at=received_at)
    result = store.write_change(settings.table_name, latest, history, client=dynamodb)
    registry_updated = False
    if (update is not None and update.registry_differs
            and is_latest_in_table(result, latest, settings.table_name, dynamodb)):
        _update_registry(arn, update, sagemaker)
        registry_updated = True
    return {
        "result": result.value,
        "registry_updated": registry_updated,
        "version_id": latest["version_id"],
        "kind": detail.kind.value,
        "variant": detail.variant,
        "reported_at": detail.reported_at,
        "idempotency_key": latest["idempotency_key"],
    }


def _describe_metadata(arn: str, detail: metrics.MetricsDetail, client: Any) -> dict[str, str]:
    sagemaker = client or aws.client("sagemaker")
    try:
        response = sagemaker.describe_model_package(ModelPackageName=arn)
    except ClientError as error:
        if registry.is_not_found(error):
            raise MetricsEventError(
                f"malformed metrics event: detail.model_version={detail.model_version}: version "
                f"{detail.model_version} of {detail.model_package_group!r} is not in the registry ({arn})"
            ) from None
        raise
    return dict(response.get("CustomerMetadataProperties") or {})


def _update_registry(arn: str, update: QaRegistryUpdate, client: Any) -> None:
    sagemaker = client or aws.client("sagemaker")
    request: dict[str, Any] = {"ModelPackageArn": arn, "CustomerMetadataProperties": update.properties}
    if update.to_remove:
        request["CustomerMetadataPropertiesToRemove"] = update.to_remove
    sagemaker.update_model_package(**request)
