"""`mlgov status`, `list`, `history` against moto in process: right answers, and only Query calls (never Scan)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from moto import mock_aws

from mlgov_cli.context import REPO_ROOT, Context
from mlgov_cli.main import cli
from mlgov_config import AccountRole
from mlgov_core import aws, keys, reconcile
from mlgov_core.settings import SyncSettings
from mlgov_core.sync import record_registry_change

REGION = "eu-west-1"
GROUP = "credit-risk"
OTHER_GROUP = "fraud-detection"
APPROVER_ROLE = "mlgov-model-approver"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlgov/models:xgboost-1.7"


# ------------------------------------------------------------------ harness (same in test_cli_reconcile.py)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch):
    """moto in process with fake credentials, and the sandbox's registry patches (undone after the test)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("MLGOV_ENDPOINT_URL", raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    from moto.sagemaker.models import ModelPackage, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from sandbox.patches import sagemaker_identity, sagemaker_lifecycle, sagemaker_update_fields

    for owner, name in ((SageMakerResponse, "create_model_package"), (SageMakerResponse, "update_model_package"),
                        (ModelPackage, "gen_response_object"), (SageMakerModelBackend, "update_model_package")):
        monkeypatch.setattr(owner, name, owner.__dict__[name])  # restored at teardown
    sagemaker_update_fields.apply()
    sagemaker_lifecycle.apply()
    sagemaker_identity.apply()
    with mock_aws():
        aws.reset_clients()
        yield
    aws.reset_clients()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The repository config plus a second use case (fraud, group fraud-detection)."""
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    text = (target / "use_cases" / "credit-risk.yaml").read_text()
    (target / "use_cases" / "fraud.yaml").write_text(
        text.replace("name: credit-risk", "name: fraud", 1).replace("  name: credit-risk", "  name: fraud-detection"))
    return target


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
        name = name or self.table
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in keys.key_attributes()],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": i.name,
                "KeySchema": [{"AttributeName": i.partition_key, "KeyType": "HASH"},
                              {"AttributeName": i.sort_key, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}} for i in keys.INDEXES])
        return name

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


@pytest.fixture
def cli_calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """API calls made by the CLI's governance clients (botocore before-call hook)."""
    calls: Counter = Counter()
    original = Context.governance_client

    def counted(self: Context, service: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service, *args, **kwargs)
        client.meta.events.register(
            "before-call.*.*", lambda event_name, **_: calls.update([event_name.split(".", 1)[1]]))
        return client

    monkeypatch.setattr(Context, "governance_client", counted)
    return calls


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Human tables at a fixed width, so cells are not truncated."""
    from mlgov_cli import output

    monkeypatch.setattr(output.console, "width", 250)


def run(config_dir: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(config_dir), *args], catch_exceptions=False)
    return result


# ------------------------------------------------------------------ audit


@pytest.fixture
def governed(gov: Gov) -> Gov:
    """credit-risk: v1 Prod/Approved, v2 Test/Approved, v3 Test/Rejected, v4 Dev/Pending; fraud: v1 Dev/Pending.

    Every registry change is synced as the Lambda would (one history item per change).
    """
    gov.create_table()
    gov.group(GROUP)
    gov.group(OTHER_GROUP)
    v1 = gov.register(GROUP, **{"metric:auc": "0.91"})
    gov.sync(v1)
    gov.decide(v1, "Test", "Approved", "offline-eval-ok")
    gov.sync(v1)
    gov.decide(v1, "Prod", "Approved", "qa-gates-passed", **{"qa:auc": "0.9", "qa:p95_latency_ms": "120"})
    gov.sync(v1)
    v2 = gov.register(GROUP)
    gov.decide(v2, "Test", "Approved", "ok")
    gov.sync(v2)
    v3 = gov.register(GROUP, registrant="bob@example.com")
    gov.decide(v3, "Test", "Rejected", "auc-below-threshold")
    gov.sync(v3)
    v4 = gov.register(GROUP)
    gov.sync(v4)
    gov.sync(gov.register(OTHER_GROUP))
    # Latest production metrics of v1's champion variant, as metrics-ingest writes them.
    gov.ddb.put_item(TableName=gov.table, Item={
        "pk": {"S": keys.version_pk(GROUP, 1)}, "sk": {"S": keys.metrics_sk("production", "champion")},
        "item_type": {"S": "metrics_latest"}, "kind": {"S": "production"}, "variant": {"S": "champion"},
        "metrics": {"M": {"p95_latency_ms": {"N": "87"}, "error_rate": {"N": "0.001"}}},
        "last_modified": {"S": "2025-03-07T10:00:00.000Z"}, "version": {"N": "1"}})
    return gov


def test_list_prod_approved_answers_with_queries_only(governed: Gov, config_dir: Path, cli_calls: Counter):
    result = run(config_dir, "--json", "list", "--stage", "Prod", "--status", "Approved")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["group"], r["version"]) for r in rows] == [(GROUP, 1)]
    row = rows[0]
    assert (row["stage"], row["status"], row["approval"]) == ("Prod", "Approved", "Approved")
    assert row["registered_by"] == "alice@example.com"
    assert row["approved_by"].endswith(f"assumed-role/{APPROVER_ROLE}/mlgov-cli")
    assert row["qa_metrics"] == "auc=0.9 p95_latency_ms=120"
    assert row["prod_metrics"] == "champion: error_rate=0.001 p95_latency_ms=87"
    # one Query on by_stage_status, one for v1's latest metrics; nothing else, never a Scan
    assert cli_calls == Counter({"dynamodb.Query": 2})


@pytest.mark.parametrize("args, expected", [
    (("--group", GROUP), [(GROUP, 1), (GROUP, 2), (GROUP, 3), (GROUP, 4)]),
    (("--use-case", "fraud"), [(OTHER_GROUP, 1)]),
    (("--stage", "Test"), [(GROUP, 2), (GROUP, 3)]),
    ((), [(GROUP, 1), (GROUP, 2), (GROUP, 3), (GROUP, 4), (OTHER_GROUP, 1)]),
])
def test_list_selectors(governed: Gov, config_dir: Path, cli_calls: Counter, args, expected):
    result = run(config_dir, "--json", "list", "--no-metrics", *args)
    assert result.exit_code == 0, result.output
    assert sorted((r["group"], r["version"]) for r in json.loads(result.output)) == expected
    assert set(cli_calls) == {"dynamodb.Query"}


def test_list_human_table(governed: Gov, config_dir: Path):
    result = run(config_dir, "list", "--group", GROUP)
    assert result.exit_code == 0
    assert "Versions of group credit-risk (4)" in result.output
    assert "alice@example.com" in result.output


def test_list_rejects_two_selectors_and_status_without_stage(governed: Gov, config_dir: Path):
    assert run(config_dir, "list", "--group", GROUP, "--use-case", "fraud").exit_code == 2
    result = run(config_dir, "list", "--status", "Approved")
    assert result.exit_code == 2 and "--status needs --stage" in result.output


def test_history_is_who_what_when_why_from_one_query(governed: Gov, config_dir: Path, cli_calls: Counter):
    result = run(config_dir, "--json", "history", GROUP, "1")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert cli_calls == Counter({"dynamodb.Query": 1})
    assert answer["state"]["stage"] == "Prod"
    rows = answer["history"]
    assert [r["change"] for r in rows] == [
        "registered: Dev/Pending PendingManualApproval",
        "Dev/Pending PendingManualApproval -> Test/Approved Approved",
        "Test/Approved Approved -> Prod/Approved Approved",
    ]
    assert rows[0]["actor"] == "registered_by alice@example.com"
    assert rows[1]["actor"].startswith("approved_by arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/")
    assert [r["reason"] for r in rows] == [None, "offline-eval-ok", "qa-gates-passed"]
    times = [r["time"] for r in rows]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    assert all("event reconcile:" in r["source"] for r in rows)
    assert [m["variant"] for m in answer["metrics"]] == ["champion"]


def test_history_of_a_rejection_names_the_rejecter_and_reason(governed: Gov, config_dir: Path):
    rows = json.loads(run(config_dir, "--json", "history", GROUP, "3").output)["history"]
    assert rows[-1]["actor"].startswith("rejected_by arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/")
    assert rows[-1]["reason"] == "auc-below-threshold"


def test_history_human_output(governed: Gov, config_dir: Path):
    result = run(config_dir, "history", GROUP, "1")
    assert result.exit_code == 0
    assert "credit-risk v1: Prod/Approved" in result.output
    assert "qa-gates-passed" in result.output


def test_history_of_an_unknown_version_exits_2(governed: Gov, config_dir: Path):
    result = run(config_dir, "history", GROUP, "99")
    assert result.exit_code == 2
    assert "not in the governance table" in result.output and "mlgov reconcile" in result.output


def test_status_matrix_and_latest_per_stage(governed: Gov, config_dir: Path, cli_calls: Counter):
    result = run(config_dir, "--json", "status")
    assert result.exit_code == 0, result.output
    by_use_case = {row["use_case"]: row for row in json.loads(result.output)}
    credit = by_use_case["credit-risk"]
    assert credit["versions"] == 4
    assert credit["matrix"] == {
        "Dev": {"Pending": 1, "Approved": 0, "Rejected": 0},
        "Test": {"Pending": 0, "Approved": 1, "Rejected": 1},
        "Prod": {"Pending": 0, "Approved": 1, "Rejected": 0},
    }
    assert {stage: (v["version"], v["status"]) for stage, v in credit["latest"].items()} == {
        "Dev": (4, "Pending"), "Test": (3, "Rejected"), "Prod": (1, "Approved")}
    assert by_use_case["fraud"]["versions"] == 1
    assert cli_calls == Counter({"dynamodb.Query": 2})  # one per use case


def test_status_of_one_use_case_human(governed: Gov, config_dir: Path):
    result = run(config_dir, "status", "--use-case", "credit-risk")
    assert result.exit_code == 0
    assert "Versions by stage and status" in result.output and "v1 (Approved)" in result.output


def test_aws_failure_exits_3(gov: Gov, config_dir: Path):
    result = run(config_dir, "list", "--group", GROUP)  # no table
    assert result.exit_code == 3
    assert "ResourceNotFoundException" in result.output
