"""Fixtures for the register tests: the sandbox in a thread, a config with its own prefix and a fresh
group per test, the governance resources `register` needs (created with boto3, no Terraform), and an
MLflow file store with the trained candidates.

Imported by the test modules (``from register_testkit import *``) rather than a conftest, so these
fixtures do not clash with other CLI tests' fixtures. Names carry a ``reg`` prefix for the same reason.
moto keeps its state per process, so everything here uses its own name prefix (``mlgovreg``).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from registry_sharing import REGISTER, share_group
from sandbox.accounts import assume

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
GOV, DEV = "111111111111", "222222222222"
PREFIX = "mlgovreg"
EXPERIMENT = "credit-risk"
NO_AUC_EXPERIMENT = "no-auc"

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION,
                  MLFLOW_ALLOW_FILE_STORE="true")
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "MLFLOW_TRACKING_URI", "MLGOV_ENDPOINT_URL"):
    os.environ.pop(_var, None)


def account_client(url: str, service: str, account: str) -> Any:
    return assume(url, REGION, f"arn:aws:iam::{account}:role/reg-test", "reg-test").client(service)


@dataclass
class RegStore:
    """Session-wide: sandbox URL, the artifact bucket and key, the governance table, the MLflow store."""

    url: str
    bucket: str
    key_arn: str
    table: str
    tracking_uri: str
    runs: list[str]  # the candidates, in training order
    metrics: dict[str, dict[str, float]]  # run id -> metrics
    no_auc_run: str
    no_model_run: str

    def gov(self, service: str) -> Any:
        return account_client(self.url, service, GOV)


@dataclass
class RegEnv:
    """Per test: a config folder whose use case has a fresh group in the governance account."""

    store: RegStore
    config_dir: Path
    use_case: str
    group: str
    clients: dict[str, Any] = field(default_factory=dict)

    def gov(self, service: str) -> Any:
        return self.store.gov(service)

    def run(self, *args: str, json_output: bool = True) -> Result:
        from mlgov_cli.main import cli

        base = ["--config", str(self.config_dir), "--endpoint-url", self.store.url] + (["--json"] if json_output else [])
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def register(self, *args: str, json_output: bool = True) -> Result:
        return self.run("register", "--use-case", self.use_case, "--tracking-uri", self.store.tracking_uri,
                        "--registered-by", "ds@example.com", *args, json_output=json_output)

    def packages(self) -> list[dict[str, Any]]:
        sm = self.gov("sagemaker")
        summaries = sm.list_model_packages(ModelPackageGroupName=self.group)["ModelPackageSummaryList"]
        return [sm.describe_model_package(ModelPackageName=s["ModelPackageArn"]) for s in summaries]

    def objects(self) -> list[str]:
        listed = self.gov("s3").list_objects_v2(Bucket=self.store.bucket, Prefix=f"models/{self.group}/")
        return sorted(o["Key"] for o in listed.get("Contents", []))


def _artifact_policy(bucket: str, key_arn: str) -> str:
    """The governance bucket's encryption guards (modules/secure_bucket.py), so a stray SSE header fails,
    and the write-once Deny of modules/artifact_store.py, so a plain PUT into models/ fails."""
    sse, key_id = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
    guards = {
        "DenyNonKmsEncryption": {"StringNotEquals": {sse: "aws:kms"}, "Null": {sse: "false"}},
        "DenyOtherKmsKeys": {"StringNotEquals": {key_id: key_arn}, "Null": {key_id: "false"}},
        "DenyAwsManagedKey": {"Null": {sse: "false", key_id: "true"}},
    }
    statements: list[dict[str, Any]] = [
        {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": cond} for sid, cond in guards.items()]
    statements.append({"Sid": "DenyModelOverwrite", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{bucket}/models/*", "Condition": {"StringNotEquals": {"s3:if-none-match": "*"}}})
    statements.append({"Sid": "DevWrites", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                       "Action": ["s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/models/*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _train(tracking_uri: str) -> tuple[list[str], dict[str, dict[str, float]], str, str]:
    from mlflow.tracking import MlflowClient

    from mlgov_cli import training

    trained = training.train_candidates_detailed(tracking_uri, EXPERIMENT)
    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = client.create_experiment(NO_AUC_EXPERIMENT)
    no_auc = client.create_run(experiment_id, run_name="loss-only").info.run_id
    client.log_metric(no_auc, "loss", 0.42)
    client.log_dict(no_auc, {"type": "constant"}, "model/model.json")
    client.set_terminated(no_auc)
    no_model = client.create_run(experiment_id, run_name="no-model").info.run_id
    client.log_metric(no_model, "auc", 0.5)
    client.set_terminated(no_model)
    return [r.run_id for r in trained], {r.run_id: r.metrics for r in trained}, no_auc, no_model


_STORE: list[RegStore] = []  # one per process: the fixture is imported into several test modules


@pytest.fixture(scope="session")
def reg_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegStore]:
    """Pytest instantiates an imported session fixture once per importing module; the first one builds and stops it."""
    if _STORE:
        yield _STORE[0]
        return
    from sandbox.server import start_in_thread

    server, url = start_in_thread(0, state_dir=str(tmp_path_factory.mktemp("reg-sandbox")))
    try:
        bucket = f"{PREFIX}-artifacts-{GOV}-{REGION}"
        table = f"{PREFIX}-model-stage-governance"
        kms = account_client(url, "kms", GOV)
        key_arn = kms.create_key(Description="artifact key")["KeyMetadata"]["Arn"]
        s3 = account_client(url, "s3", GOV)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
            "BucketKeyEnabled": True}]})
        s3.put_bucket_policy(Bucket=bucket, Policy=_artifact_policy(bucket, key_arn))
        account_client(url, "dynamodb", GOV).create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
        tracking_uri = (tmp_path_factory.mktemp("reg-mlflow") / "mlruns").as_uri()
        runs, metrics, no_auc, no_model = _train(tracking_uri)
        _STORE.append(RegStore(url, bucket, key_arn, table, tracking_uri, runs, metrics, no_auc, no_model))
        yield _STORE[0]
    finally:
        _STORE.clear()
        server.shutdown()


@pytest.fixture
def reg(reg_store: RegStore, tmp_path: Path) -> RegEnv:
    """A config folder (prefix mlgovreg) whose single use case has a brand-new group in governance."""
    config_dir = tmp_path / "config"
    (config_dir / "use_cases").mkdir(parents=True)
    platform = yaml.safe_load((REPO_ROOT / "config" / "platform.yaml").read_text())
    platform["name_prefix"] = PREFIX
    (config_dir / "platform.yaml").write_text(yaml.safe_dump(platform))
    group = f"reg-{uuid.uuid4().hex[:10]}"
    use_case = yaml.safe_load((REPO_ROOT / "config" / "use_cases" / "credit-risk.yaml").read_text())
    use_case["model_package_group"]["name"] = group
    # the baseline must be in this prefix's artifact store (mlgov_config.loader)
    use_case["deployments"]["prod"]["monitoring"]["baseline_s3_uri"] = f"s3://{reg_store.bucket}/baselines/{group}/v1/"
    (config_dir / "use_cases" / "credit-risk.yaml").write_text(yaml.safe_dump(use_case))
    sagemaker = reg_store.gov("sagemaker")
    arn = sagemaker.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    share_group(sagemaker, arn, {DEV: REGISTER})  # dev registers across accounts: the stack's group policy
    return RegEnv(reg_store, config_dir, use_case["name"], group)


def fail_on(service: str, operation: str, nth: int = 1) -> Callable[[Any], None]:
    """A patch for Context.client: the ``nth`` call of ``operation`` on ``service`` clients raises (before it is sent)."""
    from botocore.exceptions import ClientError

    from mlgov_cli.context import Context

    original = Context.client
    calls = {"n": 0}

    def hook(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected failure"}}, operation)

    def client(self: Context, *args: Any, **kw: Any) -> Any:
        made = original(self, *args, **kw)
        if made.meta.service_model.service_name == service:
            made.meta.events.register(f"before-call.{service}.{operation}", hook)
        return made

    def install(monkeypatch: Any) -> None:
        monkeypatch.setattr(Context, "client", client)

    return install


def record_calls(service: str, operation: str) -> tuple[Callable[[Any], None], list[dict[str, Any]]]:
    """A patch for Context.client recording the parameters of every ``operation`` call."""
    from mlgov_cli.context import Context

    original = Context.client
    seen: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    def client(self: Context, *args: Any, **kw: Any) -> Any:
        made = original(self, *args, **kw)
        if made.meta.service_model.service_name == service:
            made.meta.events.register(f"provide-client-params.{service}.{operation}", hook)
        return made

    return (lambda monkeypatch: monkeypatch.setattr(Context, "client", client)), seen


__all__ = ["DEV", "GOV", "REGION", "RegEnv", "RegStore", "fail_on", "record_calls", "reg", "reg_store"]
