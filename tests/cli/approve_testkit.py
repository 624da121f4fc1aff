"""Fixtures for the approve/reject, check, promote and onboard tests.

Imported by the test modules (``from approve_testkit import *``) rather than a conftest, so these
fixtures do not clash with other CLI tests' fixtures; names carry an ``apv`` prefix for that reason.
One sandbox server per process (started in a thread on first use). moto keeps its state per process,
so every test gets its own model package group (``apv-<hex>``) in a temporary copy of config/.

Versions are registered as the dev data scientist (arn:aws:iam::222222222222:role/mlgov-data-scientist,
session named after the person, which is how the registry's CreatedBy names the registrant) into the
governance group by its ARN, under the group policy the governance stack puts. Decisions go through
the decision function (decision_kit); QA evidence is the METRICS#qa item metrics-ingest records.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from decision_kit import DECIDER_ROLE, TABLE as DECISIONS_TABLE, DecisionPath
from governance_testkit import TableFiller
from mlgov_config import AccountRole, load_config
from modules.model_registry import SharedGroup, group_policy, release_group_policy
from modules.naming import Names
from sandbox.accounts import assume

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
GOV, DEV = "111111111111", "222222222222"
DATA_SCIENTIST_ROLE = f"arn:aws:iam::{DEV}:role/mlgov-data-scientist"
APPROVER_ROLE = f"arn:aws:iam::{GOV}:role/mlgov-model-approver"
OPERATOR_ROLE = f"arn:aws:iam::{GOV}:role/mlgov-terraform"
INFERENCE = {
    "Containers": [{"Image": f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgov/models:1",
                    "ModelDataUrl": f"s3://mlgov-artifacts-{GOV}-{REGION}/models/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
GOOD_QA = {"auc": "0.81", "p95_latency_ms": "150"}

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "MLGOV_ENDPOINT_URL", "MLGOV_APPROVER",
             "MLGOV_CONFIG_DIR"):
    os.environ.pop(_var, None)

_server_lock = threading.Lock()
_server_url: str | None = None
_decision_path: DecisionPath | None = None


def sandbox_url() -> str:
    """The process's sandbox server, started on first use and stopped at exit."""
    global _server_url
    with _server_lock:
        if _server_url is None:
            import tempfile

            from sandbox.server import start_in_thread

            server, url = start_in_thread(0, state_dir=tempfile.mkdtemp(prefix="apv-sandbox-"))
            atexit.register(server.shutdown)
            _server_url = url
    return _server_url


def decision_path(url: str) -> DecisionPath:
    """The decision function and its API in the governance account, deployed once per process.

    Deployed again when it is gone: an in-process mock_aws() of another CLI test module resets the
    moto state this server shares.
    """
    global _decision_path
    with _server_lock:
        if _decision_path is None or not _decision_path.deployed():
            _decision_path = DecisionPath(lambda service: role_client(url, service, OPERATOR_ROLE, "apv-setup"), REGION, GOV)
    return _decision_path


def role_client(url: str, service: str, role_arn: str, session: str) -> Any:
    return assume(url, REGION, role_arn, session).client(service)


@dataclass
class ApvEnv:
    """Per test: a config copy whose credit-risk use case points at a fresh group in the governance account."""

    url: str
    config_dir: Path
    group: str
    group_arn: str

    @property
    def use_case_file(self) -> Path:
        return self.config_dir / "use_cases" / "credit-risk.yaml"

    def gov(self, service: str = "sagemaker") -> Any:
        return role_client(self.url, service, OPERATOR_ROLE, "apv-test")

    def register(self, *, session: str = "bob@example.com", qa: dict[str, str] | None = None) -> int:
        """A version registered by the dev data scientist (session ``session``: the registrant); returns its number."""
        dev = role_client(self.url, "sagemaker", DATA_SCIENTIST_ROLE, session)
        metadata = {"run_id": uuid.uuid4().hex}
        arn = dev.create_model_package(
            ModelPackageGroupName=self.group_arn, InferenceSpecification=INFERENCE,
            ModelApprovalStatus="PendingManualApproval", CustomerMetadataProperties=metadata,
            ModelLifeCycle={"Stage": "Dev", "StageStatus": "Pending", "StageDescription": "registered"},
        )["ModelPackageArn"]
        version = int(arn.rsplit("/", 1)[1])
        if qa:
            self.set_qa(version, qa)
        return version

    def set_qa(self, version: int, metrics: dict[str, str]) -> None:
        """QA evidence: the METRICS#qa item metrics-ingest records in the governance table."""
        filler = TableFiller(self.gov("dynamodb"), DECISIONS_TABLE)
        filler.metrics(self.group, version, "2025-01-01T00:00:00.000Z", {k: float(v) for k, v in metrics.items()})
        filler.flush()

    def arn(self, version: int) -> str:
        return f"arn:aws:sagemaker:{REGION}:{GOV}:model-package/{self.group}/{version}"

    def describe(self, version: int) -> dict[str, Any]:
        return self.gov().describe_model_package(ModelPackageName=self.arn(version))

    def state(self, version: int) -> tuple[str, str | None, str | None]:
        d = self.describe(version)
        life = d.get("ModelLifeCycle") or {}
        return d["ModelApprovalStatus"], life.get("Stage"), life.get("StageStatus")

    def force(self, version: int, approval: str, stage: str, status: str) -> None:
        """Put a version into a state directly (setting up scenarios, not under test)."""
        self._as_decider().update_model_package(ModelPackageArn=self.arn(version), ModelApprovalStatus=approval,
                                                ModelLifeCycle={"Stage": stage, "StageStatus": status})

    def force_lifecycle(self, version: int, lifecycle: dict[str, str]) -> None:
        self._as_decider().update_model_package(ModelPackageArn=self.arn(version), ModelLifeCycle=lifecycle)

    def _as_decider(self) -> Any:
        """The only principal the group policy lets set approval status or lifecycle: the decision function's role."""
        return role_client(self.url, "sagemaker", DECIDER_ROLE, "apv-force")

    def run(self, *args: str, json_output: bool = False, config_dir: Path | None = None) -> Result:
        from mlgov_cli.main import cli

        base = ["--config", str(config_dir or self.config_dir), "--endpoint-url", self.url]
        return CliRunner().invoke(cli, [*base, *(["--json"] if json_output else []), *args], catch_exceptions=False)

    def decide(self, command: str, version: int, stage: str, approver: str = "carol@example.com",
               reason: str = "looks good", *extra: str, json_output: bool = False) -> Result:
        return self.run(command, self.group, str(version), "--stage", stage, "--reason", reason,
                        "--approver", approver, *extra, json_output=json_output)

    def approve_to(self, version: int, stage: str) -> None:
        """Approve through the CLI up to ``stage`` (Test, or Test then Prod)."""
        for s in ("Test", "Prod")[: ("Test", "Prod").index(stage) + 1]:
            result = self.decide("approve", version, s)
            assert result.exit_code == 0, result.output

    def set_deployments(self, test_version: int | None, prod_versions: tuple[int, int] | None) -> None:
        """Rewrite the version numbers in the deployments section (text edit; the file's comments stay)."""
        text = self.use_case_file.read_text()
        head, deployments = text.split("\ndeployments:\n", 1)
        if test_version is not None:
            deployments = re.sub(r"(  test:\n    version: )\d+", rf"\g<1>{test_version}", deployments)
        if prod_versions is not None:
            versions = iter(prod_versions)
            deployments = re.sub(r"(\n        version: )\d+", lambda m: f"{m.group(1)}{next(versions)}", deployments)
        self.use_case_file.write_text(f"{head}\ndeployments:\n{deployments}")

    def set_releases(self, releases: tuple[int, int]) -> None:
        """Rewrite the prod variants' release numbers (text edit, like set_deployments)."""
        text, numbers = self.use_case_file.read_text(), iter(releases)
        self.use_case_file.write_text(re.sub(r"(\n        release: )\d+", lambda m: f"{m.group(1)}{next(numbers)}", text))


def copy_config(dest: Path, group: str) -> Path:
    """config/ copied to ``dest`` with the credit-risk group renamed; other use cases left out."""
    config = dest / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    for path in (config / "use_cases").glob("*.yaml"):
        if path.name != "credit-risk.yaml":
            path.unlink()
    path = config / "use_cases" / "credit-risk.yaml"
    text = path.read_text()
    text = text.replace("model_package_group:\n  name: credit-risk\n", f"model_package_group:\n  name: {group}\n")
    assert f"name: {group}\n" in text
    path.write_text(text)
    return config


@pytest.fixture
def apv(tmp_path: Path) -> ApvEnv:
    url = sandbox_url()
    gates = load_config(REPO_ROOT / "config").use_cases["credit-risk"].gates  # what copy_config keeps
    group = decision_path(url).take_group("credit-risk", gates.test, gates.prod)
    config = copy_config(tmp_path, group)
    env = ApvEnv(url=url, config_dir=config, group=group, group_arn="")
    env.group_arn = env.gov().create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    use_case = load_config(config).use_cases["credit-risk"]
    names = Names.from_config(load_config(config))
    env.gov().put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=shared_group_policy(config, use_case))
    release_group = env.gov().create_model_package_group(ModelPackageGroupName=names.release_group(group))
    env.gov().put_model_package_group_policy(ModelPackageGroupName=names.release_group(group), ResourcePolicy=release_group_policy(
        names, group, load_config(config).platform.account_id(AccountRole.PROD), names.decision_function_role_arn))
    assert release_group["ModelPackageGroupArn"]
    return env


def shared_group_policy(config_dir: Path, use_case: Any) -> str:
    """The resource policy the governance stack puts on the group (modules/model_registry.py)."""

    config = load_config(config_dir)
    group = SharedGroup(name=use_case.model_package_group.name, description="", use_case=use_case.name,
                        consumers={role: config.platform.account_id(role) for role in use_case.shared_with})
    names = Names.from_config(config)
    return group_policy(names, group, names.decision_function_role_arn)


__all__ = ["ApvEnv", "GOOD_QA", "GOV", "DEV", "REPO_ROOT", "apv", "copy_config", "sandbox_url"]
