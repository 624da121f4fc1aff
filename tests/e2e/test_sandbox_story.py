"""The README's main command, as a test: real terraform apply into the sandbox, a registration from
dev, and the event landing in the governance table through the deployed Lambda (make demo)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from boto3.dynamodb.types import TypeDeserializer

from mlgov_config import AccountRole, load_config
from sandbox.demo import deployed_sandbox, queue_depth, run_story

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
        result = run_story(deployed)
        governance = deployed.governance()
        # A registry event without the fields we cannot work without must end in the DLQ, not vanish.
        governance.client("events").put_events(Entries=[{
            "Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change",
            "Detail": json.dumps({"ModelPackageGroupName": "credit-risk", "ModelApprovalStatus": "Approved"}),
        }])
        deployed.sandbox.drain()
        sqs = governance.client("sqs")
        url = sqs.get_queue_url(QueueName=deployed.dead_letter_queue())["QueueUrl"]
        dead = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        yield {"result": result, "dead_letters_after_malformed": dead,
               "depth_before_malformed": result.dead_letters, "invocations": deployed.sandbox.invocations()}


def test_both_stacks_apply_completely_and_replan_clean(story):
    result = story["result"]
    assert {a.stack for a in result.applies} == {"governance", "dev"}
    for applied in result.applies:
        assert applied.failed == {}, f"{applied.stack}: resources not applied: {applied.failed}"
        assert applied.applied, f"{applied.stack}: nothing in state"
    assert result.replan_changes == {"governance": [], "dev": []}


def test_version_registered_from_dev_lives_in_the_governance_registry(story):
    arn = story["result"].model_package_arn
    assert arn.split(":")[4] == GOVERNANCE
    assert "/credit-risk/" in arn


def test_event_reached_the_table_through_the_deployed_lambda(story):
    result = story["result"]
    sync_runs = [i for i in result.invocations if i["function_arn"].endswith(":function:mlgov-registry-sync")]
    assert sync_runs and all(i["status"] == "Success" for i in sync_runs), sync_runs
    assert all(i["payload"]["result"] == "recorded" for i in sync_runs)
    items = {i["sk"]: i for i in map(_plain, result.items)}
    state = items.pop("STATE")
    assert state["model_package_arn"] == result.model_package_arn
    assert (state["stage"], state["status"], state["approval_status"]) == ("Dev", "Pending", "PendingManualApproval")
    assert state["use_case"] == "credit-risk"
    assert state["registered_by"] == "data-scientist@example.com"
    assert state["metrics"]["auc"] == Decimal("0.81")
    assert len(items) == 1 and next(iter(items)).startswith("HIST#"), "one registry change, one history record"
    assert story["depth_before_malformed"] == 0


def test_malformed_event_ends_in_the_dead_letter_queue_with_its_reason(story):
    dead = story["dead_letters_after_malformed"]
    assert len(dead) == 1
    assert "ModelPackageArn" in json.dumps(dead[0]), "the dead letter must say which field was missing"
