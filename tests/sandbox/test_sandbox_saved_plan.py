"""`make plan` / `make apply` / `make drift` on one minimal stack in the sandbox, with the S3 backend and
Terraform's native lock (use_lockfile) at the sandbox's S3 endpoint, as in the committed stacks.

Only a saved plan applies: a missing, tampered or stale one is refused with nothing applied, and two
concurrent applies of one plan are serialised by the lock: one applies, the other then finds the
state moved on and is refused by Terraform's own staleness check.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from plan_integrity import PLAN_FILE, PlanRefused
from saved_plan import apply_saved_plan, check_drift, plan_stack
from sandbox_accounts import REGION
from terraform_cli import Terraform

STATE_KEY = "mini/stack.tfstate"
ACCOUNT = "123456789012"  # moto's account for raw keys, which the test and Terraform both use


def stack_json(url: str, bucket: str, policies: list[str]) -> dict[str, Any]:
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mini-example/*"}]})
    return {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
            "backend": {"s3": {
                "bucket": bucket, "key": STATE_KEY, "region": REGION, "encrypt": True, "use_lockfile": True,
                "endpoints": {"s3": url}, "use_path_style": True, "access_key": "test", "secret_key": "test",
                "skip_credentials_validation": True, "skip_requesting_account_id": True,
                "skip_metadata_api_check": True, "skip_region_validation": True,
            }},
        },
        "provider": {"aws": [{
            "region": REGION, "access_key": "test", "secret_key": "test", "skip_credentials_validation": True,
            "skip_metadata_api_check": True, "skip_requesting_account_id": True, "max_retries": 1,
            "endpoints": [{"iam": url, "sts": url}],
        }]},
        "resource": {"aws_iam_policy": {name: {"name": name, "policy": document} for name in policies}},
    }


@dataclass
class Mini:
    url: str
    s3: Any
    iam: Any
    bucket: str
    stack_dir: Path
    plan_dir: Path
    tf: Terraform
    root: Path
    prefix: str

    def write(self, *policies: str) -> None:
        names = [f"{self.prefix}-{p}" for p in policies]
        (self.stack_dir / "main.tf.json").write_text(json.dumps(stack_json(self.url, self.bucket, names), indent=2))

    def plan(self) -> Any:
        return plan_stack(self.tf, "mini", self.stack_dir, self.plan_dir, "sandbox")

    def apply(self, tf: Terraform | None = None) -> Any:
        return apply_saved_plan(tf or self.tf, "mini", self.stack_dir, self.plan_dir, "sandbox")

    def policies(self) -> list[str]:
        listed = self.iam.list_policies(Scope="Local")["Policies"]
        return sorted(p["PolicyName"].removeprefix(f"{self.prefix}-") for p in listed if p["PolicyName"].startswith(self.prefix))

    def state(self) -> dict[str, Any]:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=STATE_KEY)["Body"].read())

    def lock_files(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []) if o["Key"].endswith(".tflock")]


@pytest.fixture(scope="module")
def mini(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mini]:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=sandbox_url, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")

    root = tmp_path_factory.mktemp("mini")
    tag = uuid.uuid4().hex[:8]
    s3 = client("s3")
    bucket = f"mlgov-state-mini-{tag}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    stack_dir = root / "terraform" / "mini"
    stack_dir.mkdir(parents=True)
    made = Mini(sandbox_url, s3, client("iam"), bucket, stack_dir, root / "plans" / "mini",
                Terraform(root / "work" / "a"), root, f"mini-{tag}")
    made.write("reader")
    # Init is -lockfile=readonly once stacks commit their lock files: the mini stack pins the same provider.
    committed_lock = Path(__file__).resolve().parents[2] / "terraform" / "dev" / ".terraform.lock.hcl"
    if committed_lock.is_file():
        shutil.copyfile(committed_lock, stack_dir / committed_lock.name)
    made.tf = Terraform.copy_of(stack_dir, root / "work" / "a")
    made.tf.init(backend=True)
    yield made


def test_without_a_plan_nothing_applies(mini: Mini) -> None:
    with pytest.raises(PlanRefused, match="missing; no complete saved plan for stack mini"):
        mini.apply()
    assert mini.policies() == []


def test_a_tampered_plan_is_refused(mini: Mini) -> None:
    saved = mini.plan()
    assert saved.summary == "Plan: 1 to add, 0 to change, 0 to destroy."
    assert json.loads((mini.plan_dir / "plan.json").read_text())["resource_changes"][0]["change"]["actions"] == ["create"]
    original = (mini.plan_dir / PLAN_FILE).read_bytes()
    (mini.plan_dir / PLAN_FILE).write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(PlanRefused, match="modified since it was planned"):
        mini.apply()
    (mini.plan_dir / PLAN_FILE).write_bytes(original)
    assert mini.policies() == [] and mini.lock_files() == []


def test_a_plan_older_than_the_stack_files_is_refused(mini: Mini) -> None:
    mini.write("reader", "writer")
    try:
        with pytest.raises(PlanRefused, match="stale, .* changed since it was planned"):
            mini.apply()
    finally:
        mini.write("reader")
    assert mini.policies() == []


def test_concurrent_applies_are_serialised_by_the_s3_lock(mini: Mini) -> None:
    """One plan, two runners (two working copies, one state): the lock makes the second wait, then Terraform
    sees the state the first wrote and refuses the now stale plan, so the plan applies exactly once."""
    second = Terraform.copy_of(mini.stack_dir, mini.root / "work" / "b")
    second.init(backend=True)
    seen_locks: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen_locks.update(mini.lock_files())
            time.sleep(0.1)

    def run(tf: Terraform) -> tuple[str, float]:
        try:
            proc = mini.apply(tf)
            return ("applied" if proc.returncode == 0 else f"failed: {proc.stderr[-500:]}"), time.monotonic()
        except PlanRefused as refused:
            return f"refused: {refused}", time.monotonic()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(run, (mini.tf, second)))
    done.set()
    watcher.join()
    results = sorted(outcome for outcome, _ in outcomes)
    assert results[0] == "applied", outcomes
    assert results[1].startswith("refused: ") and "stale, the state changed since it was planned" in results[1], outcomes
    assert "\n" not in results[1]
    applied_at = next(t for o, t in outcomes if o == "applied")
    refused_at = next(t for o, t in outcomes if o != "applied")
    assert refused_at >= applied_at, "the refused apply finished first: it did not wait for the lock"
    assert seen_locks == {f"{STATE_KEY}.tflock"}, "Terraform's native S3 lock file was never seen"
    assert mini.lock_files() == []
    assert mini.policies() == ["reader"]
    assert [r["name"] for r in mini.state()["resources"]] == [f"{mini.prefix}-reader"]


def test_drift_outside_terraform_is_found(mini: Mini) -> None:
    """(Clean after an apply is the e2e story's check on the four stacks: sandbox.stacks.replan_changes.)"""
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{mini.prefix}-reader"
    mini.iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "changed-by", "Value": "console"}])
    checked = check_drift(mini.tf)
    assert [(d.address, d.action) for d in checked.drift] == [(f"aws_iam_policy.{mini.prefix}-reader", "update")]
    assert "tags" in checked.drift[0].attributes
    shutil.rmtree(mini.plan_dir)
