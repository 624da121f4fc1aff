"""The local governance dashboard: one self-contained HTML page from the views' results.

One section per Sheet of mlgov_analytics.dashboard.SHEETS (the sheets QuickSight shows), each visual
drawn by mlgov_analytics.figures or, for tables, as an HTML table; the headline figures on top.
Nothing in the page refers to anything outside it: no script, no stylesheet or font link, no URL.
Every value from the lake goes through Jinja2's autoescape; the charts are SVG that vl-convert
wrote, with the data's text escaped by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from mlgov_analytics import figures
from mlgov_analytics.dashboard import SHEETS, Sheet, Visual
from mlgov_analytics.headline import headline
from mlgov_analytics.views import BY_NAME

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_NAME = "dashboard.html"
# A table this long is no longer read on a page; the rest is in the lake (and QuickSight pages it).
MAX_TABLE_ROWS = 1000


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.6g}"
    return str(value)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=select_autoescape(
        enabled_extensions=("html.j2",), default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = cell
    return env


def _visual(visual: Visual, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": visual.id, "title": visual.title, "kind": visual.kind, "view": visual.view,
                             "rows": len(rows)}
    if visual.kind == "table":
        shown["columns"] = BY_NAME[visual.view].column_names()
        shown["table"] = [[row.get(c) for c in shown["columns"]] for row in rows[:MAX_TABLE_ROWS]]
        shown["truncated"] = len(rows) > MAX_TABLE_ROWS
    else:
        shown["svg"] = Markup(figures.svg(visual, rows))  # noqa: S704 - vl-convert's SVG, text escaped by it
    return shown


def _sheet(sheet: Sheet, results: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    return {"id": sheet.id, "title": sheet.title, "filters": sheet.filters,
            "visuals": [_visual(v, results.get(v.view, ())) for v in sheet.visuals]}


def render(results: Mapping[str, Sequence[Mapping[str, Any]]], *, generated_at: str, source: str) -> str:
    """The page's HTML. ``results``: view name -> result rows (mlgov_analytics.local.run_views)."""
    unknown = sorted(set(results) - set(BY_NAME))
    if unknown:
        raise ValueError(f"results name views that do not exist: {', '.join(unknown)}")
    return _environment().get_template("dashboard.html.j2").render(
        generated_at=generated_at, source=source, headline=headline(results),
        sheets=[_sheet(sheet, results) for sheet in SHEETS])


def write(results: Mapping[str, Sequence[Mapping[str, Any]]], out_dir: Path, *, generated_at: str, source: str) -> Path:
    """Renders first, then writes: a failure leaves no half-written page."""
    page = render(results, generated_at=generated_at, source=source)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PAGE_NAME
    partial = path.with_name(f".{PAGE_NAME}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
