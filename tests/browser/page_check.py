"""Load a local HTML page in headless Chromium (Debian's package) and say what a reader would miss.

`check_page` fails on console errors and page errors, on any request that leaves the file (the page
must be self-contained), on charts that did not draw (an svg with no size or no marks), on a
`[data-kind]` visual other than a table without its svg, on empty sections (a `section`, or the
run of elements under an `h2`, with no text, table or chart), and on Python's inner workings shown
as text (a template that printed a method or an object instead of its value). It keeps a full-page
screenshot.

Chromium is Debian's (`apt-get install chromium`, .ci/run does it), driven by Playwright's sync API
through `executable_path`, so no browser download is needed.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ENV = "MLGOV_CHROMIUM"
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# What a template prints when it reaches a Python object instead of a value (Jinja's c.items is dict.items).
LEAKED = re.compile(r"<(built-in method|bound method|function) [^>]*>|\bobject at 0x[0-9a-f]+")

# Runs in the page: every chart, visual and section, and whether each has content a reader can see.
INSPECT = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const marks = 'path, rect, circle, line, text, polygon';
  const svgs = [...document.querySelectorAll('svg')].map((svg, i) => ({
    index: i, label: svg.getAttribute('aria-label') || (svg.closest('[data-visual]') || {}).id || `svg #${i + 1}`,
    visible: visible(svg), marks: svg.querySelectorAll(marks).length }));
  const visuals = [...document.querySelectorAll('[data-kind]')].map((el) => ({
    id: el.id, kind: el.dataset.kind, svg: !!el.querySelector('svg'), table: !!el.querySelector('table'),
    noData: !!el.querySelector('.no-data'), visible: visible(el) }));
  const hasContent = (nodes) => nodes.some((n) => n.querySelector && (n.querySelector('svg, table')
      || ['SVG', 'TABLE'].includes(n.tagName.toUpperCase())) || (n.innerText || '').trim().length > 0);
  const sections = [...document.querySelectorAll('section')].map((s) => ({
    id: s.id || '(no id)', title: ((s.querySelector('h1, h2, h3') || {}).innerText || '').trim(),
    content: hasContent([...s.children].filter((c) => !/^H[1-3]$/.test(c.tagName))) }));
  const headings = [...document.querySelectorAll('h2')].filter((h) => !h.closest('section')).map((h) => {
    const run = []; let n = h.nextElementSibling;
    // a section with its own h2 starts a new part; one without (a use case's h3 block) belongs to this h2
    while (n && n.tagName !== 'H2' && !(n.tagName === 'SECTION' && n.querySelector('h2'))) {
      run.push(n); n = n.nextElementSibling; }
    return { id: h.id || '(no id)', title: h.innerText.trim(), content: hasContent(run) };
  });
  return { title: document.title, svgs, visuals, sections: sections.concat(headings), text: document.body.innerText };
}"""


class PageProblem(AssertionError):
    """What is wrong with the page, every problem listed."""


@dataclass
class PageReport:
    title: str
    screenshot: Path
    charts: int
    visuals: dict[str, str] = field(default_factory=dict)  # id -> kind
    sections: list[str] = field(default_factory=list)  # titles, in page order


def chromium_path() -> str | None:
    """Debian's Chromium, or $MLGOV_CHROMIUM; None when neither is there."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).exists() else None
    return next((path for path in CANDIDATES if Path(path).exists()), shutil.which("chromium"))


def check_page(path: Path, screenshot: Path) -> PageReport:
    """Load ``path`` headless, raise PageProblem listing every problem, keep a screenshot at ``screenshot``."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise PageProblem(f"no Chromium at {', '.join(CANDIDATES)} (or ${CHROMIUM_ENV}): apt-get install chromium")
    problems: list[str] = []
    page_url = path.resolve().as_uri()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

            def only_this_file(route) -> None:  # noqa: ANN001 - playwright's Route
                if route.request.url.split("#", 1)[0] == page_url:
                    route.continue_()
                else:
                    problems.append(f"the page requested {route.request.url} (it must be self-contained)")
                    route.abort()

            page.route("**/*", only_this_file)
            response = page.goto(page_url, wait_until="load")
            if response is not None and not response.ok:
                problems.append(f"loading {page_url} answered {response.status}")
            found = page.evaluate(INSPECT)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    problems += _judge(found)
    if problems:
        raise PageProblem(f"{path}: {len(problems)} problem(s), screenshot {screenshot}:\n  " + "\n  ".join(problems))
    return PageReport(title=found["title"], screenshot=screenshot, charts=len(found["svgs"]),
                      visuals={v["id"]: v["kind"] for v in found["visuals"]},
                      sections=[s["title"] for s in found["sections"]])


def _judge(found: dict) -> list[str]:
    problems = []
    for svg in found["svgs"]:
        if not svg["visible"] or svg["marks"] == 0:
            problems.append(f"chart {svg['label']} did not draw (visible={svg['visible']}, marks={svg['marks']})")
    for visual in found["visuals"]:
        if visual["kind"] == "table":
            if not (visual["table"] or visual["noData"]):
                problems.append(f"table visual {visual['id']} has neither a table nor a no-data note")
        elif not visual["svg"]:
            problems.append(f"{visual['kind']} visual {visual['id']} has no chart (svg)")
        if not visual["visible"]:
            problems.append(f"visual {visual['id']} is not visible")
    for section in found["sections"]:
        if not section["content"]:
            problems.append(f"section {section['title'] or section['id']!r} is empty")
    for leak in sorted({m.group(0) for m in LEAKED.finditer(found["text"])}):
        problems.append(f"the page shows Python's inner workings as text: {leak!r}")
    if not found["sections"]:
        problems.append("the page has no sections (no section element and no h2)")
    return problems
