"""Deterministic Lambda zips: same sources, same bytes, so a re-synth leaves git clean."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

# zip stores local times from 1980 on; a fixed stamp and mode make the archive reproducible.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
SHARED_CORE = "mlgov_core"


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def build_zip(lambda_src: Path, function_dir: str, out_path: Path) -> str:
    """Zip lambda_src/<function_dir> and the shared core; return the base64 SHA-256 Lambda expects."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, Path]] = []
    for package in (function_dir, SHARED_CORE):
        root = lambda_src / package
        if not root.is_dir():
            raise FileNotFoundError(f"Lambda source folder {root} does not exist")
        entries += [(str(p.relative_to(lambda_src)), p) for p in _sources(root)]
    # Written aside and renamed: two synths at once (parallel test workers) never see a half-written zip.
    partial = out_path.with_name(f"{out_path.name}.{os.getpid()}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    digest = hashlib.sha256(partial.read_bytes()).digest()
    os.replace(partial, out_path)
    return base64.b64encode(digest).decode()
