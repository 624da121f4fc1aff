"""`make demo`: the foundation story end to end on the local sandbox, no AWS account needed.

1. start the patched moto server on a free port (four emulated accounts, told apart by AssumeRole);
2. terraform init/plan/apply of the committed governance and dev stacks, then a re-plan that must be clean;
3. as the data scientist in dev: upload an artifact to the governance artifact store (SSE-KMS) and
   register a version into the shared group by its ARN;
4. SageMaker's state-change event reaches the Terraform-created rule and Lambda, which the sandbox
   runs from its deployed zip; print the governance table's state and history for the version;
5. stop the server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mlgov_config import AccountRole, MlgovConfig, load_config
from mlgov_core import keys
from modules.naming import Names
from sandbox.accounts import AccountSession, assume
from sandbox.process import SandboxProcess
from sandbox.serving import ApiAnswer, call_predict, rest_api_id, report_qa_metrics
from sandbox.stacks import ApplyResult, apply_stack, replan_changes

REPO_ROOT = Path(__file__).resolve().parents[2]
# The registry path first (seed steps 1-5); test and prod deploy a registered version afterwards.
REGISTRY_STACKS = (AccountRole.GOVERNANCE, AccountRole.DEV)
SERVING_STACKS = (AccountRole.TEST, AccountRole.PROD)


@dataclass
class DemoResult:
    applies: list[ApplyResult] = field(default_factory=list)
    replan_changes: dict[str, list[str]] = field(default_factory=dict)
    model_package_arn: str = ""
    items: list[dict] = field(default_factory=list)
    invocations: list[dict] = field(default_factory=list)
    dead_letters: int = 0
    predict: ApiAnswer | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _say(message: str) -> None:
    print(message, flush=True)


def register_candidate(scientist: AccountSession, names: Names, group: str) -> str:
    """What `mlgov register` will do from an MLflow run (CLI issue); here with a fixed example run."""
    s3 = scientist.client("s3")
    key = f"models/{group}/example-run-0001/model.tar.gz"
    # No key header: the bucket's default encryption applies the artifact key (SSE-KMS), and the bucket
    # policy refuses any other key. An alias would not do: aliases do not resolve across accounts.
    s3.put_object(Bucket=names.artifact_bucket, Key=key, Body=b"example model artifact")
    response = scientist.client("sagemaker").create_model_package(
        ModelPackageGroupName=names.group_arn(group),
        ModelPackageDescription="example candidate registered by the sandbox demo",
        ModelApprovalStatus="PendingManualApproval",
        ModelLifeCycle={"Stage": "Dev", "StageStatus": "Pending", "StageDescription": "candidate from experiment"},
        CustomerMetadataProperties={
            "registered_by": "data-scientist@example.com", "mlflow_run_id": "example-run-0001",
            "metric:auc": "0.81", "metric:accuracy": "0.77",
        },
        InferenceSpecification={
            "Containers": [{"Image": f"{names.governance_account}.dkr.ecr.{names.region}.amazonaws.com/{names.model_repository}:example",
                            "ModelDataUrl": f"s3://{names.artifact_bucket}/{key}"}],
            "SupportedContentTypes": ["application/json"], "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    return response["ModelPackageArn"]


def queue_depth(governance: AccountSession, queue_name: str) -> int:
    sqs = governance.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


@dataclass
class Deployed:
    """A running sandbox with stacks applied, and sessions for the personas."""

    config: MlgovConfig
    sandbox: SandboxProcess
    names: Names
    result: DemoResult
    work_root: Path
    terraform_root: Path

    def apply(self, role: AccountRole) -> ApplyResult:
        """terraform init/plan/apply of the committed stack, then a re-plan that must be clean."""
        platform, result = self.config.platform, self.result
        t0 = time.monotonic()
        _say(f"terraform: applying the {role.value} stack into account {platform.account_id(role)} ...")
        workdir = self.work_root / "stacks" / role.value
        applied = apply_stack(self.terraform_root / role.value, workdir, self.sandbox.url, platform.home_region)
        result.applies.append(applied)
        changes = result.replan_changes[role.value] = replan_changes(workdir)
        result.seconds[f"apply {role.value}"] = time.monotonic() - t0
        _say(f"  {len(applied.applied)} resources in state; a second plan shows "
             + (f"{len(changes)} change(s): {changes}" if changes else "no changes"))
        for address, error in applied.failed.items():
            _say(f"  NOT APPLIED {address}: {error}")
        if applied.failed:
            raise SystemExit(f"demo: resources of the {role.value} stack could not be applied (listed above)")
        return applied

    def session(self, role: AccountRole, role_name: str, session_name: str) -> AccountSession:
        platform = self.config.platform
        arn = f"arn:aws:iam::{platform.account_id(role)}:role/{role_name}"
        return assume(self.sandbox.url, platform.home_region, arn, session_name)

    def governance(self) -> AccountSession:
        return self.session(AccountRole.GOVERNANCE, self.config.platform.terraform_role_name, "compliance-review")

    def dead_letter_queue(self, function: str = "registry-sync") -> str:
        return f"{self.config.platform.name_prefix}-{function}-dlq"


@contextmanager
def deployed_sandbox(config: MlgovConfig, work_root: Path, stacks: tuple[AccountRole, ...] = REGISTRY_STACKS,
                     terraform_root: Path = REPO_ROOT / "terraform") -> Iterator[Deployed]:
    """Start the server and apply the given stacks; stop the server on exit whatever happens."""
    with SandboxProcess(work_root / "server", work_root / "server.log") as sandbox:
        _say(f"sandbox: moto server on {sandbox.url}")
        deployed = Deployed(config, sandbox, Names.from_config(config), DemoResult(), work_root, terraform_root)
        for role in stacks:
            deployed.apply(role)
        yield deployed


def version_items(governance: AccountSession, table_name: str, group: str, version: int) -> list[dict]:
    pages = governance.client("dynamodb").get_paginator("query").paginate(
        TableName=table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.version_pk(group, version)}})
    return [item for page in pages for item in page["Items"]]


def run_story(deployed: Deployed) -> DemoResult:
    """Seed steps 3-5: register from dev, the event reaches the table through the deployed Lambda."""
    config, names, result = deployed.config, deployed.names, deployed.result
    group = next(iter(config.use_cases.values())).model_package_group.name
    scientist = deployed.session(AccountRole.DEV, f"{config.platform.name_prefix}-data-scientist", "data-scientist")
    result.model_package_arn = register_candidate(scientist, names, group)
    _say(f"dev: data scientist registered {result.model_package_arn}")
    deployed.sandbox.drain()
    result.invocations = deployed.sandbox.invocations()
    governance = deployed.governance()
    version = int(result.model_package_arn.rsplit("/", 1)[1])
    result.items = version_items(governance, names.governance_table, group, version)
    result.dead_letters = queue_depth(governance, deployed.dead_letter_queue())
    return result


def run_serving_story(deployed: Deployed) -> DemoResult:
    """Seed steps 6-7: deploy the registered version to test and prod, call the test API, report QA."""
    config, names, result = deployed.config, deployed.names, deployed.result
    prefix = config.platform.name_prefix
    use_case = next(iter(config.use_cases.values()))
    for role in SERVING_STACKS:
        deployed.apply(role)
    qa = deployed.session(AccountRole.TEST, f"{prefix}-metrics-publisher", "qa-run")
    api_id = rest_api_id(qa, f"{names.endpoint(use_case.name, AccountRole.TEST.value)}-inference")
    result.predict = call_predict(qa, api_id, {"instances": [[42000, 0.31, 7]]})
    _say(f"test: signed POST /predict -> {result.predict.status} {json.dumps(result.predict.body)[:200]}")
    version = int(result.model_package_arn.rsplit("/", 1)[1])
    report_qa_metrics(qa, names.metrics_bus_arn(), use_case.model_package_group.name, version,
                      {"auc": 0.79, "p95_latency_ms": 120})
    _say("test: QA metrics reported to the governance metrics bus")
    deployed.sandbox.drain()
    result.invocations = deployed.sandbox.invocations()
    governance = deployed.governance()
    result.items = version_items(governance, names.governance_table, use_case.model_package_group.name, version)
    result.dead_letters = sum(queue_depth(governance, deployed.dead_letter_queue(f)) for f in ("registry-sync", "metrics-ingest"))
    return result


def run_demo(config: MlgovConfig, work_root: Path) -> DemoResult:
    started = time.monotonic()
    with deployed_sandbox(config, work_root) as deployed:
        run_story(deployed)
        result = run_serving_story(deployed)
    result.seconds["total"] = time.monotonic() - started
    return result


def _plain(item: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer

    value = {k: TypeDeserializer().deserialize(v) for k, v in item.items()}
    return json.loads(json.dumps(value, default=str))


def print_report(result: DemoResult) -> None:
    _say("\nregistry-sync Lambda invocations (run locally from the deployed zip):")
    for inv in result.invocations:
        outcome = inv.get("payload") or inv.get("error")
        _say(f"  {inv.get('function_arn')}: {inv.get('status')} {json.dumps(outcome, default=str)[:160]}")
    _say("\ngovernance table, this version:")
    for item in map(_plain, result.items):
        kind = item.get("item_type")
        fields = ("stage", "status", "approval_status", "registered_by", "approved_by", "metrics", "qa_metrics",
                  "kind", "last_modified", "use_case")
        _say(f"  [{kind}] {item['sk']}")
        for name in fields:
            if name in item:
                _say(f"      {name:16} {item[name]}")
    _say(f"\ndead-letter queues (registry-sync + metrics-ingest) depth: {result.dead_letters}")
    _say("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / ".sandbox")
    args = parser.parse_args(argv)
    result = run_demo(load_config(args.config), args.work)
    print_report(result)
    ok = (bool(result.items) and result.dead_letters == 0 and not any(result.replan_changes.values())
          and result.predict is not None and result.predict.status == 200)
    _say("\ndemo: OK, the server is stopped" if ok else "\ndemo: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
