"""The Lambda zip is reproducible, so a re-synth leaves the committed asset (and git) unchanged."""

from __future__ import annotations

import os
import shutil
import zipfile

from modules.lambda_package import build_zip
from tf_json import REPO_ROOT

LAMBDA_SRC = REPO_ROOT / "lambda_src"


def test_building_twice_gives_identical_bytes(tmp_path):
    first = build_zip(LAMBDA_SRC, "registry_sync", tmp_path / "a.zip")
    second = build_zip(LAMBDA_SRC, "registry_sync", tmp_path / "b.zip")
    assert first == second
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_bytes_do_not_depend_on_file_times_or_checkout_path(tmp_path):
    copy = tmp_path / "elsewhere" / "lambda_src"
    shutil.copytree(LAMBDA_SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in copy.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    build_zip(LAMBDA_SRC, "registry_sync", tmp_path / "original.zip")
    build_zip(copy, "registry_sync", tmp_path / "copy.zip")
    assert (tmp_path / "original.zip").read_bytes() == (tmp_path / "copy.zip").read_bytes()


def test_zip_holds_the_handler_and_the_shared_core_without_bytecode(tmp_path):
    source = tmp_path / "lambda_src"
    shutil.copytree(LAMBDA_SRC, source)
    cache = source / "registry_sync" / "__pycache__"  # as a local test run leaves behind
    cache.mkdir(exist_ok=True)
    (cache / "handler.cpython-311.pyc").write_bytes(b"bytecode")
    (cache / "stray.py").write_text("")
    build_zip(source, "registry_sync", tmp_path / "f.zip")
    names = zipfile.ZipFile(tmp_path / "f.zip").namelist()
    assert "registry_sync/handler.py" in names
    assert "mlgov_core/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")], names
