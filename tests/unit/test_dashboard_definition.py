"""modules/dashboard_definition.py: the dashboard definition from SHEETS, stable and checked at synth time."""

from __future__ import annotations

import json

import pytest

from mlgov_analytics.dashboard import SHEETS, Sheet, Visual
from mlgov_analytics.views import BY_NAME
from modules.dashboard_definition import DefinitionError, definition, views_used

ARNS = {name: f"arn:aws:quicksight:eu-west-1:111111111111:dataset/mlgov-{name}" for name in BY_NAME}


def test_the_same_sheets_give_the_same_text_whatever_order_the_arns_come_in():
    shuffled = dict(reversed(list(ARNS.items())))
    assert json.dumps(definition(ARNS)) == json.dumps(definition(shuffled))


def test_declarations_are_sorted_by_identifier():
    identifiers = [d["identifier"] for d in definition(ARNS)["data_set_identifiers_declarations"]]
    assert identifiers == sorted(identifiers) and set(identifiers) == {v.view for s in SHEETS for v in s.visuals}


def test_views_used_are_each_view_once():
    names = [v.name for v in views_used()]
    assert names == sorted(set(names))


REFUSED = [
    ("unknown view", (Sheet("s", "S", (Visual("v", "V", "no_such_view", "table"),)),), "no_such_view"),
    ("unknown column", (Sheet("s", "S", (Visual("v", "V", "risk_tier_counts", "bar", "tier", "versions"),)),), "'tier'"),
    ("text as a measure", (Sheet("s", "S", (Visual("v", "V", "risk_tier_counts", "bar", "stage", "risk_tier"),)),), "not a number"),
    ("unknown kind", (Sheet("s", "S", (Visual("v", "V", "inventory", "pie"),)),), "'pie'"),
    ("duplicate visual id", (Sheet("s", "S", (Visual("v", "V", "inventory", "table"), Visual("v", "W", "inventory", "table"))),), "['v']"),
    ("filter no visual has", (Sheet("s", "S", (Visual("v", "V", "sod_breaches", "kpi", y="breaches"),), ("day",)),), "'day'"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_sheet_that_cannot_be_drawn_is_refused_naming_it(case):
    _, sheets, words = case
    with pytest.raises(DefinitionError) as refused:
        definition(ARNS, sheets)
    assert words in str(refused.value)


def test_a_missing_data_set_arn_is_refused():
    with pytest.raises(DefinitionError, match="inventory"):
        definition({k: v for k, v in ARNS.items() if k != "inventory"})
