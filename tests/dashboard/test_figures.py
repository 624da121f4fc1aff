"""Each chart's Vega-Lite specification says what it plots, and renders offline to inline SVG."""

from __future__ import annotations

import pytest
from dashboard_rows import EVIL, results

from mlgov_analytics import figures
from mlgov_analytics.dashboard import SHEETS, Visual

CHARTS = [v for sheet in SHEETS for v in sheet.visuals if v.kind != "table"]
BY_ID = {v.id: v for v in CHARTS}


def _layers(spec: dict) -> dict:
    return spec.get("spec", spec)  # a faceted chart keeps its marks in "spec"


@pytest.mark.parametrize("visual", [v for v in CHARTS if v.kind != "kpi"], ids=lambda v: v.id)
def test_every_chart_encodes_the_visuals_columns(visual: Visual) -> None:
    spec = figures.spec(visual, results()[visual.view])
    inner = _layers(spec)
    mark = inner["mark"]["type"] if isinstance(inner["mark"], dict) else inner["mark"]
    assert mark == visual.kind
    encoding = inner["encoding"]
    assert encoding["x"]["field"] == visual.x
    assert encoding["y"]["field"] == visual.y
    assert encoding["color"]["field"] == visual.color
    rows = spec["data"]["values"]
    assert len(rows) == len(results()[visual.view])


def test_counts_are_summed_and_stacked_values_are_side_by_side() -> None:
    counts = _layers(figures.spec(BY_ID["overview-stage-status"], results()["stage_status_counts"]))
    assert counts["encoding"]["y"]["aggregate"] == "sum" and "xOffset" not in counts["encoding"]
    assert counts["encoding"]["x"]["sort"][:3] == ["Dev", "Test", "Prod"]
    assert counts["encoding"]["color"]["scale"]["domain"] == ["Approved", "Pending", "Rejected"]
    values = _layers(figures.spec(BY_ID["quality-champion-challenger"], results()["champion_challenger"]))
    assert "aggregate" not in values["encoding"]["y"]
    assert values["encoding"]["xOffset"]["field"] == "variant"


def test_metric_values_get_one_panel_per_use_case_and_metric() -> None:
    spec = figures.spec(BY_ID["quality-production-metrics"], results()["production_metrics"])
    assert spec["facet"]["row"]["field"] == "panel"
    assert spec["resolve"]["scale"]["y"] == "independent"  # auc and latency never share an axis
    assert {r["panel"] for r in spec["data"]["values"]} == {"credit-risk · auc", "credit-risk · latency_p95_ms"}
    assert spec["spec"]["encoding"]["x"]["type"] == "temporal"
    assert spec["spec"]["encoding"]["x"]["scale"]["type"] == "utc"


@pytest.mark.parametrize(("breaches", "color"), [(0, "#2e7d32"), (2, "#c62828")])
def test_the_sod_kpi_shows_the_count_green_only_at_zero(breaches: int, color: str) -> None:
    visual = BY_ID["audit-sod-breaches"]
    spec = figures.spec(visual, [{"breaches": breaches}])
    assert spec["data"]["values"] == [{"value": breaches}] and spec["mark"]["color"] == color
    assert f">{breaches}</text>" in figures.svg(visual, [{"breaches": breaches}])


@pytest.mark.parametrize("visual", CHARTS, ids=lambda v: v.id)
def test_an_empty_result_draws_a_no_data_figure(visual: Visual) -> None:
    drawn = figures.svg(visual, [])
    assert drawn.startswith("<svg") and figures.NO_DATA in drawn


@pytest.mark.parametrize("visual", CHARTS, ids=lambda v: v.id)
def test_the_svg_is_inline_ready_escaped_and_names_no_url(visual: Visual) -> None:
    drawn = figures.svg(visual, results()[visual.view])
    assert drawn.startswith("<svg") and drawn.rstrip().endswith("</svg>")
    assert "http" not in drawn and "xmlns" not in drawn
    assert "<script" not in drawn
    if visual.view in ("production_metrics", "champion_challenger"):  # the variant named EVIL is in the legend
        assert EVIL.replace("<", "&lt;").replace(">", "&gt;").split("(")[0] in drawn


def test_a_visual_naming_a_column_its_view_lacks_is_refused() -> None:
    wrong = Visual("x", "x", "stage_status_counts", "bar", "stage", "nope", "status")
    with pytest.raises(ValueError, match="column 'nope' is not in view stage_status_counts"):
        figures.spec(wrong, results()["stage_status_counts"])
    with pytest.raises(ValueError, match="is not a chart"):
        figures.spec(Visual("t", "t", "inventory", "table"), [])


@pytest.mark.parametrize("top", [1, 3, 40])
def test_count_axes_tick_at_whole_numbers_only(top: int) -> None:
    import re

    visual = BY_ID["overview-stage-status"]
    rows = [{"use_case": "a", "risk_tier": "high", "stage": "Dev", "status": "Pending", "versions": top}]
    labels = re.findall(r">([0-9.]+)</text>", figures.svg(visual, rows))
    assert labels and all("." not in label for label in labels)
    assert len(labels) == len(set(labels)), labels  # no 0, 1, 1 from ticks at halves
    assert str(top) in labels
