"""Fixtures for the CLI tests that run moto in process: status/list/history, reconcile, report and qa.

Imported by the test modules (``from governance_testkit import ...``) rather than a conftest, like
approve_testkit and register_testkit (which run the sandbox server), so the fixtures do not clash.
Every test gets its own mock_aws(), so the accounts start empty. Builders for the governance table,
its items (TableFiller, also used by bench/report_time.py) and the metrics bus live here once.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from click.testing import CliRunner, Result
from moto import mock_aws

from mlgov_cli.context import REPO_ROOT, Context
from mlgov_cli.main import cli
from mlgov_config import AccountRole
from mlgov_core import aws, keys, metrics, reconcile, records
from mlgov_core.events import ModelPackageStateChangeEvent
from mlgov_core.registry import PackageDescription
from mlgov_core.settings import SyncSettings
from mlgov_core.sync import record_registry_change

REGION = "eu-west-1"
GOV, TEST_ACCOUNT, PROD_ACCOUNT = "111111111111", "333333333333", "444444444444"
GROUP = "credit-risk"
OTHER_GROUP = "fraud-detection"
APPROVER_ROLE = "mlgov-model-approver"
IMAGE = f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgov/models:xgboost-1.7"
# Written out rather than taken from Names, so the tests check the CLI's names, not repeat them.
METRICS_BUS = "mlgov-metrics"
METRICS_BUS_ARN = f"arn:aws:events:{REGION}:{GOV}:event-bus/{METRICS_BUS}"
_serializer = TypeSerializer()


# ------------------------------------------------------------------ moto, config, running the CLI


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in process with fake credentials (the sandbox's patches are on for every test: tests/conftest.py)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MLGOV_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        aws.reset_clients()
        yield
    aws.reset_clients()


def repo_config(tmp_path: Path, *, with_fraud: bool = True) -> Path:
    """A copy of the repository config; with_fraud adds a second use case (fraud, group fraud-detection)."""
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    if with_fraud:
        text = (target / "use_cases" / "credit-risk.yaml").read_text()
        (target / "use_cases" / "fraud.yaml").write_text(
            text.replace("name: credit-risk", "name: fraud", 1).replace("  name: credit-risk", f"  name: {OTHER_GROUP}"))
    return target


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The repository config plus a second use case (fraud, group fraud-detection)."""
    return repo_config(tmp_path)


def run(config_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_dir), *args], catch_exceptions=False)


def count_governance_calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """API calls ("dynamodb.Query") made by governance-account clients the CLI creates from now on, as
    whichever role (the operator's or a table writer's; botocore before-call hook)."""
    calls: Counter = Counter()
    original = Context.client

    def counted(self: Context, role: AccountRole, *args: Any, **kwargs: Any) -> Any:
        client = original(self, role, *args, **kwargs)
        if role == AccountRole.GOVERNANCE:
            client.meta.events.register(
                "before-call.*.*", lambda event_name, **_: calls.update([event_name.split(".", 1)[1]]))
        return client

    monkeypatch.setattr(Context, "client", counted)
    return calls


@pytest.fixture
def cli_calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    return count_governance_calls(monkeypatch)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Human tables at a fixed width, so cells are not truncated (autouse in each module that imports it)."""
    from mlgov_cli import output

    monkeypatch.setattr(output.console, "width", 250)


# ------------------------------------------------------------------ the governance table


def create_governance_table(client: Any, name: str) -> str:
    """The table as keys.py defines it: pk/sk strings and the GSIs, each projecting ALL."""
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in keys.key_attributes()],
        KeySchema=[{"AttributeName": keys.PARTITION_KEY, "KeyType": "HASH"},
                   {"AttributeName": keys.SORT_KEY, "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": i.name, "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": i.partition_key, "KeyType": "HASH"},
                                               {"AttributeName": i.sort_key, "KeyType": "RANGE"}]}
                                for i in keys.INDEXES])
    return name


class Gov:
    """The governance account as the CLI sees it: registry, table, and the sync Lambda's write path."""

    def __init__(self, config_dir: Path) -> None:
        self.ctx = Context(config_dir=config_dir)
        self.table = self.ctx.names.governance_table
        self.sm = self.ctx.governance_client("sagemaker")
        self.ddb = self.ctx.governance_client("dynamodb")
        self.approver = self.ctx.client(AccountRole.GOVERNANCE, APPROVER_ROLE, "sagemaker")
        self.settings = SyncSettings(self.table, self.ctx.config.use_case_by_group())

    def create_table(self, name: str | None = None) -> str:
        return create_governance_table(self.ddb, name or self.table)

    def group(self, name: str) -> None:
        self.sm.create_model_package_group(ModelPackageGroupName=name)

    def register(self, group: str, registrant: str = "alice@example.com", **metadata: str) -> str:
        return self.sm.create_model_package(
            ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
            ModelLifeCycle={"Stage": "Dev", "StageStatus": "Pending"},
            CustomerMetadataProperties={"registered_by": registrant, "run_id": "r1", **metadata},
            InferenceSpecification={"Containers": [{"Image": IMAGE}], "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]},
        )["ModelPackageArn"]

    def decide(self, arn: str, stage: str, status: str, reason: str, **metadata: str) -> None:
        approval = {"Approved": "Approved", "Rejected": "Rejected"}.get(status, "PendingManualApproval")
        self.approver.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=approval,
            ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": reason},
            CustomerMetadataProperties={"decision_reason": reason, **metadata})

    def sync(self, arn: str, table: str | None = None) -> str:
        """What the registry-sync Lambda does for the event announcing the version as it is now."""
        event = reconcile.event_from_description(self.sm.describe_model_package(ModelPackageName=arn))
        settings = SyncSettings(table or self.table, self.settings.use_case_by_group)
        return record_registry_change(event, settings, sagemaker=self.sm, dynamodb=self.ddb)["result"]

    def items(self, table: str | None = None) -> list[dict[str, Any]]:
        """Every item (a test-side Scan on a separate client, never counted)."""
        from mlgov_core.queries import deserialize

        client = self.ctx.session(AccountRole.GOVERNANCE, self.ctx.config.platform.terraform_role_name).client("dynamodb")
        items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=table or self.table):
            items.extend(deserialize(i) for i in page["Items"])
        return sorted(items, key=lambda i: (i["pk"], i["sk"]))


@pytest.fixture
def gov(aws_env, config_dir) -> Gov:
    return Gov(config_dir)


class TableFiller:
    """Builds items exactly as registry-sync (records.build_items) and metrics-ingest (metrics.build_items) do."""

    def __init__(self, client: Any, table: str) -> None:
        self.client, self.table = client, table
        self.pending: list[dict[str, Any]] = []

    def create_table(self) -> None:
        create_governance_table(self.client, self.table)

    def change(self, group: str, version: int, when: str, *, use_case: str, approval: str = "PendingManualApproval",
               stage: str | None = None, status: str | None = None, reason: str | None = None,
               registered_by: str = "alice", decided_by: str | None = None,
               metadata: dict[str, str] | None = None) -> None:
        """One registry change: history item plus the state item (the last change written wins)."""
        arn = f"arn:aws:sagemaker:{REGION}:{GOV}:model-package/{group}/{version}"
        detail: dict[str, Any] = {
            "ModelPackageGroupName": group, "ModelPackageVersion": version, "ModelPackageArn": arn,
            "CreationTime": "2025-01-01T00:00:00Z", "LastModifiedTime": when, "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": approval,
            "CustomerMetadataProperties": {"registered_by": registered_by, "metric:auc": "0.8", **(metadata or {})},
        }
        if stage:
            detail["ModelLifeCycle"] = {"Stage": stage, "StageStatus": status, **({"StageDescription": reason} if reason else {})}
        event = ModelPackageStateChangeEvent.model_validate({
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "SageMaker Model Package State Change",
            "source": "aws.sagemaker", "account": GOV, "time": when, "region": REGION, "resources": [arn], "detail": detail})
        described = PackageDescription(found=True, created_by=registered_by, last_modified_by=decided_by or registered_by,
                                       last_modified_time=when)
        state, history = records.build_items(event, described, use_case=use_case, recorded_at=when)
        self.pending += [history, state]

    def metrics(self, group: str, version: int, when: str, values: dict[str, float], variant: str | None = None) -> None:
        kind = "production" if variant else "qa"
        detail: dict[str, Any] = {"schema_version": 1, "model_package_group": group, "model_version": version,
                                  "stage": "Prod" if variant else "Test", "kind": kind, "metrics": values,
                                  "reported_by": "qa-runner", "reported_at": when}
        if variant:
            detail["variant"] = variant
        event = metrics.parse_metrics_event(
            {"version": "0", "id": str(uuid.uuid4()), "detail-type": metrics.DETAIL_TYPE, "source": metrics.SOURCE,
             "account": PROD_ACCOUNT if variant else TEST_ACCOUNT, "time": when, "region": REGION, "resources": [],
             "detail": detail},
            account_for_kind={metrics.Kind.QA: TEST_ACCOUNT, metrics.Kind.PRODUCTION: PROD_ACCOUNT})
        latest, history = metrics.build_items(event, model_package_arn=f"arn:aws:sagemaker:{REGION}:{GOV}:model-package/{group}/{version}",
                                              recorded_at=when)
        self.pending += [history, latest]

    def flush(self) -> None:
        by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for item in self.pending:  # later items of the same key win, like the conditional writes
            by_key[(item["pk"], item["sk"])] = item
        items = list(by_key.values())
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": {k: _serializer.serialize(v) for k, v in item.items()}}}
                        for item in items[start:start + 25]]
            self.client.batch_write_item(RequestItems={self.table: requests})
        self.pending = []


# ------------------------------------------------------------------ the metrics bus


def capture_metrics_bus(ctx: Context) -> Callable[[], list[dict[str, Any]]]:
    """The governance metrics bus (policy: the test account, source mlgov.metrics) with a rule to an SQS queue.

    Returns a function that reads the captured events from the queue.
    """
    events, sqs = ctx.governance_client("events"), ctx.governance_client("sqs")
    events.create_event_bus(Name=METRICS_BUS)
    events.put_permission(EventBusName=METRICS_BUS, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "test-qa", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{TEST_ACCOUNT}:root"},
        "Action": "events:PutEvents", "Resource": METRICS_BUS_ARN,
        "Condition": {"StringEquals": {"events:source": "mlgov.metrics"}}}]}))
    queue_url = sqs.create_queue(QueueName="captured-metrics")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="capture", EventBusName=METRICS_BUS,
                    EventPattern=json.dumps({"source": ["mlgov.metrics"], "detail-type": ["Model Metrics Reported"]}))
    events.put_targets(Rule="capture", EventBusName=METRICS_BUS, Targets=[{"Id": "q", "Arn": queue_arn}])

    def received() -> list[dict[str, Any]]:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    return received
