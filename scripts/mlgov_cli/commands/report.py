"""Compliance officer: `mlgov report` writes the governance report (HTML with charts, and Markdown).

The HTML is self-contained: no external scripts, styles or fonts; the charts are inline SVG laid out
here (geometry only) and drawn by the template, so every piece of text passes jinja2's autoescape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, aws_failure
from mlgov_cli.options import read_role_option, use_case_config
from mlgov_cli.output import console, progress_console
from mlgov_cli.report_data import STATUSES, TableReader, build_report

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HTML_NAME = "governance-report.html"
MARKDOWN_NAME = "governance-report.md"
STATUS_COLORS = {"Approved": "#2e7d32", "Pending": "#f9a825", "Rejected": "#c62828"}
SERIES_COLORS = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e", "#558b2f")
CHART_WIDTH = 640
MAX_CHART_VERSIONS = 20  # metric charts show the newest versions with metrics; the tables show all
MAX_TIMELINE_POINTS = 2000


# ---------------------------------------------------------------- chart geometry (pure, tested via the HTML)

def stage_chart(matrix: dict[str, Any]) -> dict[str, Any]:
    """Stacked horizontal bars: versions per stage, one segment per status."""
    label_w, bar_h, gap, plot_w = 70, 26, 10, CHART_WIDTH - 70 - 60
    biggest = max([sum(row.values()) for row in matrix["counts"].values()] + [1])
    bars = []
    for i, stage in enumerate(matrix["stages"]):
        x, y = label_w, 10 + i * (bar_h + gap)
        segments = []
        for status in matrix["statuses"]:
            n = matrix["counts"][stage].get(status, 0)
            if n:
                w = plot_w * n / biggest
                segments.append({"x": round(x, 1), "w": round(max(w, 1), 1), "n": n, "status": status,
                                 "color": STATUS_COLORS.get(status, "#757575")})
                x += w
        bars.append({"label": stage, "y": y, "h": bar_h, "segments": segments,
                     "total": matrix["row_totals"][stage], "end_x": round(x + 6, 1)})
    legend = [{"status": s, "color": STATUS_COLORS.get(s, "#757575"), "x": label_w + i * 110} for i, s in enumerate(STATUSES)]
    height = 10 + len(bars) * (bar_h + gap) + 30
    return {"width": CHART_WIDTH, "height": height, "bars": bars, "legend": legend, "legend_y": height - 12}


def metric_charts(use_case: dict[str, Any]) -> list[dict[str, Any]]:
    """One horizontal bar chart per metric: a bar per version and series (QA, or a production variant).

    The configured gate thresholds on that metric are drawn as dashed lines.
    """
    with_metrics = [v for v in use_case["versions"] if v["qa"] or v["production"]]
    shown = sorted(with_metrics, key=lambda v: v["version"])[-MAX_CHART_VERSIONS:]
    series_names: list[str] = []
    rows_by_metric: dict[str, list[dict[str, Any]]] = {}
    for v in shown:
        sources = ([("QA", v["qa"]["metrics"])] if v["qa"] else []) + [(p["variant"], p["metrics"]) for p in v["production"]]
        for series, metrics in sources:
            if series not in series_names:
                series_names.append(series)
            for name, value in sorted(metrics.items()):
                rows_by_metric.setdefault(name, []).append({"version": v["version"], "series": series, "value": value})
    thresholds: dict[str, list[dict[str, Any]]] = {}
    for stage, configured in use_case["gates"].items():
        for text in configured:
            from mlgov_core.gates import Gate

            gate = Gate.parse(text)
            thresholds.setdefault(gate.metric, []).append({"label": f"{stage}: {gate}", "value": gate.threshold})
    colors = {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(series_names)}
    charts = []
    for name in sorted(rows_by_metric, key=lambda n: (n not in thresholds, n)):
        rows = rows_by_metric[name]
        label_w, bar_h, gap, plot_w = 150, 14, 4, CHART_WIDTH - 150 - 80
        lines = thresholds.get(name, [])
        top = max([r["value"] for r in rows] + [line["value"] for line in lines] + [0])
        bottom = min([r["value"] for r in rows] + [0])
        span = (top - bottom) or 1.0
        zero_x = label_w + plot_w * (0 - bottom) / span
        bars = []
        for i, row in enumerate(rows):
            x_value = label_w + plot_w * (row["value"] - bottom) / span
            x, w = min(zero_x, x_value), abs(x_value - zero_x)
            bars.append({**row, "label": f"v{row['version']} {row['series']}", "x": round(x, 1), "w": round(max(w, 1), 1),
                         "y": 8 + i * (bar_h + gap), "h": bar_h, "color": colors[row["series"]],
                         "text_x": round(max(x_value, zero_x) + 4, 1)})
        height = 8 + len(rows) * (bar_h + gap) + 8
        gate_lines = [{**line, "x": round(label_w + plot_w * (line["value"] - bottom) / span, 1)} for line in lines]
        charts.append({"metric": name, "width": CHART_WIDTH, "height": height, "bars": bars, "gate_lines": gate_lines,
                       "zero_x": round(zero_x, 1), "legend": [{"series": s, "color": c} for s, c in colors.items()],
                       "versions_shown": len(shown), "versions_with_metrics": len(with_metrics)})
    return charts


def timeline_chart(timeline: list[dict[str, Any]], use_case_names: list[str]) -> dict[str, Any] | None:
    """Approvals and rejections over time: one row per use case, one dot per decision."""
    from mlgov_core import timeparse

    points = []
    for entry in timeline[-MAX_TIMELINE_POINTS:]:
        try:
            at = timeparse.to_datetime(entry["at"]).timestamp()
        except Exception:  # noqa: BLE001 - an unparsable time is left out of the chart, not the table
            continue
        points.append((at, entry))
    if not points:
        return None
    label_w, row_h, plot_w = 130, 26, CHART_WIDTH - 130 - 20
    rows = [name for name in use_case_names if any(e["use_case"] == name for _, e in points)]
    start, end = min(p[0] for p in points), max(p[0] for p in points)
    span = (end - start) or 1.0
    dots = []
    for at, entry in points:
        dots.append({"cx": round(label_w + plot_w * (at - start) / span, 1), "cy": 16 + rows.index(entry["use_case"]) * row_h,
                     "color": STATUS_COLORS["Approved" if entry["action"] == "approved" else "Rejected"],
                     "title": f"{entry['at']} v{entry['version']} {entry['action']} for {entry['stage']} by {entry['by'] or 'unknown'}"})
    height = 16 + len(rows) * row_h + 24
    return {"width": CHART_WIDTH, "height": height, "label_w": label_w,
            "rows": [{"label": name, "y": 16 + i * row_h} for i, name in enumerate(rows)], "dots": dots,
            "axis_y": height - 18, "start_label": min(points, key=lambda p: p[0])[1]["at"], "end_label": max(points, key=lambda p: p[0])[1]["at"],
            "end_x": label_w + plot_w}


# ---------------------------------------------------------------- rendering

def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: no pipes or line breaks, and no raw HTML."""
    if value is None:
        return ""
    text = str(value)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\r", " ").replace("\n", " "))


def number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.6g}"
    return str(value)


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = md_cell
    env.filters["num"] = number
    return env


def render(model: dict[str, Any]) -> tuple[str, str]:
    """(html, markdown) of a report model."""
    charts = {
        "stages": stage_chart(model["matrix"]),
        "metrics": {u["name"]: metric_charts(u) for u in model["use_cases"]},
        "timeline": timeline_chart(model["timeline"], [u["name"] for u in model["use_cases"]]),
    }
    env = environment()
    html = env.get_template("report.html.j2").render(report=model, charts=charts, status_colors=STATUS_COLORS)
    markdown = env.get_template("report.md.j2").render(report=model)
    return html, markdown


def write_report(model: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    html, markdown = render(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out_dir / HTML_NAME, out_dir / MARKDOWN_NAME
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return html_path, md_path


@click.command("report")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for governance-report.html and governance-report.md.")
@click.option("--use-case", help="Report one use case only (default: every configured use case and unclaimed versions).")
@read_role_option
@click.pass_obj
def report(ctx: Context, out_dir: Path, use_case: str | None, as_role: str | None) -> None:
    """Write the governance report: inventory, stage/status matrix, pending approvals, approval
    timeline, QA and production metrics per version and variant, and gate results.

    Everything is read from the governance table with Queries (no Scan)."""
    if use_case:
        use_case_config(ctx, use_case)
    reader = TableReader(ctx.reader_client("dynamodb", as_role), ctx.names.governance_table)
    try:
        model = _gather(ctx, reader, use_case)
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(f"reading the governance table {reader.table}", error) from None
    try:
        html_path, md_path = write_report(model, out_dir)
    except OSError as error:
        raise CliError(f"cannot write the report to {out_dir}: {error}") from None
    if ctx.json_output:
        print(json.dumps({**model, "files": {"html": str(html_path), "markdown": str(md_path)}},
                         default=str, indent=2, sort_keys=True))
        return
    s = model["summary"]
    console.print(f"governance report: {s['use_cases']} use case(s), {s['versions']} version(s), "
                  f"{s['pending']} pending, {s['approved_decisions']} approval(s), {s['rejected_decisions']} rejection(s), "
                  f"{s['chains_broken']} broken history chain(s)")
    click.echo(f"  HTML:     {html_path}")  # plain echo: a path is never wrapped
    click.echo(f"  Markdown: {md_path}")


def _gather(ctx: Context, reader: TableReader, use_case: str | None) -> dict[str, Any]:
    if ctx.json_output or not sys.stderr.isatty():
        return build_report(ctx.config, reader, use_case=use_case)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("reading versions"), BarColumn(), MofNCompleteColumn(), console=progress_console,
                  transient=True) as bar:
        task = bar.add_task("versions", total=None)
        return build_report(ctx.config, reader, use_case=use_case,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))


COMMANDS = (report,)
