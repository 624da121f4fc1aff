"""`mlgov dashboard` over a lake written here in the layout of mlgov_core.lake_tables: from a local
copy (--lake) and from the lake bucket (moto), its headline figures, its page, its errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from governance_testkit import aws_env, config_dir, run  # noqa: F401

from mlgov_core import lake_tables
from mlgov_cli.context import Context
from mlgov_cli.errors import EXIT_INPUT

local = pytest.importorskip("mlgov_analytics.local", reason="needs the views part of issue 10 (mlgov_analytics/local.py)")
from mlgov_analytics.views import VIEWS  # noqa: E402

if not all(view.sql for view in VIEWS):
    pytest.skip("needs the views part of issue 10 (the views' SQL)", allow_module_level=True)

CR, FRAUD = "credit-risk", "fraud-detection"


def _row(table: lake_tables.LakeTable, **values: Any) -> dict[str, Any]:
    unknown = set(values) - set(table.column_names())
    assert not unknown, unknown
    return {c: values.get(c) for c in table.column_names()}


def _change(group: str, version: int, at: str, stage: str, status: str, by: str, decider: str | None = None) -> dict:
    return _row(lake_tables.HISTORY, pk=f"{group}#{version:06d}", sk=f"h#{at}", item_type="history",
                version_id=f"{group}#{version:06d}", model_group=group, version=version, stage=stage, status=status,
                changed_by=by, registered_by="alice", registrant="alice", decider=decider, is_decision=decider is not None,
                sod_breach=False, last_modified=at, recorded_at=at)


def lake_objects() -> dict[str, list[dict]]:
    """credit-risk v1 Prod/Approved (bob, then carol approved), v2 Test/Rejected (erin); fraud v1 Dev/Pending."""
    versions = [("credit-risk", CR, 1, "Prod", "Approved", "carol"), ("credit-risk", CR, 2, "Test", "Rejected", None),
                ("fraud", FRAUD, 1, "Dev", "Pending", None)]
    history = [_change(CR, 1, "2025-02-01T10:00:00.000Z", "Dev", "Pending", "alice"),
               _change(CR, 1, "2025-02-02T10:00:00.000Z", "Test", "Approved", "bob", "bob"),
               _change(CR, 1, "2025-02-04T10:00:00.000Z", "Prod", "Approved", "carol", "carol"),
               _change(CR, 2, "2025-02-06T10:00:00.000Z", "Dev", "Pending", "alice"),
               _change(CR, 2, "2025-02-07T10:00:00.000Z", "Test", "Rejected", "erin", "erin"),
               _change(FRAUD, 1, "2025-02-08T10:00:00.000Z", "Dev", "Pending", "<script>alert(1)</script>")]
    objects = {f"versions/{g}#{v:06d}.json.gz": [_row(
        lake_tables.VERSIONS, version_id=f"{g}#{v:06d}", use_case=u, model_group=g, version=v, stage=s, status=st,
        registered_by="alice", approved_by=a, created_at="2025-02-01T10:00:00.000Z",
        last_modified="2025-02-08T10:00:00.000Z")] for u, g, v, s, st, a in versions}
    for row in history:
        objects[f"history/dt={row['last_modified'][:10]}/{row['pk']}__{row['sk'].replace(':', '-')}.json.gz"] = [row]
    objects["metrics/dt=2025-02-05/cr__m.json.gz"] = [_row(
        lake_tables.METRICS, version_id=f"{CR}#000001", model_group=CR, version=1, kind="production", stage="Prod",
        variant=variant, metric="latency_p95_ms", value=value, reported_at="2025-02-05T10:00:00.000Z",
        report_key="m#1") for variant, value in (("champion", 38.0), ("challenger", 41.0))]
    objects["use_cases/use_cases.json.gz"] = [
        _row(lake_tables.USE_CASES, use_case="credit-risk", model_group=CR, risk_tier="high", line_of_business="retail"),
        _row(lake_tables.USE_CASES, use_case="fraud", model_group=FRAUD, risk_tier="medium", line_of_business="cards")]
    return objects


def encoded(rows: list[dict]) -> bytes:
    return gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())


def write_lake(root: Path) -> Path:
    for key, rows in lake_objects().items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(encoded(rows))
    return root


EXPECTED = {"versions": 3, "pending": 1, "approvals": 2, "rejections": 1, "sod_breaches": 0,
            "stage_status": {"Dev": {"Pending": 1, "Approved": 0, "Rejected": 0},
                             "Test": {"Pending": 0, "Approved": 0, "Rejected": 1},
                             "Prod": {"Pending": 0, "Approved": 1, "Rejected": 0}}}


def test_dashboard_from_a_local_lake(tmp_path: Path, config_dir: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    result = run(config_dir, "--json", "dashboard", "--lake", str(lake), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {k: figures[k] for k in EXPECTED} == EXPECTED
    page = Path(figures["files"]["html"]).read_text()
    assert 'id="headline-approvals"><div class="value">2</div>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert page.count("<svg") == 6


def test_dashboard_from_the_lake_bucket(aws_env: None, config_dir: Path, tmp_path: Path) -> None:
    ctx = Context(config_dir=config_dir)
    s3, bucket = ctx.governance_client("s3"), ctx.names.analytics_lake_bucket
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": ctx.config.platform.home_region})
    for key, rows in lake_objects().items():
        s3.put_object(Bucket=bucket, Key=key, Body=encoded(rows))
    result = run(config_dir, "dashboard", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps the summary line
    assert f"s3://{bucket}:" in said and "3 version(s), 1 pending, 2 approval(s), 1 rejection(s), 0 separation" in said
    assert (tmp_path / "out" / "dashboard.html").exists()


def test_a_lake_folder_that_is_not_there_is_an_input_error(tmp_path: Path, config_dir: Path) -> None:
    result = run(config_dir, "dashboard", "--lake", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.exit_code == EXIT_INPUT and f"--lake {tmp_path / 'nope'}: not a folder" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unreadable_lake_names_it_and_writes_nothing(tmp_path: Path, config_dir: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    (lake / "versions" / "bad.json.gz").write_bytes(gzip.compress(b'{"version": "not a number"}\n'))
    result = run(config_dir, "dashboard", "--lake", str(lake), "--out", str(tmp_path / "out"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert f"cannot read the lake at {lake}" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_an_out_folder_that_cannot_be_written_is_an_input_error(tmp_path: Path, config_dir: Path) -> None:
    lake = write_lake(tmp_path / "lake")
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    result = run(config_dir, "dashboard", "--lake", str(lake), "--out", str(blocker / "dashboards"))
    assert result.exit_code == EXIT_INPUT and f"cannot write the dashboard to {blocker / 'dashboards'}" in result.output
    assert "Traceback" not in result.output and blocker.read_text().startswith("a file")
