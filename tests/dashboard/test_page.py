"""The local dashboard page from fixture results: every sheet and visual, headline figures, escaping,
and nothing that reaches outside the file."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dashboard_rows import EVIL, results

from mlgov_analytics import html
from mlgov_analytics.dashboard import SHEETS
from mlgov_analytics.headline import headline
from mlgov_analytics.views import BY_NAME

GENERATED = "2025-02-14T00:00:00+00:00"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def page() -> str:
    return html.render(results(), generated_at=GENERATED, source="fixture rows")


def section(page: str, sheet_id: str) -> str:
    return page.split(f'id="sheet-{sheet_id}"', 1)[1].split("</section>", 1)[0]


def figure(page: str, visual_id: str) -> str:
    return page.split(f'id="visual-{visual_id}"', 1)[1].split("</figure>", 1)[0]


def test_every_sheet_is_a_section_with_every_visual_in_order(page: str) -> None:
    sections = [a["id"] for t, a in parse(page).tags if t == "section" and "sheet" in (a.get("class") or "")]
    assert sections == [f"sheet-{s.id}" for s in SHEETS]
    for sheet in SHEETS:
        body = section(page, sheet.id)
        assert f"<h2>{sheet.title}</h2>" in body
        found = re.findall(r'data-visual="([^"]+)"', body)
        assert found == [v.id for v in sheet.visuals]


@pytest.mark.parametrize("visual", [v for s in SHEETS for v in s.visuals], ids=lambda v: v.id)
def test_each_visual_is_its_chart_or_its_table(page: str, visual) -> None:
    body = figure(page, visual.id)
    rows = results()[visual.view]
    assert f'data-rows="{len(rows)}"' in body
    if visual.kind == "table":
        assert "<svg" not in body
        headers = re.findall(r"<th>([^<]*)</th>", body)
        assert tuple(headers) == BY_NAME[visual.view].column_names()
        assert body.count("<tr>") == len(rows) + 1
    else:
        assert body.count("<svg") == 1 and "<table" not in body


def test_headline_figures_are_the_fixture_counts(page: str) -> None:
    figures = headline(results())
    assert figures == {
        "versions": 5, "pending": 2, "approvals": 3, "rejections": 1, "sod_breaches": 0,
        "stage_status": {"Dev": {"Pending": 1, "Approved": 0, "Rejected": 0},
                         "Test": {"Pending": 1, "Approved": 1, "Rejected": 1},
                         "Prod": {"Pending": 0, "Approved": 1, "Rejected": 0}},
    }
    for key in ("versions", "pending", "approvals", "rejections", "sod_breaches"):
        assert re.search(rf'id="headline-{key}"><div class="value">{figures[key]}</div>', page), key
    assert 'class="kpi ok" id="headline-sod_breaches"' in page
    assert 'data-stage="Test" data-status="Rejected">1</td>' in page
    assert 'data-stage="Prod" data-status="Pending">0</td>' in page
    assert page.index('id="headline"') < page.index('id="sheet-overview"')


def test_a_breach_and_an_unmapped_stage_are_shown_not_hidden() -> None:
    rows = results()
    rows["sod_breaches"] = [{"breaches": 2}]
    rows["stage_status_counts"].append({"use_case": "x", "risk_tier": None, "stage": "Unmapped", "status": "Unmapped",
                                        "versions": 4})
    page = html.render(rows, generated_at=GENERATED, source="fixture rows")
    assert 'class="kpi breach" id="headline-sod_breaches"><div class="value">2</div>' in page
    assert 'data-stage="Unmapped" data-status="Unmapped">4</td>' in page
    assert headline(rows)["versions"] == 9


def test_user_text_is_escaped_everywhere(page: str) -> None:
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in figure(page, "inventory-table")
    assert "&lt;script&gt;" in figure(page, "quality-champion-challenger")  # in the chart's legend, by vl-convert


def test_the_page_names_no_url_and_loads_nothing(page: str) -> None:
    assert not re.search(r"https?:|ftp:|//[a-z0-9]|url\(|@import|\bsrc=|<link\b|<script\b|<img\b|<iframe\b|<object\b",
                         page, re.IGNORECASE)
    hrefs = [a["href"] for _, a in parse(page).tags if "href" in a]
    assert hrefs and all(h.startswith("#sheet-") for h in hrefs)
    for target in hrefs:
        assert f'id="{target[1:]}"' in page


def test_an_empty_lake_gives_a_page_of_no_data_figures() -> None:
    empty = {name: [] for name in BY_NAME}
    page = html.render(empty, generated_at=GENERATED, source="an empty lake")
    for sheet in SHEETS:
        for visual in sheet.visuals:
            body = figure(page, visual.id)
            assert ("No rows recorded yet" if visual.kind == "table" else "No data recorded yet") in body
    assert re.search(r'id="headline-versions"><div class="value">0</div>', page)


def test_a_long_table_says_it_shows_only_the_first_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "MAX_TABLE_ROWS", 3)
    page = html.render(results(), generated_at=GENERATED, source="fixture rows")
    body = figure(page, "audit-trail-table")
    assert body.count("<tr>") == 4 and "The first 3 of 8 rows" in body


def test_results_of_an_unknown_view_are_refused() -> None:
    with pytest.raises(ValueError, match="views that do not exist: nope"):
        html.render({"nope": []}, generated_at=GENERATED, source="x")


def test_write_leaves_the_page_or_nothing(tmp_path: Path) -> None:
    path = html.write(results(), tmp_path / "out", generated_at=GENERATED, source="fixture rows")
    assert path == tmp_path / "out" / "dashboard.html" and path.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["dashboard.html"]
    with pytest.raises(ValueError):
        html.write({"nope": []}, tmp_path / "failed", generated_at=GENERATED, source="x")
    assert not (tmp_path / "failed").exists()
