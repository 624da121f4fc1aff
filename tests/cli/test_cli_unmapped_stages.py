"""A version recorded with a registry lifecycle outside the stage mapping shows in `status`, `history` and the report.

The table is filled as registry-sync writes it (TableFiller: records.build_items with the default mapping).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from governance_testkit import GROUP, TableFiller, aws_env, config_dir, run, wide_console  # noqa: F401

from mlgov_cli.context import Context


@pytest.fixture
def table(aws_env, config_dir: Path) -> Path:
    ctx = Context(config_dir=config_dir)
    filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
    filler.create_table()
    filler.change(GROUP, 1, "2025-02-01T10:00:00.000Z", use_case="credit-risk")
    filler.change(GROUP, 1, "2025-02-02T10:00:00.000Z", use_case="credit-risk", approval="Approved",
                  stage="Staging", status="Approved", reason="approved in studio", decided_by="carol")
    filler.change(GROUP, 1, "2025-02-03T10:00:00.000Z", use_case="credit-risk", approval="Approved",
                  stage="Archived", status="Retired", reason="retired in studio", decided_by="carol")
    filler.change(GROUP, 2, "2025-02-04T10:00:00.000Z", use_case="credit-risk", approval="PendingManualApproval",
                  stage="Proposal", status="InProgress")
    filler.flush()
    return config_dir


def test_status_lists_unmapped_versions_with_the_registry_names(table: Path):
    result = run(table, "status", "--use-case", "credit-risk")
    assert result.exit_code == 0, result.output
    assert "Unmapped" in result.output
    assert "Archived" in result.output and "Retired" in result.output and "Proposal" in result.output
    data = json.loads(run(table, "--json", "status", "--use-case", "credit-risk").output)
    [uc] = data
    assert [(u["version"], u["registry_stage"], u["registry_stage_status"]) for u in uc["unmapped"]] == [
        (1, "Archived", "Retired"), (2, "Proposal", "InProgress")]
    assert sum(sum(row.values()) for row in uc["matrix"].values()) == 0  # counted in no governance stage


def test_history_names_the_mapped_and_the_unmapped_registry_stage(table: Path):
    result = run(table, "--json", "history", GROUP, "1")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["history"]
    changes = [r["change"] for r in rows if r["kind"] == "registry change"]
    assert changes[1] == "Dev/Pending PendingManualApproval -> Test/Approved Approved"
    assert changes[2] == "Test/Approved Approved -> Unmapped/Unmapped (registry Archived/Retired) Approved"


def test_report_has_an_exceptions_section_for_unmapped_versions(table: Path, tmp_path: Path):
    result = run(table, "--json", "report", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    model = json.loads(result.output)
    assert model["summary"]["unmapped"] == 2
    assert [(u["version"], u["registry_stage"]) for u in model["unmapped"]] == [(1, "Archived"), (2, "Proposal")]
    md = (tmp_path / "r" / "governance-report.md").read_text()
    assert "## Outside the stage mapping (2)" in md and "| Archived | Retired |" in md
    html = (tmp_path / "r" / "governance-report.html").read_text()
    assert 'id="unmapped"' in html and "Proposal" in html
