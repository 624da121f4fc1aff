"""Stage names of real registries: mapped to Dev/Test/Prod (defaults + platform config), or recorded as Unmapped.

Against moto, as the other sync tests: the event's ModelLifeCycle as SageMaker Studio or another tool
writes it; the table must hold the governance stage, keep the registry's names, and never drop the change.
"""

from __future__ import annotations

import importlib
import json
import logging

import pytest
from sync_testkit import GROUP, TABLE, history_of, load_event, state_of, with_detail

from mlgov_core import rules
from mlgov_core.settings import STAGE_NAMES_ENV, ConfigurationError, SyncSettings, settings_from_env
from mlgov_core.sync import UNMAPPED_LOG_MESSAGE, record_registry_change
from registry_sync import handler


def _approved(stage: str, status: str = "Approved") -> dict:
    return with_detail(load_event("approved_for_test"),
                       ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": "from Studio"})


@pytest.mark.parametrize(("stage", "status", "expected"), [
    ("Staging", "Approved", "Test#Approved"),
    ("STAGING", "approved", "Test#Approved"),
    ("QA", "PendingApproval", "Test#Pending"),
    ("Production", "Approved", "Prod#Approved"),
    ("prod", "Rejected", "Prod#Rejected"),
    ("Development", "Pending", "Dev#Pending"),
    ("PreProduction", "Approved", "Test#Approved"),
])
def test_common_registry_spellings_map_to_governance_stages(settings, package_arn, stage, status, expected):
    assert record_registry_change(_approved(stage, status), settings)["result"] == "recorded"
    state = state_of()
    assert state["stage_status"] == expected
    assert (state["registry_stage"], state["registry_stage_status"]) == (stage, status)  # the registry's names kept


def test_canonical_names_record_no_registry_copy(settings, package_arn):
    record_registry_change(load_event("approved_for_test"), settings)
    assert not {"registry_stage", "registry_stage_status"} & set(state_of())


@pytest.mark.parametrize(("stage", "status"), [
    ("Archived", "Retired"),        # a stage outside the mapping
    ("Production", "InProgress"),   # a mapped stage with a status that is no decision state
    ("Proposal", "PendingApproval"),
    ("Integration", "Approved"),    # mapped only by platform config (next test)
])
def test_a_lifecycle_outside_the_mapping_is_recorded_as_unmapped_never_dropped(settings, package_arn, stage, status):
    outcome = record_registry_change(_approved(stage, status), settings)
    assert (outcome["result"], outcome["stage"]) == ("recorded", rules.UNMAPPED)
    state = state_of()
    assert (state["stage"], state["status"], state["stage_status"]) == ("Unmapped", "Unmapped", "Unmapped#Unmapped")
    assert (state["registry_stage"], state["registry_stage_status"]) == (stage, status)
    [history] = history_of()
    assert (history["stage"], history["registry_stage"]) == ("Unmapped", stage)
    assert rules.classify_change(None, history) == rules.Change.UNMAPPED
    # Never approved onwards, never deployable.
    with pytest.raises(rules.TransitionError, match="outside the stage mapping"):
        rules.check_decision(state["stage"], state["status"], "alice", rules.StageStatus.APPROVED, rules.Stage.PROD, "bob")
    assert not rules.deployable(state["stage"], state["status"], "Approved", rules.Stage.TEST)


def test_platform_config_adds_and_overrides_names(table, package_arn):
    settings = settings_from_env({"GOVERNANCE_TABLE_NAME": table, "USE_CASE_BY_GROUP": json.dumps({GROUP: "fraud"}),
                                  STAGE_NAMES_ENV: json.dumps({"Integration": "Test", "Staging": "Prod"})})
    record_registry_change(_approved("integration"), settings)
    assert state_of()["stage_status"] == "Test#Approved"
    later = with_detail(_approved("Staging"), LastModifiedTime="2025-03-05T08:02:09.906Z")
    record_registry_change(later, settings)  # an override wins over the default (Staging -> Test)
    assert state_of()["stage_status"] == "Prod#Approved"


def test_two_unmapped_changes_at_the_same_time_are_two_history_items(settings, package_arn):
    record_registry_change(_approved("Archived", "Retired"), settings)
    record_registry_change(_approved("Proposal", "InProgress"), settings)
    assert sorted(h["registry_stage"] for h in history_of()) == ["Archived", "Proposal"]
    items = history_of()
    assert rules.classify_change(items[0], items[1]) == rules.Change.UNMAPPED  # not "metadata"


@pytest.mark.parametrize(("raw", "message"), [
    ('{"Integration": "Staging"}', "'Staging' is not a stage"),
    ('{"Staging": "Test", "staging": "Prod"}', "same name ignoring case"),
    ('{"Test": "Prod"}', "always means itself"),
    ('{"bad name": "Test"}', "not a registry stage name"),
    ('["Staging"]', "expected a mapping"),
    ("{not json", "not valid JSON"),
])
def test_a_bad_stage_mapping_in_the_environment_is_a_clear_error(raw, message):
    with pytest.raises(ConfigurationError, match=STAGE_NAMES_ENV) as raised:
        settings_from_env({"GOVERNANCE_TABLE_NAME": TABLE, STAGE_NAMES_ENV: raw})
    assert message in str(raised.value)


def test_absent_stage_mapping_means_the_defaults():
    assert settings_from_env({"GOVERNANCE_TABLE_NAME": TABLE}).stage_names == SyncSettings(TABLE).stage_names
    assert SyncSettings(TABLE).stage_names == rules.stage_names()


class _Context:
    function_name, memory_limit_in_mb = "mlgov-registry-sync", 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:mlgov-registry-sync"
    aws_request_id = "5f2e1c3a-0000-4000-8000-000000000002"


@pytest.fixture
def function_env(monkeypatch, table, package_arn):
    monkeypatch.setenv("GOVERNANCE_TABLE_NAME", TABLE)
    monkeypatch.setenv("USE_CASE_BY_GROUP", json.dumps({GROUP: "fraud"}))
    monkeypatch.setenv(STAGE_NAMES_ENV, "{}")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "registry-sync")
    importlib.reload(handler)


def test_the_handler_records_unmapped_and_logs_the_alarmed_message(function_env, caplog):
    with caplog.at_level(logging.INFO):
        outcome = handler.lambda_handler(_approved("Archived", "Retired"), _Context())
    assert outcome["result"] == "recorded"  # returned, so Lambda neither retries nor dead-letters it
    # The JSON line in the log group: its "message" is what the alarm's metric filter matches (synth test).
    lines = [json.loads(handler.logger.registered_formatter.format(r)) for r in caplog.records]
    assert [(line["level"], line["registry_stage"]) for line in lines if line.get("message") == UNMAPPED_LOG_MESSAGE] == [
        ("WARNING", "Archived")]
    warnings = [r for r in caplog.records if r.getMessage() == UNMAPPED_LOG_MESSAGE]
    assert [(r.levelno, r.registry_stage, r.registry_stage_status) for r in warnings] == [
        (logging.WARNING, "Archived", "Retired")]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        handler.lambda_handler(_approved("Staging"), _Context())  # mapped: no alarm line
    assert not [r for r in caplog.records if r.getMessage() == UNMAPPED_LOG_MESSAGE]


@pytest.mark.parametrize(("life", "expected"), [
    ({"Stage": "Staging", "StageStatus": "Approved"}, ("Test", "Approved")),
    ({"Stage": "production", "StageStatus": "PendingApproval"}, ("Prod", "Pending")),
    ({"Stage": "Integration", "StageStatus": "Approved"}, ("Test", "Approved")),  # by the configured override
])
def test_the_decision_function_reads_stage_names_as_registry_sync_does(life, expected):
    from mlgov_core import decision

    names = settings_from_env({"GOVERNANCE_TABLE_NAME": TABLE, STAGE_NAMES_ENV: '{"Integration": "Test"}'}).stage_names
    state = decision.version_state({"ModelApprovalStatus": "Approved", "ModelLifeCycle": life}, names)
    assert (state.stage.value, state.status.value) == expected


@pytest.mark.parametrize("life", [{"Stage": "Archived", "StageStatus": "Retired"}, {"Stage": "Test", "StageStatus": "OnHold"}])
def test_the_decision_function_refuses_a_lifecycle_outside_the_mapping(life):
    from mlgov_core import decision

    with pytest.raises(decision.Refused, match="not a governance stage"):
        decision.version_state({"ModelApprovalStatus": "Approved", "ModelLifeCycle": life})
