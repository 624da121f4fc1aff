"""The README's main command, as a test: real terraform apply into the sandbox, a registration from
dev, and the event landing in the governance table through the deployed Lambda (make demo)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from boto3.dynamodb.types import TypeDeserializer

from mlgov_config import AccountRole, load_config
from sandbox.demo import deployed_sandbox, run_serving_story, run_story
from sandbox.serving import METRICS_DETAIL_TYPE, METRICS_SOURCE

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]
REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO_ROOT / "config")
GOVERNANCE = CONFIG.platform.account_id(AccountRole.GOVERNANCE)


def _plain(item: dict) -> dict:
    return {k: TypeDeserializer().deserialize(v) for k, v in item.items()}


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """One sandbox for the module: applying the stacks costs about a minute."""
    with deployed_sandbox(CONFIG, tmp_path_factory.mktemp("sandbox")) as deployed:
        run_story(deployed)
        result = run_serving_story(deployed)
        governance = deployed.governance()
        sagemaker_view = governance.client("sagemaker").describe_model_package(ModelPackageName=result.model_package_arn)
        # A registry event without the fields we cannot work without must end in the DLQ, not vanish.
        governance.client("events").put_events(Entries=[{
            "Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change",
            "Detail": json.dumps({"ModelPackageGroupName": "credit-risk", "ModelApprovalStatus": "Approved"}),
        }])
        # A metrics report without metrics, from the test account's publisher role.
        publisher = deployed.session(AccountRole.TEST, "mlgov-metrics-publisher", "qa-run")
        publisher.client("events").put_events(Entries=[{
            "EventBusName": deployed.names.metrics_bus_arn(), "Source": METRICS_SOURCE, "DetailType": METRICS_DETAIL_TYPE,
            "Detail": json.dumps({"schema_version": 1, "model_package_group": "credit-risk", "model_version": 1,
                                  "stage": "Test", "kind": "qa", "metrics": {}, "reported_by": "qa",
                                  "reported_at": "2026-01-01T00:00:00Z"}),
        }])
        deployed.sandbox.drain()
        sqs = governance.client("sqs")

        def dead_letters(function: str) -> list[dict]:
            url = sqs.get_queue_url(QueueName=deployed.dead_letter_queue(function))["QueueUrl"]
            return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

        yield {"result": result, "registry_dead_letters": dead_letters("registry-sync"),
               "metrics_dead_letters": dead_letters("metrics-ingest"), "registry": sagemaker_view,
               "depth_before_malformed": result.dead_letters}


def test_all_four_stacks_apply_completely_and_replan_clean(story):
    result = story["result"]
    assert [a.stack for a in result.applies] == ["governance", "dev", "test", "prod"]
    for applied in result.applies:
        assert applied.failed == {}, f"{applied.stack}: resources not applied: {applied.failed}"
        assert applied.applied, f"{applied.stack}: nothing in state"
    assert result.replan_changes == {"governance": [], "dev": [], "test": [], "prod": []}


def test_version_registered_from_dev_lives_in_the_governance_registry(story):
    arn = story["result"].model_package_arn
    assert arn.split(":")[4] == GOVERNANCE
    assert "/credit-risk/" in arn


def test_event_reached_the_table_through_the_deployed_lambda(story):
    result = story["result"]
    sync_runs = [i for i in result.invocations if i["function_arn"].endswith(":function:mlgov-registry-sync")]
    assert sync_runs and all(i["status"] == "Success" for i in sync_runs), sync_runs
    assert all(i["payload"]["result"] == "recorded" for i in sync_runs)
    items = {i["sk"]: i for i in map(_plain, result.items) if i["item_type"] in ("state", "history")}
    state = items.pop("STATE")
    assert state["model_package_arn"] == result.model_package_arn
    assert (state["stage"], state["status"], state["approval_status"]) == ("Dev", "Pending", "PendingManualApproval")
    assert state["use_case"] == "credit-risk"
    assert state["registered_by"] == "data-scientist@example.com"
    assert state["metrics"]["auc"] == Decimal("0.81")
    assert all(sk.startswith("HIST#") for sk in items)
    assert story["depth_before_malformed"] == 0


def test_malformed_event_ends_in_the_dead_letter_queue_with_its_reason(story):
    dead = story["registry_dead_letters"]
    assert len(dead) == 1
    assert "ModelPackageArn" in json.dumps(dead[0]), "the dead letter must say which field was missing"


def test_signed_request_through_the_test_api_reaches_the_endpoint(story):
    answer = story["result"].predict
    assert answer.status == 200, answer.body
    assert answer.body["variant"] == "qa" and answer.body["model_version"] == 1
    assert "prediction" in answer.body


def test_qa_metrics_reach_the_table_and_the_registry(story):
    items = {i["sk"]: i for i in map(_plain, story["result"].items)}
    assert items["METRICS#qa"]["metrics"] == {"auc": Decimal("0.79"), "p95_latency_ms": Decimal("120")}
    metadata = story["registry"]["CustomerMetadataProperties"]
    assert metadata["qa:auc"] == "0.79", "QA metrics must be written to the registry, which stays authoritative"
    assert metadata["registered_by"] == "data-scientist@example.com", "the update must keep the registrant"
    # The registry update raised a registry event, which registry-sync recorded in the state item.
    assert items["STATE"]["qa_metrics"] == {"auc": Decimal("0.79"), "p95_latency_ms": Decimal("120")}


def test_malformed_metrics_report_ends_in_its_dead_letter_queue(story):
    dead = story["metrics_dead_letters"]
    assert len(dead) == 1
    assert "metrics" in json.dumps(dead[0])
