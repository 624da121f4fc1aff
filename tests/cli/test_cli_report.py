"""`mlgov report` from a table filled with fixture items built by records.py / metrics.py, in-process moto.

Checks the HTML and Markdown carry the same numbers (versions, matrix, gates, approvers), that user
text is escaped, and that the table is only ever Queried (a before-call hook sees every request).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from governance_testkit import TableFiller, aws_env, config_dir, count_governance_calls, run  # noqa: F401

from mlgov_cli.context import Context

EVIL = "<script>alert('x')</script> leaks the label"


# ------------------------------------------------------------------ fixture items

def fill_scenario(filler: TableFiller) -> None:
    """credit-risk v1..v5 (v5 recorded before the config claimed the group), fraud v1, an unclaimed legacy group."""
    cr = "credit-risk"
    # v1: registered, approved for Test (bob), QA passes, approved for Prod (carol), two variants report
    filler.change(cr, 1, "2025-02-01T10:00:00.000Z", use_case=cr)
    filler.change(cr, 1, "2025-02-02T10:00:00.000Z", use_case=cr, approval="Approved", stage="Test", status="Approved",
                  reason="integration tests green", decided_by="bob",
                  metadata={"approved_by": "bob", "decision_reason": "integration tests green"})
    filler.metrics(cr, 1, "2025-02-03T10:00:00.000Z", {"auc": 0.81, "accuracy": 0.77, "p95_latency_ms": 120})
    # metrics-ingest writes the QA metrics into the registry: the same Test/Approved state again, not a decision
    filler.change(cr, 1, "2025-02-03T10:00:01.000Z", use_case=cr, approval="Approved", stage="Test", status="Approved",
                  reason="integration tests green", decided_by="arn:aws:sts::111111111111:assumed-role/mlgov-metrics-ingest/fn",
                  metadata={"approved_by": "bob", "decision_reason": "integration tests green", "qa:auc": "0.81"})
    filler.change(cr, 1, "2025-02-04T10:00:00.000Z", use_case=cr, approval="Approved", stage="Prod", status="Approved",
                  reason="CAB-123 approved", decided_by="carol",
                  metadata={"approved_by": "carol", "decision_reason": "CAB-123 approved"})
    filler.metrics(cr, 1, "2025-02-05T10:00:00.000Z", {"invocations": 18234, "latency_p95_ms": 38.2}, variant="champion")
    filler.metrics(cr, 1, "2025-02-05T10:00:00.000Z", {"invocations": 2011, "latency_p95_ms": 41.0}, variant="challenger")
    # v2: approved for Test (bob), QA auc below the Prod gate
    filler.change(cr, 2, "2025-02-06T10:00:00.000Z", use_case=cr, registered_by="alice")
    filler.change(cr, 2, "2025-02-07T10:00:00.000Z", use_case=cr, approval="Approved", stage="Test", status="Approved",
                  reason="ok for QA", decided_by="bob", metadata={"approved_by": "bob"})
    filler.metrics(cr, 2, "2025-02-08T10:00:00.000Z", {"auc": 0.70, "accuracy": 0.66, "p95_latency_ms": 150})
    # v3: rejected for Test by erin, with markup in the reason
    filler.change(cr, 3, "2025-02-09T10:00:00.000Z", use_case=cr, registered_by="dave")
    filler.change(cr, 3, "2025-02-10T10:00:00.000Z", use_case=cr, approval="Rejected", stage="Test", status="Rejected",
                  reason=EVIL, registered_by="dave", decided_by="erin", metadata={"rejected_by": "erin"})
    # v4: waiting in Dev; v5: waiting in Dev, recorded as unassigned before the config claimed the group
    filler.change(cr, 4, "2025-02-11T10:00:00.000Z", use_case=cr, registered_by="alice")
    filler.change(cr, 5, "2025-02-12T10:00:00.000Z", use_case="unassigned", registered_by="alice")
    # fraud v1: pending for Test, no QA metrics yet
    filler.change("fraud-detection", 1, "2025-02-13T10:00:00.000Z", use_case="fraud", registered_by="frank",
                  stage="Test", status="Pending")
    # a group no use case claims, approved in Dev
    filler.change("legacy-model", 1, "2025-02-14T10:00:00.000Z", use_case="unassigned", registered_by="gina",
                  approval="Approved", decided_by="henry", metadata={"approved_by": "henry"})
    filler.flush()


# ------------------------------------------------------------------ harness

@pytest.fixture
def calls(aws_env: None, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Fills the governance table; afterwards counts every request the CLI makes ("dynamodb.Query")."""
    ctx = Context(config_dir=config_dir)
    filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
    filler.create_table()
    fill_scenario(filler)
    return count_governance_calls(monkeypatch)


def cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


# ------------------------------------------------------------------ tests

def test_report_html_and_markdown_agree_with_the_table(calls: Counter, config_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(config_dir, "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    html_path, md_path = out / "governance-report.html", out / "governance-report.md"
    assert str(html_path) in result.output and str(md_path) in result.output
    html, md = html_path.read_text(), md_path.read_text()

    # only Queries, never a Scan
    assert calls["dynamodb.Scan"] == 0
    assert set(calls) == {"dynamodb.Query"}, calls

    # every version is in the inventory
    for uc, version in [("credit-risk", v) for v in range(1, 6)] + [("fraud", 1), ("unassigned", 1)]:
        assert f'id="v-{uc}-{version}"' in html
    assert 'id="use-case-unassigned"' in html and "legacy-model" in html

    # stage/status matrix: Dev 2 pending (v4, v5) + 1 approved (legacy); Test 1/1/1; Prod 1 approved
    expected = {("Dev", "Pending"): 2, ("Dev", "Approved"): 1, ("Dev", "Rejected"): 0,
                ("Test", "Pending"): 1, ("Test", "Approved"): 1, ("Test", "Rejected"): 1,
                ("Prod", "Pending"): 0, ("Prod", "Approved"): 1, ("Prod", "Rejected"): 0}
    for (stage, status), n in expected.items():
        assert f'data-stage="{stage}" data-status="{status}">{n}</td>' in html
    md_rows = {cells(line)[0]: cells(line)[1:] for line in md.splitlines()
               if re.match(r"^\| (Dev|Test|Prod|total) \| \d", line)}
    assert md_rows["Dev"] == ["2", "1", "0", "3"]
    assert md_rows["Test"] == ["1", "1", "1", "3"]
    assert md_rows["Prod"] == ["0", "1", "0", "1"]
    assert md_rows["total"] == ["3", "3", "1", "7"]

    # summary: the same numbers in both
    summary = {"versions": 7, "pending": 3, "approved_decisions": 4, "rejected_decisions": 1,
               "versions_with_qa": 2, "versions_with_production_metrics": 1, "gates_pass": 1, "gates_fail": 5, "gates_none": 1}
    for key, n in summary.items():
        assert f'id="summary-{key}">{n}</td>' in html
    md_summary = cells(next(line for line in md.splitlines() if line.startswith("| 3 | 7 |")))
    assert md_summary == ["3", "7", "3", "4", "1", "2", "1", "1", "5", "1"]

    # gate results: v1 passes both Prod gates, v2 fails auc, fraud v1 has no recorded value
    v1 = html.split('id="v-credit-risk-1"')[1].split("</tr>")[0]
    assert "Prod auc &gt;= 0.75: pass (0.81)" in v1 and "Prod p95_latency_ms &lt;= 200: pass (120)" in v1
    v2 = html.split('id="v-credit-risk-2"')[1].split("</tr>")[0]
    assert "Prod auc &gt;= 0.75: fail (0.7)" in v2 and "p95_latency_ms &lt;= 200: pass (150)" in v2
    fraud = html.split('id="v-fraud-1"')[1].split("</tr>")[0]
    assert "fail (no value)" in fraud
    md_v1 = next(cells(line) for line in md.splitlines() if line.startswith("| 1 | Prod | Approved |"))
    assert "Prod auc >= 0.75: pass (0.81)" in md_v1[-1].replace("&gt;", ">")
    md_v2 = next(cells(line) for line in md.splitlines() if line.startswith("| 2 | Test | Approved |"))
    assert "auc &gt;= 0.75: fail (0.7)" in md_v2[-1]

    # approvers, rejecter, reasons in the timeline (oldest first), production variants
    timeline_md = [cells(line) for line in md.splitlines() if re.match(r"^\| 2025-02-\d\dT[\d:.]+Z \| ", line)]
    assert [(t[3], t[4], t[6]) for t in timeline_md] == [
        ("1", "approved", "bob"), ("1", "approved", "carol"), ("2", "approved", "bob"), ("3", "rejected", "erin"),
        ("1", "approved", "henry")]
    metadata_row = next(cells(line) for line in md.splitlines() if "| 2025-02-03T10:00:01.000Z |" in line)
    assert metadata_row[:5] == ["1", "2025-02-03T10:00:01.000Z", "metadata", "Test", "Approved"]
    assert "bob" not in metadata_row and "integration tests green" not in metadata_row, "not this change's author or reason"
    for name in ("bob", "carol", "erin", "henry", "CAB-123 approved", "champion", "challenger"):
        assert name in html and name in md
    assert "invocations=1.823e+04" in md or "invocations=18234" in md

    # user text is escaped: in the HTML and in the Markdown
    assert "<script>" not in html and "<script>" not in md
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;" in md

    # self-contained: inline SVG charts, no external scripts, styles or images
    assert html.count("<svg") >= 3
    assert not re.search(r"<(script|link|img)\b", html)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_report_one_use_case_and_json(calls: Counter, config_dir: Path, tmp_path: Path) -> None:
    result = run(config_dir, "--json", "report", "--out", str(tmp_path / "r"), "--use-case", "credit-risk")
    assert result.exit_code == 0, result.output
    model = json.loads(result.output)
    assert [u["name"] for u in model["use_cases"]] == ["credit-risk"]
    versions = model["use_cases"][0]["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]  # v5 found through by_group
    assert model["use_cases"][0]["risk_tier"] == "high"
    assert model["summary"]["versions"] == 5 and model["summary"]["pending"] == 2
    v1 = versions[0]
    assert v1["prod_gates_pass"] is True and v1["qa"]["metrics"]["auc"] == 0.81
    assert [p["variant"] for p in v1["production"]] == ["challenger", "champion"]
    assert versions[1]["prod_gates_pass"] is False
    assert Path(model["files"]["html"]).exists() and Path(model["files"]["markdown"]).exists()
    assert set(calls) == {"dynamodb.Query"}


def test_report_unknown_use_case_is_an_input_error(calls: Counter, config_dir: Path, tmp_path: Path) -> None:
    result = run(config_dir, "report", "--out", str(tmp_path / "r"), "--use-case", "nope")
    assert result.exit_code == 2 and "unknown use case 'nope'" in result.output


def test_report_of_an_empty_table(aws_env: None, config_dir: Path, tmp_path: Path) -> None:
    ctx = Context(config_dir=config_dir)
    TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table).create_table()
    result = run(config_dir, "report", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    md = (tmp_path / "r" / "governance-report.md").read_text()
    assert "Nothing waits for a decision." in md and "| total | 0 | 0 | 0 | 0 |" in md
