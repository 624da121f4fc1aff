"""`mlgov status`, `list`, `history` against moto in process: right answers, and only Query calls (never Scan)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from governance_testkit import (  # noqa: F401  (fixtures: aws_env, cli_calls, config_dir, gov, wide_console)
    APPROVER_ROLE, GOV, GROUP, OTHER_GROUP, Gov, aws_env, cli_calls, config_dir, gov, run, wide_console,
)

from mlgov_core import keys

OPERATOR_SESSION = f"arn:aws:sts::{GOV}:assumed-role/mlgov-terraform/mlgov-cli"


def session_client(role_arn: str, session_name: str, service: str):
    """A client of ``role_arn`` under ``session_name`` (Context caches one session per role)."""
    import boto3

    creds = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.client(service, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


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
    assert row["registered_by"] == OPERATOR_SESSION  # the registry's CreatedBy, not the metadata's name
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
    assert "alice@example.com" not in result.output  # registered_by is CreatedBy (an ARN), the claim is not listed


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
    assert rows[0]["actor"] == f"registered_by {OPERATOR_SESSION} (metadata claims alice@example.com; not evidence)"
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


def test_history_metadata_change_is_not_a_decision():
    from mlgov_cli.commands.audit import history_rows

    approved = {"item_type": "history", "stage": "Test", "status": "Approved", "approval_status": "Approved",
                "changed_by": "arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/bob",
                "customer_metadata": {"decision_reason": "offline-eval-ok"}, "last_modified": "2025-02-02T10:00:00.000Z"}
    # metrics-ingest wrote QA metrics into the registry: same state, the decider's reason carried along
    qa_written = {**approved, "customer_metadata": {**approved["customer_metadata"], "qa:auc": "0.81"},
                  "changed_by": "arn:aws:sts::111111111111:assumed-role/mlgov-metrics-ingest/fn",
                  "last_modified": "2025-02-03T10:00:00.000Z"}
    rows = history_rows([approved, qa_written])
    assert rows[0]["actor"] == "approved_by arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/bob"
    assert rows[1]["change"] == "Test/Approved Approved (metadata)"
    assert rows[1]["actor"] == "changed_by arn:aws:sts::111111111111:assumed-role/mlgov-metrics-ingest/fn"
    assert rows[1]["reason"] is None, "the last decision's, not this change's"


def test_a_decision_made_outside_the_cli_is_credited_to_its_last_modified_by(gov: Gov, config_dir: Path):
    """An approver updates the registry directly under the registrant's session name, leaving the Test
    approver's approved_by in metadata: the trail names the registry's LastModifiedBy, never the metadata."""
    gov.create_table()
    gov.group(GROUP)
    arn = gov.register(GROUP)
    gov.sync(arn)
    test_approver = "arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/carol"
    gov.decide(arn, "Test", "Approved", "ok", approved_by=test_approver)
    gov.sync(arn)
    direct = session_client(f"arn:aws:iam::{GOV}:role/{APPROVER_ROLE}", "mlgov-cli", "sagemaker")
    direct.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                ModelLifeCycle={"Stage": "Prod", "StageStatus": "Approved", "StageDescription": "direct"})
    assert gov.sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]["approved_by"] == test_approver
    gov.sync(arn)
    rows = json.loads(run(config_dir, "--json", "history", GROUP, "1").output)["history"]
    prod = rows[-1]
    assert prod["change"].endswith("-> Prod/Approved Approved")
    assert prod["actor"].startswith(f"approved_by arn:aws:sts::{GOV}:assumed-role/{APPROVER_ROLE}/mlgov-cli")
    assert f"metadata claims {test_approver}; not evidence" in prod["actor"]
    assert not prod["actor"].startswith(f"approved_by {test_approver}")

    from mlgov_cli.report_data import TableReader, build_report

    report = build_report(gov.ctx.config, TableReader(gov.ddb, gov.table), use_case="credit-risk")
    [version] = report["use_cases"][0]["versions"]
    decisions = [h for h in version["history"] if h["action"] == "approved"]
    assert [h["stage"] for h in decisions] == ["Test", "Prod"]
    assert decisions[-1]["by"].startswith(f"arn:aws:sts::{GOV}:assumed-role/{APPROVER_ROLE}/mlgov-cli")
    assert decisions[-1]["by"] != test_approver and decisions[-1]["claimed_by"] == test_approver
    assert version["approved_by"] == decisions[-1]["by"]
