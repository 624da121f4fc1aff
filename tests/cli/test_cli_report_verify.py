"""`mlgov report`'s history verification: every version's chain status, the tampered one named BROKEN."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from governance_testkit import GROUP, Gov, aws_env, config_dir, gov, run, wide_console  # noqa: F401

from mlgov_core import keys


@pytest.fixture
def two_versions(gov: Gov) -> Gov:
    """credit-risk v1 (registered, approved for Test) and v2 (registered), synced as the Lambda does."""
    gov.create_table()
    gov.group(GROUP)
    v1 = gov.register(GROUP)
    gov.sync(v1)
    gov.decide(v1, "Test", "Approved", "ok")
    gov.sync(v1)
    gov.sync(gov.register(GROUP))
    return gov


def _report(config_dir: Path, out: Path) -> dict:
    result = run(config_dir, "--json", "report", "--out", str(out), "--use-case", "credit-risk")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_intact_chains_are_ok(two_versions: Gov, config_dir: Path, tmp_path: Path):
    model = _report(config_dir, tmp_path / "r")
    assert [(c["version"], c["ok"], c["items"]) for c in model["verification"]] == [(1, True, 2), (2, True, 1)]
    assert (model["summary"]["chains_ok"], model["summary"]["chains_broken"]) == (2, 0)


def test_a_tampered_version_is_broken_in_json_html_and_markdown(two_versions: Gov, config_dir: Path, tmp_path: Path):
    pk = keys.version_pk(GROUP, 1)
    edited = next(i["sk"] for i in two_versions.items() if i["pk"] == pk and i["sk"].startswith(keys.HISTORY_PREFIX))
    two_versions.ddb.update_item(TableName=two_versions.table, Key={"pk": {"S": pk}, "sk": {"S": edited}},
                                 UpdateExpression="SET registered_by = :who",
                                 ExpressionAttributeValues={":who": {"S": "mallory"}})
    model = _report(config_dir, tmp_path / "r")
    by_version = {c["version"]: c for c in model["verification"]}
    assert by_version[2]["ok"] is True
    assert by_version[1]["ok"] is False and by_version[1]["breaks"][0] == {
        "sk": edited, "kind": "edited", "reason": by_version[1]["breaks"][0]["reason"]}
    assert model["summary"]["chains_broken"] == 1
    md = (tmp_path / "r" / "governance-report.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| credit-risk | credit-risk | 1 |"))
    assert "BROKEN" in row and edited in row
    html = (tmp_path / "r" / "governance-report.html").read_text()
    assert 'id="verification"' in html and '<span class="fail">BROKEN</span>' in html


def test_the_summary_line_counts_broken_chains(two_versions: Gov, config_dir: Path, tmp_path: Path):
    pk = keys.version_pk(GROUP, 2)
    two_versions.ddb.delete_item(TableName=two_versions.table, Key={"pk": {"S": pk}, "sk": {"S": keys.CHAIN_SORT_KEY}})
    result = run(config_dir, "report", "--out", str(tmp_path / "r"), "--use-case", "credit-risk")
    assert result.exit_code == 0, result.output  # the report documents a break; `history --verify` fails on it
    assert "1 broken history chain(s)" in result.output
