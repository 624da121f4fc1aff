"""`mlgov approve` / `mlgov reject` against the sandbox: the CLI asks the decision function (deployed
from lambda_src/model_decisions behind its IAM API), which applies mlgov_core and writes once."""

from __future__ import annotations

import json

import pytest

from approve_testkit import *  # noqa: F403  (fixtures: apv)
from approve_testkit import GOOD_QA, GOV, ApvEnv

from mlgov_core import decision, identity

APPROVER_ARN = f"arn:aws:sts::{GOV}:assumed-role/mlgov-model-approver/carol@example.com"


def test_help(apv: ApvEnv) -> None:
    for command in ("approve", "reject"):
        result = apv.run(command, "--help")
        assert result.exit_code == 0
        assert "--reason" in result.output and "--stage" in result.output and "--approver" in result.output


def test_approve_for_test_writes_registry(apv: ApvEnv) -> None:
    version = apv.register()
    result = apv.decide("approve", version, "Test", reason="offline metrics fine; ticket CAB-1", json_output=True)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["decision"] == "Approved" and out["stage"] == "Test" and out["decided_by"] == APPROVER_ARN
    assert out["previous_state"] == "Dev/Pending (PendingManualApproval)"
    described = apv.describe(version)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "offline metrics fine; ticket CAB-1"
    assert described["ModelLifeCycle"] == {"Stage": "Test", "StageStatus": "Approved",
                                           "StageDescription": "offline metrics fine; ticket CAB-1"}
    meta = described["CustomerMetadataProperties"]
    assert meta["approved_by"] == APPROVER_ARN
    assert meta["decision_reason"] == "offline metrics fine ticket CAB-1"  # ';' is outside SageMaker's metadata set
    assert meta["decision_stage"] == "Test"
    assert "run_id" in meta  # other metadata kept


def test_table_output(apv: ApvEnv) -> None:
    version = apv.register()
    result = apv.decide("approve", version, "test")  # stage is case-insensitive
    assert result.exit_code == 0, result.output
    assert "Approved for Test" in result.output and apv.group in result.output


@pytest.mark.parametrize("approver, session", [
    ("bob@example.com", "bob@example.com"),   # the registrant's session name, as CreatedBy records it
    ("BOB@example.com", "bob@example.com"),   # case does not hide it
    ("dora", "dora"),
])
def test_own_version_refused_and_registry_unchanged(apv: ApvEnv, approver: str, session: str) -> None:
    version = apv.register(session=session, qa=GOOD_QA)
    before = apv.describe(version)
    result = apv.decide("approve", version, "Test", approver=approver)
    assert result.exit_code == 1, result.output
    assert "separation of duties" in result.output
    assert "Traceback" not in result.output
    after = apv.describe(version)
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert after["ModelApprovalStatus"] == "PendingManualApproval"
    assert after["ModelLifeCycle"]["Stage"] == "Dev"
    assert "approved_by" not in after["CustomerMetadataProperties"]


def test_own_version_reject_refused_too(apv: ApvEnv) -> None:
    version = apv.register()
    result = apv.decide("reject", version, "Test", approver="bob@example.com")
    assert result.exit_code == 1 and "separation of duties" in result.output
    assert apv.state(version) == ("PendingManualApproval", "Dev", "Pending")


def test_skipping_test_refused(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    result = apv.decide("approve", version, "Prod")
    assert result.exit_code == 1, result.output
    assert "no skipping stages" in result.output
    assert apv.state(version) == ("PendingManualApproval", "Dev", "Pending")


def test_prod_with_failing_qa_metrics_refused(apv: ApvEnv) -> None:
    version = apv.register(qa={"auc": "0.70", "p95_latency_ms": "150"})
    apv.approve_to(version, "Test")
    before = apv.describe(version)
    result = apv.decide("approve", version, "Prod", approver="erin@example.com")
    assert result.exit_code == 1, result.output
    assert "auc >= 0.75: auc = 0.7 (fail)" in result.output
    assert apv.describe(version)["LastModifiedTime"] == before["LastModifiedTime"]
    assert apv.state(version) == ("Approved", "Test", "Approved")


def test_prod_with_missing_qa_metrics_refused(apv: ApvEnv) -> None:
    version = apv.register(qa={"auc": "0.9"})  # no p95_latency_ms recorded
    apv.approve_to(version, "Test")
    result = apv.decide("approve", version, "Prod")
    assert result.exit_code == 1, result.output
    assert "no recorded value for p95_latency_ms" in result.output
    assert apv.state(version) == ("Approved", "Test", "Approved")


def test_prod_without_any_qa_metrics_refused(apv: ApvEnv) -> None:
    version = apv.register()
    apv.approve_to(version, "Test")
    result = apv.decide("approve", version, "Prod")
    assert result.exit_code == 1
    assert "no recorded value for auc" in result.output and "no recorded value for p95_latency_ms" in result.output


def test_prod_approval_with_passing_gates(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    result = apv.decide("approve", version, "Prod", "erin@example.com", "QA passed", json_output=True)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [g["passed"] for g in out["gates"]] == [True, True]
    assert apv.state(version) == ("Approved", "Prod", "Approved")
    assert apv.describe(version)["CustomerMetadataProperties"]["approved_by"].endswith("/erin@example.com")


def test_reject_then_approve_refused(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    rejected = apv.decide("reject", version, "Test", reason="data leak in feature x")
    assert rejected.exit_code == 0, rejected.output
    described = apv.describe(version)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ModelLifeCycle"]["StageStatus"] == "Rejected"
    assert described["CustomerMetadataProperties"]["rejected_by"] == APPROVER_ARN
    result = apv.decide("approve", version, "Test", approver="frank@example.com")
    assert result.exit_code == 1, result.output
    assert "rejected" in result.output
    assert apv.state(version) == ("Rejected", "Test", "Rejected")


def test_already_approved_refused(apv: ApvEnv) -> None:
    version = apv.register()
    apv.approve_to(version, "Test")
    result = apv.decide("approve", version, "Test", approver="frank@example.com")
    assert result.exit_code == 1 and "already Approved for Test" in result.output


@pytest.mark.parametrize("args, message", [
    (("--reason", "   "), "--reason is required"),
    (("--reason", "ok", "--approver", "x"), "--approver 'x' cannot be a source identity"),
    (("--reason", "ok", "--approver", "has space"), "cannot be a source identity"),
    (("--reason", "ok", "--approver", "a" * 65), "cannot be a source identity"),
])
def test_bad_input_exit_2(apv: ApvEnv, args: tuple[str, ...], message: str) -> None:
    version = apv.register()
    base = ["approve", apv.group, str(version), "--stage", "Test"]
    if "--approver" not in args:
        args = (*args, "--approver", "carol@example.com")
    result = apv.run(*base, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert apv.state(version) == ("PendingManualApproval", "Dev", "Pending")


def test_missing_reason_and_approver(apv: ApvEnv) -> None:
    version = apv.register()
    no_reason = apv.run("approve", apv.group, str(version), "--stage", "Test", "--approver", "carol")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    no_approver = apv.run("approve", apv.group, str(version), "--stage", "Test", "--reason", "fine")
    assert no_approver.exit_code == 2 and "--approver" in no_approver.output
    bad_stage = apv.run("approve", apv.group, str(version), "--stage", "Dev", "--reason", "x", "--approver", "carol")
    assert bad_stage.exit_code == 2


def test_unknown_version_and_group(apv: ApvEnv) -> None:
    apv.register()
    missing = apv.decide("approve", 42, "Test")
    assert missing.exit_code == 2
    assert f"version 42 does not exist in group {apv.group}" in missing.output
    unknown_group = apv.run("approve", "no-such-group", "1", "--stage", "Test", "--reason", "x", "--approver", "carol")
    assert unknown_group.exit_code == 2 and "no use case" in unknown_group.output


def test_unknown_lifecycle_stage_refused(apv: ApvEnv) -> None:
    version = apv.register()
    apv.force_lifecycle(version, {"Stage": "Staging", "StageStatus": "InProgress"})
    result = apv.decide("approve", version, "Test")
    assert result.exit_code == 1 and "not a governance stage" in result.output


def test_registry_failure_exit_3(apv: ApvEnv) -> None:
    from click.testing import CliRunner
    from mlgov_cli.main import cli

    result = CliRunner().invoke(cli, ["--config", str(apv.config_dir), "--endpoint-url", "http://127.0.0.1:9",
                                      "approve", apv.group, "1", "--stage", "Test", "--reason", "x", "--approver", "carol"])
    assert result.exit_code == 3, result.output
    assert "failed" in result.output and "Traceback" not in result.output


def test_sanitizers() -> None:
    assert decision.metadata_value("ok, (really)!\nyes") == "ok really yes"
    assert len(decision.metadata_value("x" * 600)) == 256
    assert decision.description_text("a\nb\tc") == "a b c"
    assert len(decision.description_text("y" * 5000)) == 1024
    assert identity.person(f"arn:aws:sts::{GOV}:assumed-role/mlgov-data-scientist/bob") == "bob"
    assert identity.person("arn:aws:iam::123456789012:user/team/alice") == "alice"
    assert identity.person("bob@example.com") == "bob@example.com"


def test_a_trust_that_refuses_the_approver_is_a_clear_error_and_changes_nothing(apv: ApvEnv) -> None:
    """STS refuses the AssumeRole (a people's role whose trust names someone else): exit 3, no traceback."""
    import uuid

    role = f"apv-refusing-{uuid.uuid4().hex[:6]}"
    apv.gov("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"sts:SourceIdentity": "somebody-else"}}}]}))
    version = apv.register()
    result = apv.run("approve", apv.group, str(version), "--stage", "Test", "--reason", "ok",
                     "--approver", "carol@example.com", "--as-role", role)
    assert result.exit_code == 3, result.output
    assert f"STS refused to let these credentials assume arn:aws:iam::{GOV}:role/{role} as 'carol@example.com'" in result.output
    assert "AccessDenied" in result.output and "Traceback" not in result.output
    assert apv.state(version) == ("PendingManualApproval", "Dev", "Pending")
