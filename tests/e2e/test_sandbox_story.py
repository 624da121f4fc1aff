"""The README's main command as a test: the four stacks applied for real into the sandbox (the committed ones
but for one group description, tests/sandbox_story.py),
then the lifecycle driven by the `mlgov` CLI (sandbox/lifecycle.py, the same steps `make demo` runs).
The table, the registry and the report must agree at the end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from boto3.dynamodb.types import TypeDeserializer

from mlgov_config import AccountRole, load_config
from sandbox.demo import version_items
from sandbox.lifecycle import APPROVER, REGISTRANT
from mlgov_core.metrics import DETAIL_TYPE as METRICS_DETAIL_TYPE
from mlgov_core.metrics import SOURCE as METRICS_SOURCE

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]
REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO_ROOT / "config")
GOVERNANCE = CONFIG.platform.account_id(AccountRole.GOVERNANCE)


def _plain(item: dict) -> dict:
    return {k: TypeDeserializer().deserialize(v) for k, v in item.items()}


@pytest.fixture(scope="module")
def story(sandbox_story):
    """What the end-to-end assertions read, taken right after the lifecycle (tests/sandbox_story.py)."""
    deployed, lifecycle = sandbox_story.deployed, sandbox_story.lifecycle
    governance = deployed.governance()
    sagemaker = governance.client("sagemaker")
    versions = (lifecycle.first, lifecycle.challenger)
    registry = {v: sagemaker.describe_model_package(ModelPackageName=lifecycle.model_package_arns[v]) for v in versions}
    items = {v: {i["sk"]: i for i in map(_plain, version_items(governance, deployed.names.governance_table,
                                                                  "credit-risk", v))} for v in versions}
    endpoint = deployed.session(AccountRole.PROD, CONFIG.platform.terraform_role_name, "check").client("sagemaker").describe_endpoint(
        EndpointName=deployed.names.endpoint("credit-risk", "prod"))
    sqs = governance.client("sqs")

    def dead_letters(function: str) -> list[dict]:
        url = sqs.get_queue_url(QueueName=deployed.dead_letter_queue(function))["QueueUrl"]
        return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])

    before = {f: len(dead_letters(f)) for f in ("registry-sync", "metrics-ingest")}
    # Events that cannot be processed must end in a DLQ with their reason, not vanish.
    governance.client("events").put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change",
        "Detail": json.dumps({"ModelPackageGroupName": "credit-risk", "ModelApprovalStatus": "Approved"}),
    }])
    publisher = deployed.session(AccountRole.TEST, "mlgov-metrics-publisher", "qa-run")
    publisher.client("events").put_events(Entries=[{
        "EventBusName": deployed.names.metrics_bus_arn(), "Source": METRICS_SOURCE, "DetailType": METRICS_DETAIL_TYPE,
        "Detail": json.dumps({"schema_version": 1, "model_package_group": "credit-risk", "model_version": 1,
                              "stage": "Test", "kind": "qa", "metrics": {}, "reported_by": "qa",
                              "reported_at": "2026-01-01T00:00:00Z"}),
    }])
    deployed.sandbox.drain()
    return {"result": deployed.result, "lifecycle": lifecycle, "registry": registry, "items": items, "endpoint": endpoint,
            "dead_letters_before": before,
            "registry_dead_letters": dead_letters("registry-sync"), "metrics_dead_letters": dead_letters("metrics-ingest")}


def test_all_four_stacks_apply_and_every_promotion_replans_clean(story):
    result = story["result"]
    # Committed stacks first, then the pull requests of the challenger and of the winner.
    assert [a.stack for a in result.applies] == ["governance", "dev", "test", "prod", "test", "prod", "prod"]
    for applied in result.applies:
        assert applied.failed == {}, f"{applied.stack}: resources not applied: {applied.failed}"
    assert result.replan_changes == {s: [] for s in ("governance", "dev", "test", "prod", "test #2", "prod #2", "prod #3")}


def test_promotions_update_the_endpoints_in_place(story):
    test_update, challenger_update, winner_update = story["result"].applies[4:]
    for applied in (test_update, challenger_update, winner_update):
        assert not any("endpoint." in c and "must be replaced" in c for c in applied.changes), applied.changes
        assert any(c.startswith("aws_sagemaker_endpoint.") and "updated in-place" in c for c in applied.changes), applied.changes


def test_registered_from_dev_into_the_governance_registry(story):
    lifecycle = story["lifecycle"]
    assert (lifecycle.first, lifecycle.challenger) == (1, 2)
    for version, arn in lifecycle.model_package_arns.items():
        assert arn.split(":")[4] == GOVERNANCE and arn.endswith(f"/credit-risk/{version}")
        # The registrant is the registry's own record of the caller, never a name in metadata.
        assert story["registry"][version]["CreatedBy"]["IamIdentity"]["Arn"].endswith(f"/{REGISTRANT}")
        assert "registered_by" not in story["registry"][version]["CustomerMetadataProperties"]


def test_registrant_could_not_approve_their_own_version(story):
    assert story["lifecycle"].refused_self_approval == 1


def test_the_demos_attacks_were_refused_and_changed_nothing(story):
    outcomes = story["lifecycle"].attack_outcomes
    assert len(outcomes) == 3 and all(o.refused and o.unchanged for o in outcomes), [o.line() for o in outcomes]
    assert "separation of duties" in outcomes[0].answer
    assert outcomes[1].answer.startswith("AccessDenied") and outcomes[2].answer.startswith("AccessDeniedException")


def test_every_history_verifies(story):
    lifecycle = story["lifecycle"]
    assert lifecycle.history_verified == {lifecycle.first: 0, lifecycle.challenger: 0}


@pytest.mark.parametrize("version", [1, 2])
def test_registry_and_table_agree_on_the_prod_approval(story, version):
    registry, state = story["registry"][version], story["items"][version]["STATE"]
    assert registry["ModelApprovalStatus"] == "Approved"
    assert registry["ModelLifeCycle"]["Stage"] == "Prod" and registry["ModelLifeCycle"]["StageStatus"] == "Approved"
    assert (state["stage"], state["status"], state["approval_status"]) == ("Prod", "Approved", "Approved")
    assert (state.get("approved_by") or "").endswith(f"/{APPROVER}"), "the Prod approval is credited to the approver the decision function verified"
    qa = {k.removeprefix("qa:"): Decimal(v) for k, v in registry["CustomerMetadataProperties"].items()
          if k.startswith("qa:") and k not in ("qa:reported_at", "qa:reported_by")}
    assert qa and state["qa_metrics"] == qa, "QA metrics in the table must be the registry's"
    assert qa["auc"] >= Decimal("0.75"), "the Prod gate passed on these metrics"


@pytest.mark.parametrize("version", [1, 2])
def test_history_keeps_every_change(story, version):
    history = [i for sk, i in story["items"][version].items() if sk.startswith("HIST#") and i["item_type"] == "history"]
    stages = {(h["stage"], h["status"]) for h in history}
    assert {("Dev", "Pending"), ("Test", "Approved"), ("Prod", "Approved")} <= stages


def test_ab_test_compared_the_two_versions_on_production_traffic(story):
    ab = story["lifecycle"].ab_metrics
    assert {v: (m["version"], m["invocations"]) for v, m in ab.items()} == {"champion": (1, 150), "challenger": (2, 150)}, \
        "the challenger's promotion rebalanced 90/10 to 50/50"
    for variant, metrics in ab.items():
        recorded = story["items"][metrics["version"]][f"METRICS#production#{variant}"]
        assert recorded["metrics"]["auc"] == Decimal(str(metrics["auc"]))


def test_the_winner_serves_all_traffic(story):
    lifecycle = story["lifecycle"]
    ab = lifecycle.ab_metrics
    expected = ab["challenger"]["version"] if ab["challenger"]["auc"] > ab["champion"]["auc"] else ab["champion"]["version"]
    assert lifecycle.winner == expected
    assert lifecycle.serving_after_promotion == {"champion": {expected}, "challenger": {expected}}
    deployed = load_config(lifecycle.config_dir).use_cases["credit-risk"].deployments
    assert {v.version for v in deployed.prod.variants} == {expected} and deployed.test.version == 2
    weights = {v["VariantName"]: v["CurrentWeight"] for v in story["endpoint"]["ProductionVariants"]}
    assert weights == {"champion": 50.0, "challenger": 50.0}


def test_report_shows_what_the_table_holds(story):
    html = story["lifecycle"].report_html.read_text()
    markdown = story["lifecycle"].report_html.with_suffix(".md").read_text()
    for text in ("credit-risk", "Prod", "Approved", APPROVER, "challenger", "champion"):
        assert text in html and text in markdown, f"{text!r} missing from the report"
    # Test and Prod for each version; QA metrics written into the registry are not decisions.
    assert "## Approval timeline (4 decisions)" in markdown


def test_unprocessable_events_end_in_their_dead_letter_queues(story):
    assert story["dead_letters_before"] == {"registry-sync": 0, "metrics-ingest": 0}, "the lifecycle left dead letters"
    assert len(story["registry_dead_letters"]) == 1 and "ModelPackageArn" in json.dumps(story["registry_dead_letters"][0])
    assert len(story["metrics_dead_letters"]) == 1 and "metrics" in json.dumps(story["metrics_dead_letters"][0])
