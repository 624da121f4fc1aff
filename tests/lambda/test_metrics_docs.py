"""docs/metrics-events.md is the contract: its examples pass (or fail) both its JSON Schema and the parser."""

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from metrics_testkit import PROD_ACCOUNT, SETTINGS, TEST_ACCOUNT
from sync_testkit import load_event

from mlgov_core.metrics import MetricsEventError, parse_metrics_event

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics-events.md"
# A JSON block, and the `message` line right after it if there is one.
BLOCK = re.compile(r"```json\n(?P<json>.*?)\n```\n(?:`(?P<message>[^`\n]+)`)?", re.S)


def _blocks():
    return [(json.loads(m["json"]), m["message"]) for m in BLOCK.finditer(DOC.read_text())]


SCHEMA = next(block for block, _ in _blocks() if "$schema" in block)
EVENTS = [block for block, _ in _blocks() if "detail-type" in block]
REFUSED = [(block, message) for block, message in _blocks() if "$schema" not in block and "detail-type" not in block]


def parse(event):
    return parse_metrics_event(event, account_for_kind=SETTINGS.account_for_kind,
                               known_groups=frozenset(SETTINGS.use_case_by_group))


def test_the_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert len(EVENTS) == 2 and len(REFUSED) == 3


def test_the_examples_are_the_test_fixtures():
    assert EVENTS == [load_event("metrics_qa"), load_event("metrics_production")]


@pytest.mark.parametrize("event", EVENTS, ids=["qa", "production"])
def test_good_examples_pass_the_schema_and_the_parser(event):
    assert list(Draft202012Validator(SCHEMA).iter_errors(event["detail"])) == []
    assert parse(event).detail.model_version == 1


@pytest.mark.parametrize(("detail", "message"), REFUSED, ids=["no-variant", "bad-name", "schema-2"])
def test_refused_examples_fail_the_schema_and_the_parser_with_the_documented_message(detail, message):
    assert list(Draft202012Validator(SCHEMA).iter_errors(detail)) != []
    event = dict(EVENTS[0], detail=detail, account=TEST_ACCOUNT if detail["kind"] == "qa" else PROD_ACCOUNT)
    with pytest.raises(MetricsEventError) as raised:
        parse(event)
    assert message in str(raised.value)
