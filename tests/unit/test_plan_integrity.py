"""A saved plan is applied only as planned: present, unmodified, for the stack files as they are now."""

from __future__ import annotations

from pathlib import Path

import pytest

from plan_integrity import (MANIFEST, PLAN_FILE, PLAN_SHA256, PlanManifest, PlanRefused, sha256_file, sha256_line,
                            stack_fingerprint, stale_state_line, verify_saved_plan)


def make_stack(root: Path) -> Path:
    stack = root / "terraform" / "dev"
    (stack / "assets" / "fn").mkdir(parents=True)
    (stack / "main.tf.json").write_text('{"resource": {}}')
    (stack / "assets" / "fn" / "code.zip").write_bytes(b"zip-1")
    return stack


def make_plan(root: Path, stack_dir: Path, target: str = "sandbox") -> Path:
    plan_dir = root / "plans" / "dev"
    plan_dir.mkdir(parents=True)
    (plan_dir / PLAN_FILE).write_bytes(b"binary plan")
    (plan_dir / PLAN_SHA256).write_text(sha256_line(sha256_file(plan_dir / PLAN_FILE)))
    (plan_dir / MANIFEST).write_text(PlanManifest("dev", target, stack_fingerprint(stack_dir), "a" * 40).to_json())
    return plan_dir


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Path, Path]:
    stack = make_stack(tmp_path)
    return stack, make_plan(tmp_path, stack)


def test_a_plan_as_written_is_accepted(planned: tuple[Path, Path]) -> None:
    stack, plan_dir = planned
    assert verify_saved_plan(plan_dir, "dev", stack, "sandbox").commit == "a" * 40


@pytest.mark.parametrize("missing", [PLAN_FILE, PLAN_SHA256, MANIFEST])
def test_a_missing_file_is_refused(planned: tuple[Path, Path], missing: str) -> None:
    stack, plan_dir = planned
    (plan_dir / missing).unlink()
    with pytest.raises(PlanRefused, match=f"{missing}: missing.*make plan STACK=dev"):
        verify_saved_plan(plan_dir, "dev", stack, "sandbox")


def test_no_plan_folder_is_refused(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    with pytest.raises(PlanRefused, match="missing"):
        verify_saved_plan(tmp_path / "plans" / "dev", "dev", stack, "aws")


def test_a_modified_plan_is_refused(planned: tuple[Path, Path]) -> None:
    stack, plan_dir = planned
    (plan_dir / PLAN_FILE).write_bytes(b"binary plan, edited")
    with pytest.raises(PlanRefused, match="modified since it was planned"):
        verify_saved_plan(plan_dir, "dev", stack, "sandbox")


def test_a_malformed_checksum_file_is_refused(planned: tuple[Path, Path]) -> None:
    stack, plan_dir = planned
    (plan_dir / PLAN_SHA256).write_text("not a checksum\n")
    with pytest.raises(PlanRefused, match="tfplan.sha256: not a sha256 line"):
        verify_saved_plan(plan_dir, "dev", stack, "sandbox")


@pytest.mark.parametrize("change", ["main", "asset", "new file", "removed asset"])
def test_a_plan_older_than_the_stack_files_is_stale(planned: tuple[Path, Path], change: str) -> None:
    stack, plan_dir = planned
    if change == "main":
        (stack / "main.tf.json").write_text('{"resource": {"aws_s3_bucket": {}}}')
    elif change == "asset":
        (stack / "assets" / "fn" / "code.zip").write_bytes(b"zip-2")
    elif change == "new file":
        (stack / ".terraform.lock.hcl").write_text("# lock\n")
    else:
        (stack / "assets" / "fn" / "code.zip").unlink()
        (stack / "assets" / "other.zip").write_bytes(b"zip-1")
    with pytest.raises(PlanRefused, match=r"stale, .*terraform/dev changed since it was planned at commit aaaaaaaaaaaa"):
        verify_saved_plan(plan_dir, "dev", stack, "sandbox")


def test_a_renamed_file_changes_the_fingerprint(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    before = stack_fingerprint(stack)
    (stack / "assets" / "fn" / "code.zip").rename(stack / "assets" / "fn" / "code2.zip")
    assert stack_fingerprint(stack) != before


def test_a_plan_for_another_stack_or_target_is_refused(planned: tuple[Path, Path]) -> None:
    stack, plan_dir = planned
    with pytest.raises(PlanRefused, match="planned against sandbox, this apply targets aws"):
        verify_saved_plan(plan_dir, "dev", stack, "aws")
    with pytest.raises(PlanRefused, match="planned for stack 'dev', not 'test'"):
        verify_saved_plan(plan_dir, "test", stack, "sandbox")


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "expected an object, found list"),
    ("{", "not JSON"),
    ('{"stack": "dev", "target": "sandbox", "commit": "c"}', "field 'stack_sha256' missing"),
    ('{"stack": "dev", "target": "moon", "commit": "c", "stack_sha256": "' + "0" * 64 + '"}', "field 'target' is 'moon'"),
    ('{"stack": "dev", "target": "aws", "commit": "c", "stack_sha256": "xyz"}', "field 'stack_sha256' is 'xyz'"),
    ('{"stack": "dev", "target": "aws", "commit": "c", "stack_sha256": "' + "0" * 64 + '", "x": 1}', r"unknown field\(s\) \['x'\]"),
])
def test_a_bad_manifest_is_refused_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PlanRefused, match=message):
        PlanManifest.from_json(text, tmp_path / MANIFEST)


def test_the_manifest_round_trips() -> None:
    manifest = PlanManifest("prod", "aws", "f" * 64, "c0ffee-dirty")
    assert PlanManifest.from_json(manifest.to_json(), Path("m")) == manifest


def test_an_empty_stack_folder_has_no_fingerprint(tmp_path: Path) -> None:
    with pytest.raises(PlanRefused, match="no files"):
        stack_fingerprint(tmp_path)


def test_terraforms_stale_plan_error_becomes_one_line() -> None:
    stderr = ("\nError: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was "
              "changed by another operation after the plan was created.\n")
    line = stale_state_line(Path("build/plans/dev/tfplan"), stderr)
    assert line is not None and "\n" not in line and "state changed since it was planned" in line
    assert stale_state_line(Path("p"), "\nError: creating S3 Bucket: AccessDenied\n") is None
