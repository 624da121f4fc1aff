"""The local dashboard and the governance report in a real browser (headless Chromium): no console
or page error, no request outside the file, every chart drawn, no empty section; screenshots kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from governance_testkit import TableFiller, aws_env, config_dir, run  # noqa: F401
from page_check import PageProblem, check_page
from test_cli_report import fill_scenario

from mlgov_analytics import html
from mlgov_analytics.dashboard import SHEETS
from mlgov_cli.context import Context

pytestmark = pytest.mark.browser

DASHBOARD_ROWS = Path(__file__).resolve().parents[1] / "dashboard"


@pytest.fixture(scope="module")
def fixture_results() -> dict:
    import sys

    sys.path.insert(0, str(DASHBOARD_ROWS))
    from dashboard_rows import results

    return results()


def test_the_dashboard_page_in_a_browser(chromium: str, fixture_results: dict, tmp_path: Path,
                                         screenshot_path: Path) -> None:
    page = html.write(fixture_results, tmp_path, generated_at="2025-02-14T00:00:00+00:00", source="fixture rows")
    report = check_page(page, screenshot_path)
    expected = {f"visual-{v.id}": v.kind for s in SHEETS for v in s.visuals}
    assert report.visuals == expected
    assert report.charts == sum(1 for kind in expected.values() if kind != "table")
    assert report.sections == ["Headline figures", *(s.title for s in SHEETS)]
    assert screenshot_path.stat().st_size > 10_000


def test_the_dashboard_of_an_empty_lake_in_a_browser(chromium: str, tmp_path: Path, screenshot_path: Path) -> None:
    from mlgov_analytics.views import BY_NAME

    page = html.write({name: [] for name in BY_NAME}, tmp_path, generated_at="2025-02-14T00:00:00+00:00",
                      source="an empty lake")
    report = check_page(page, screenshot_path)  # no-data figures are charts too, and no section is empty
    assert report.charts == sum(1 for s in SHEETS for v in s.visuals if v.kind != "table")


def test_the_governance_report_in_a_browser(chromium: str, aws_env: None, config_dir: Path, tmp_path: Path,
                                            screenshot_path: Path) -> None:
    ctx = Context(config_dir=config_dir)
    filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
    filler.create_table()
    fill_scenario(filler)
    result = run(config_dir, "report", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    report = check_page(tmp_path / "governance-report.html", screenshot_path)
    assert report.charts >= 3
    assert {"Summary", "Stage / status matrix"} <= {title.split(" (")[0] for title in report.sections}


BROKEN = """<!DOCTYPE html><html><head><title>broken</title></head><body>
<h2 id="empty">Nothing under me</h2>
<h2 id="full">Something</h2><p>text</p>
<section id="hollow"><h2>Hollow section</h2><div> </div></section>
<figure data-kind="bar" id="visual-missing"><figcaption>chart that never came</figcaption></figure>
<svg width="100" height="50"></svg>
<p>items: &lt;built-in method items of dict object at 0x7f00&gt;</p>
<img src="https://example.invalid/x.png" alt="">
<script>console.error("boom"); undefinedFunction();</script>
</body></html>"""


def test_the_check_finds_each_kind_of_problem(chromium: str, tmp_path: Path, screenshot_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(BROKEN)
    with pytest.raises(PageProblem) as caught:
        check_page(page, screenshot_path)
    found = str(caught.value)
    for problem in ("console error: boom", "page error: ", "undefinedFunction", "requested https://example.invalid/x.png",
                    "section 'Nothing under me' is empty", "section 'Hollow section' is empty",
                    "bar visual visual-missing has no chart", "chart svg #1 did not draw",
                    "inner workings as text: '<built-in method items of dict object at 0x7f00>'"):
        assert problem in found, (problem, found)
    assert "'Something'" not in found
    assert screenshot_path.exists()
