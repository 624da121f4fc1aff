"""The dashboard's charts: one Vega-Lite specification per non-table Visual, rendered to inline SVG.

The visual's title is the page's figure caption (mlgov_analytics/html.py), not part of the chart.

Why Vega-Lite through Altair and vl-convert: the specification is declarative data (testable as a
dict, the same grammar QuickSight-like tools speak), Altair is a well-kept library for writing it,
and vl-convert renders it offline in-process (no browser, no CDN, no Node), so the page stays a
single self-contained file whose charts need no script at all.

Measures typed bigint in the view (counts) are summed and stacked; double measures (metric values)
are drawn per panel (use case, metric), since adding or stacking different metrics means nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import vl_convert

from mlgov_analytics.dashboard import Visual
from mlgov_analytics.views import BY_NAME
from mlgov_core import rules

CHART_KINDS = ("bar", "line", "kpi")
WIDTH, HEIGHT, PANEL_HEIGHT = 560, 240, 160
SMALL_COUNT = 10
NO_DATA = "No data recorded yet"
STAGE_SORT = [stage.value for stage in rules.STAGE_ORDER] + [rules.UNMAPPED]
STATUS_COLORS = {"Approved": "#2e7d32", "Pending": "#f9a825", "Rejected": "#c62828", rules.UNMAPPED: "#757575"}
PANEL_COLUMNS = ("use_case", "metric")  # what a double measure is split by, when the visual does not plot it
TIME_COLUMNS = ("day", "reported_at", "changed_at", "last_change")
# Inline SVG in HTML needs no namespace declarations; dropping them leaves no URL in the page at all.
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="http://www\.w3\.org/(2000/svg|1999/xlink)"')


def spec(visual: Visual, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The Vega-Lite specification of ``visual`` over its view's result ``rows``."""
    if visual.kind not in CHART_KINDS:
        raise ValueError(f"visual {visual.id}: kind {visual.kind!r} is not a chart (one of {', '.join(CHART_KINDS)})")
    if visual.kind == "kpi":
        return _kpi(visual, rows).to_dict()
    if not rows:
        return _no_data(visual).to_dict()
    columns = BY_NAME[visual.view].column_names()
    for column in (visual.x, visual.y, visual.color):
        if column and column not in columns:
            raise ValueError(f"visual {visual.id}: column {column!r} is not in view {visual.view} ({', '.join(columns)})")
    counted = _measure_type(visual) == "bigint"
    chart = (_bar if visual.kind == "bar" else _line)(visual, counted, rows)
    # Each metric on its own scale, even when it is also the x axis (champion against challenger).
    panel = [c for c in PANEL_COLUMNS if c in columns and c != visual.color] if not counted else []
    data = [_with_panel(row, panel) for row in rows]
    if panel:  # the data belongs to the facet alone, or every panel would draw every row
        chart = chart.properties(width=WIDTH, height=PANEL_HEIGHT).facet(
            row=alt.Row("panel:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                                                  labelOrient="top", labelFontWeight="bold")),
            data=alt.Data(values=data)).resolve_scale(y="independent")
        return chart.to_dict()
    return chart.properties(data=alt.Data(values=data), width=WIDTH, height=HEIGHT).to_dict()


def svg(visual: Visual, rows: Sequence[dict[str, Any]]) -> str:
    """``visual`` drawn as an SVG element ready to inline in HTML (no namespaces, no URL)."""
    drawn = vl_convert.vegalite_to_svg(spec(visual, rows))
    return _NAMESPACES.sub("", drawn)


def _measure_type(visual: Visual) -> str:
    return next(c.type for c in BY_NAME[visual.view].columns if c.name == visual.y)


def _with_panel(row: dict[str, Any], panel: list[str]) -> dict[str, Any]:
    if not panel:
        return dict(row)
    return {**row, "panel": " · ".join(str(row.get(c) if row.get(c) is not None else "(none)") for c in panel)}


def _x(visual: Visual) -> alt.X:
    if visual.x in TIME_COLUMNS:
        # The lake's times are UTC; so is the axis, whatever the machine's time zone.
        return alt.X(f"{visual.x}:T", title=f"{visual.x.replace('_', ' ')} (UTC)", scale=alt.Scale(type="utc"))
    sort: Any = STAGE_SORT if visual.x == "stage" else "ascending"
    return alt.X(f"{visual.x}:N", sort=sort, title=visual.x.replace("_", " "), axis=alt.Axis(labelAngle=0))


def _color(visual: Visual, rows: Sequence[dict[str, Any]]) -> alt.Color:
    if visual.color == "status":
        shown = [s for s in STATUS_COLORS if s != rules.UNMAPPED or any(r.get("status") == s for r in rows)]
        return alt.Color("status:N", scale=alt.Scale(domain=shown, range=[STATUS_COLORS[s] for s in shown]),
                         title="status")
    if visual.color == "stage":
        return alt.Color("stage:N", sort=STAGE_SORT, title="stage")
    return alt.Color(f"{visual.color}:N", title=visual.color.replace("_", " "))


def _y(visual: Visual, counted: bool, rows: Sequence[dict[str, Any]]) -> alt.Y:
    if not counted:
        return alt.Y(f"{visual.y}:Q", title=visual.y.replace("_", " "))
    # Counts tick at whole numbers: for a small top Vega would tick at halves (0, 0.5, 1) even with
    # tickMinStep, so up to SMALL_COUNT the ticks are listed.
    totals: dict[Any, int] = {}
    for row in rows:
        totals[row.get(visual.x)] = totals.get(row.get(visual.x), 0) + int(row.get(visual.y) or 0)
    top = max(totals.values(), default=0)
    axis = alt.Axis(format="d", values=list(range(top + 1))) if top <= SMALL_COUNT else alt.Axis(format="d", tickMinStep=1)
    return alt.Y(f"sum({visual.y}):Q", title=visual.y.replace("_", " "), axis=axis)


def _bar(visual: Visual, counted: bool, rows: Sequence[dict[str, Any]]) -> alt.Chart:
    encoding: dict[str, Any] = {"x": _x(visual), "y": _y(visual, counted, rows)}
    if visual.color:
        encoding["color"] = _color(visual, rows)
        if not counted:  # values side by side, never stacked
            encoding["xOffset"] = alt.XOffset(f"{visual.color}:N")
    return alt.Chart().mark_bar().encode(**encoding)


def _line(visual: Visual, counted: bool, rows: Sequence[dict[str, Any]]) -> alt.Chart:
    encoding: dict[str, Any] = {"x": _x(visual), "y": _y(visual, counted, rows)}
    if visual.color:
        encoding["color"] = _color(visual, rows)
    return alt.Chart().mark_line(point=True).encode(**encoding)


def _kpi(visual: Visual, rows: Sequence[dict[str, Any]]) -> alt.Chart:
    if not rows:
        return _no_data(visual)
    value = sum(int(row.get(visual.y) or 0) for row in rows)
    color = "#2e7d32" if value == 0 else "#c62828"
    return (alt.Chart(alt.Data(values=[{"value": value}])).mark_text(fontSize=64, fontWeight="bold", color=color)
            .encode(text="value:Q").properties(width=240, height=90))


def _no_data(visual: Visual) -> alt.Chart:
    return (alt.Chart(alt.Data(values=[{"text": NO_DATA}])).mark_text(fontSize=16, color="#757575")
            .encode(text="text:N").properties(width=WIDTH, height=60))
