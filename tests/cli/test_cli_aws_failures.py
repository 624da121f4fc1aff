"""Every command that calls AWS ends a credentials or connection failure in one line on stderr, exit 3.

Missing credentials, expired credentials, an unreachable endpoint and throttling (botocore's
retries turned down with AWS_MAX_ATTEMPTS=1): each command registered on `cli` is driven into each.
Expired and throttled are played twice: on the first call (sts:AssumeRole, query protocol) and on
the command's own service calls after an AssumeRole that worked (JSON protocols, S3's rest-xml).
"""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from click.testing import CliRunner

from aws_failure_kit import closed_port_url, failing_endpoint, fake_credentials, no_credentials  # noqa: F401
from governance_testkit import repo_config
from mlgov_cli.errors import EXIT_AWS
from mlgov_cli.main import cli

USE_CASE = "credit-risk"
# Commands that make no AWS call, and why; every other command must be in ARGS.
EXEMPT = {
    "onboard": "writes a use case file from a template; no AWS call",
    "train": "trains into MLflow (a file store, or the tracking server whose failures it already maps to exit 3)",
}
ARGS = {
    "check": [],
    "register": ["--use-case", USE_CASE, "--run-id", "{run_id}", "--tracking-uri", "{tracking_uri}"],
    "register-external": ["--use-case", USE_CASE, "--version-label", "v1", "--source", "vendor",
                          "--artifact-uri", "s3://vendor/model.tar.gz", "--registered-by", "alice@example.com"],
    "approve": [USE_CASE, "1", "--stage", "Test", "--reason", "ok", "--approver", "carol@example.com"],
    "reject": [USE_CASE, "1", "--stage", "Test", "--reason", "no", "--approver", "carol@example.com"],
    "promote": [USE_CASE, "1", "--to", "test"],
    "status": [],
    "list": [],
    "history": [USE_CASE, "1"],
    "reconcile": [],
    "qa": ["--use-case", USE_CASE, "--version", "1", "--sample", "{sample}"],
    "report": ["--out", "{out}"],
    "dashboard": ["--out", "{out}"],
    "analytics": ["backfill", "--since", "2026-01-01"],
}
# Read paths with their own role choice, driven too.
EXTRA = {"reconcile --dry-run": ["reconcile", "--dry-run"]}
EXPIRED = ("ExpiredToken", "ExpiredTokenException")
THROTTLED = ("Throttling", "ThrottlingException", "TooManyRequestsException")


def invocations() -> list[tuple[str, list[str]]]:
    found = [(name, [name, *ARGS[name]]) for name in sorted(cli.commands) if name in ARGS]
    return found + [(label, args) for label, args in EXTRA.items()]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The repository config, an MLflow file store with one finished run, a QA sample, a report folder."""
    root = tmp_path_factory.mktemp("aws-failures")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.tracking import MlflowClient

    tracking_uri = f"file://{root / 'mlruns'}"
    mlflow = MlflowClient(tracking_uri=tracking_uri)
    run = mlflow.create_run(mlflow.create_experiment("failures"))
    mlflow.log_metric(run.info.run_id, "auc", 0.8)
    mlflow.set_terminated(run.info.run_id)
    sample = root / "sample.jsonl"
    sample.write_text('{"features": [1.0, 2.0], "label": 1}\n')
    return {"config": str(repo_config(root)), "run_id": run.info.run_id, "tracking_uri": tracking_uri,
            "sample": str(sample), "out": str(root / "reports")}


@pytest.fixture(autouse=True)
def quick_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no retries: the failure is the same, seconds sooner
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("MLGOV_OPERATOR", "tester")
    monkeypatch.setenv("MLGOV_APPROVER", "carol@example.com")


def run_failing(world: dict[str, str], endpoint: str, args: list[str]) -> tuple[int, str, str]:
    filled = [a.format(**world) for a in args]
    result = CliRunner().invoke(cli, ["--config", world["config"], "--endpoint-url", endpoint, *filled],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_exit_3(outcome: tuple[int, str, str], *expected: str) -> None:
    code, stdout, stderr = outcome
    lines = stderr.strip().splitlines()
    assert code == EXIT_AWS, (code, stdout, stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stdout + stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_every_registered_command_is_driven_or_exempt_with_a_reason() -> None:
    unaccounted = set(cli.commands) - set(ARGS) - set(EXEMPT)
    assert not unaccounted, f"add {sorted(unaccounted)} to ARGS (arguments that reach AWS) or EXEMPT (with why)"
    assert not (set(ARGS) | set(EXEMPT)) - set(cli.commands), "ARGS/EXEMPT name a command that no longer exists"
    assert all(reason.strip() for reason in EXEMPT.values())


@pytest.mark.parametrize(("label", "args"), invocations(), ids=[label for label, _ in invocations()])
def test_missing_credentials(label, args, world, monkeypatch, tmp_path) -> None:
    no_credentials(monkeypatch, tmp_path)
    assert_one_line_exit_3(run_failing(world, closed_port_url(), args), "no AWS credentials found")


def test_credentials_an_earlier_caller_found_are_not_reused(world, monkeypatch, tmp_path) -> None:
    """A process that resolved credentials once (boto3's default session keeps them) and then lost them."""
    import boto3

    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # put back after the test
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION.get_credentials() is not None
    no_credentials(monkeypatch, tmp_path)
    assert_one_line_exit_3(run_failing(world, closed_port_url(), ["status"]), "no AWS credentials found")


@pytest.mark.parametrize(("label", "args"), invocations(), ids=[label for label, _ in invocations()])
def test_unreachable_endpoint(label, args, world, monkeypatch, tmp_path) -> None:
    fake_credentials(monkeypatch, tmp_path)
    url = closed_port_url()
    assert_one_line_exit_3(run_failing(world, url, args), "cannot reach AWS", url)


@pytest.mark.parametrize(("codes", "message"), [(EXPIRED, "credentials have expired"), (THROTTLED, "throttled")],
                         ids=["expired-credentials", "throttled"])
@pytest.mark.parametrize("after_assume_role", [False, True], ids=["on-assume-role", "on-service-call"])
@pytest.mark.parametrize(("label", "args"), invocations(), ids=[label for label, _ in invocations()])
def test_aws_refusal(label, args, after_assume_role, codes, message, world, failing_endpoint, monkeypatch,
                     tmp_path) -> None:
    fake_credentials(monkeypatch, tmp_path)
    for code in codes:
        failing_endpoint.failing.__init__(code=code, status=400, sts_ok=after_assume_role)
        assert_one_line_exit_3(run_failing(world, failing_endpoint.url, args), message, code)
        assert failing_endpoint.failing.requests >= 1 + after_assume_role, "the command never reached the endpoint"


def test_the_installed_entry_point_prints_one_line_not_a_traceback(world, tmp_path) -> None:
    """Through `python -m mlgov_cli` (what the `mlgov` script runs), not only click's test runner."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                            "AWS_SESSION_TOKEN", "AWS_PROFILE")}
    empty = tmp_path / "empty"
    empty.write_text("")
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_CONFIG_FILE=str(empty), AWS_EC2_METADATA_DISABLED="true",
               MLGOV_OPERATOR="tester", PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-m", "mlgov_cli", "--config", world["config"], "--endpoint-url",
                           closed_port_url(), "status"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == EXIT_AWS, proc.stderr
    assert proc.stderr.count("\n") == 1 and "no AWS credentials found" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("error", "expected"), [
    (NoCredentialsError(), "no AWS credentials found"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "cannot reach AWS"),
    (ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired\nat noon"}}, "GetCallerIdentity"),
     "credentials have expired (sign in again): ExpiredToken: expired at noon"),
    (ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "GetRestApis"),
     "throttled"),
], ids=["missing", "unreachable", "expired", "throttled"])
def test_the_entry_point_maps_what_a_new_command_forgot_to_catch(error, expected, monkeypatch) -> None:
    """The safety net in mlgov_cli.main: a command that lets a botocore error escape still ends in one line."""

    @click.command("probe")
    def probe() -> None:
        raise error

    monkeypatch.setitem(cli.commands, "probe", probe)
    result = CliRunner().invoke(cli, ["probe"], catch_exceptions=False)
    assert_one_line_exit_3((result.exit_code, result.stdout, result.stderr), "mlgov probe failed: ", expected)
