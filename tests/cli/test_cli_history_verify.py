"""`mlgov history GROUP VERSION --verify`: OK and exit 0 on an untouched chain; the break and exit 1 after tampering."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from governance_testkit import (  # noqa: F401  (fixtures: aws_env, cli_calls, config_dir, gov, wide_console)
    GROUP, Gov, aws_env, cli_calls, config_dir, gov, run, wide_console,
)

from mlgov_core import keys


@pytest.fixture
def three_changes(gov: Gov) -> Gov:
    """credit-risk v1: registered, approved for Test, approved for Prod; each synced as the Lambda does."""
    gov.create_table()
    gov.group(GROUP)
    arn = gov.register(GROUP, **{"metric:auc": "0.91"})
    gov.sync(arn)
    gov.decide(arn, "Test", "Approved", "offline-eval-ok")
    gov.sync(arn)
    gov.decide(arn, "Prod", "Approved", "qa-gates-passed")
    gov.sync(arn)
    return gov


def _history_sks(gov: Gov) -> list[str]:
    return [i["sk"] for i in gov.items() if i["sk"].startswith(keys.HISTORY_PREFIX)]


def test_an_untouched_history_verifies_with_the_one_query(three_changes: Gov, config_dir: Path, cli_calls: Counter):
    result = run(config_dir, "history", GROUP, "1", "--verify")
    assert result.exit_code == 0, result.output
    assert "hash chain OK: 3 history items" in result.output
    assert cli_calls == Counter({"dynamodb.Query": 1})  # verifying reads nothing more than the history


def test_an_edited_item_exits_1_and_names_it(three_changes: Gov, config_dir: Path, wide_console):
    edited = _history_sks(three_changes)[1]
    three_changes.ddb.update_item(
        TableName=three_changes.table, Key={"pk": {"S": keys.version_pk(GROUP, 1)}, "sk": {"S": edited}},
        UpdateExpression="SET approved_by = :who", ExpressionAttributeValues={":who": {"S": "mallory@example.com"}})
    result = run(config_dir, "history", GROUP, "1", "--verify")
    assert result.exit_code == 1, result.output
    assert f"hash chain BREAK at {edited}: edited" in result.output
    assert "Traceback" not in result.output


def test_a_deleted_item_in_json_mode(three_changes: Gov, config_dir: Path):
    first, deleted, last = _history_sks(three_changes)
    three_changes.ddb.delete_item(TableName=three_changes.table,
                                  Key={"pk": {"S": keys.version_pk(GROUP, 1)}, "sk": {"S": deleted}})
    result = run(config_dir, "--json", "history", GROUP, "1", "--verify")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["verify"]["ok"] is False
    assert [(b["sk"], b["kind"]) for b in answer["verify"]["breaks"]] == [(last, "deleted")]
    assert len(answer["history"]) == 2  # the history is still shown


def test_without_verify_nothing_is_checked(three_changes: Gov, config_dir: Path):
    three_changes.ddb.delete_item(TableName=three_changes.table,
                                  Key={"pk": {"S": keys.version_pk(GROUP, 1)}, "sk": {"S": keys.CHAIN_SORT_KEY}})
    assert run(config_dir, "history", GROUP, "1").exit_code == 0
    result = run(config_dir, "history", GROUP, "1", "--verify")
    assert result.exit_code == 1 and "hash chain BREAK at head: head" in result.output


def test_verify_of_an_unknown_version_is_bad_input(three_changes: Gov, config_dir: Path):
    assert run(config_dir, "history", GROUP, "99", "--verify").exit_code == 2
