"""The local engine's edges: an empty lake, a bad lake file, a naive clock, the S3 download and compaction."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mlgov_analytics.local import COMPACTED_NAME, LakeError, compact_lake, download_lake, run_views
from mlgov_analytics.views import VIEWS


def test_an_empty_lake_gives_empty_views_and_zero_breaches(tmp_path: Path):
    result = run_views(tmp_path)
    assert set(result) == {v.name for v in VIEWS}
    assert result["sod_breaches"] == [{"breaches": 0}]
    assert all(rows == [] for name, rows in result.items() if name != "sod_breaches")


def test_a_wrongly_typed_value_names_the_view_and_the_file(tmp_path: Path):
    path = tmp_path / "versions" / "x.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b'{"version_id": "g#1", "version": "one"}\n'))
    with pytest.raises(LakeError, match=r"view inventory: .*x\.json\.gz.*\"one\""):
        run_views(tmp_path)


def test_now_must_carry_a_timezone(tmp_path: Path):
    with pytest.raises(ValueError, match="timezone-aware"):
        run_views(tmp_path, now=datetime(2026, 11, 10))


def _folders(lake: Path) -> set[str]:
    return {p.parent.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz")}


@mock_aws
def test_download_lake_copies_every_table_compacted_to_one_file_per_folder(lake: Path, tmp_path: Path):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lake")
    objects = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.json.gz"))
    for key in objects:
        s3.put_object(Bucket="lake", Key=key, Body=(lake / key).read_bytes())
    s3.put_object(Bucket="lake", Key="athena-results/q.csv", Body=b"not a table")
    dest = tmp_path / "copy"
    (dest / "versions").mkdir(parents=True)
    (dest / "versions" / "stale.json.gz").write_bytes(b"")

    assert download_lake(s3, "lake", dest) == len(objects)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.json.gz"))
    assert copied == sorted(f"{folder}/{COMPACTED_NAME}" for folder in _folders(lake))
    assert len(copied) < len(objects)  # the fixture has folders of several objects: something was compacted
    assert run_views(dest) == run_views(lake)


def test_a_compacted_lake_has_every_row_and_gives_the_same_views(lake: Path, tmp_path: Path):
    rows = sorted(line for p in lake.rglob("*.json.gz") for line in gzip.decompress(p.read_bytes()).splitlines())
    dest = tmp_path / "compacted"
    compact_lake(lake, dest)
    compacted = sorted(line for p in dest.rglob("*.json.gz") for line in gzip.decompress(p.read_bytes()).splitlines())
    assert compacted == rows and _folders(dest) == _folders(lake)
    assert run_views(dest) == run_views(lake)


def test_an_object_that_is_not_gzip_is_named_and_nothing_is_replaced(lake: Path, tmp_path: Path):
    (lake / "versions" / "broken.json.gz").write_bytes(b"plain text")
    dest = tmp_path / "compacted"
    (dest / "versions").mkdir(parents=True)
    (dest / "versions" / "kept.json.gz").write_bytes(b"kept")
    with pytest.raises(LakeError, match=r"object versions/broken\.json\.gz: not gzip"):
        compact_lake(lake, dest)
    assert (dest / "versions" / "kept.json.gz").read_bytes() == b"kept"
    assert not (tmp_path / "compacted.partial").exists()


@mock_aws
def test_a_failed_download_keeps_the_previous_copy(tmp_path: Path):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lake")
    s3.put_object(Bucket="lake", Key="versions/../../escape.json.gz", Body=b"x")
    dest = tmp_path / "copy"
    (dest / "versions").mkdir(parents=True)
    (dest / "versions" / "kept.json.gz").write_bytes(b"kept")
    with pytest.raises(LakeError, match=r"versions/\.\./\.\./escape\.json\.gz"):
        download_lake(s3, "lake", dest)
    assert (dest / "versions" / "kept.json.gz").read_bytes() == b"kept"
    assert not (tmp_path / "copy.partial").exists() and not (tmp_path / "escape.json.gz").exists()
