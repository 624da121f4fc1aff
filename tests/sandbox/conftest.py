"""One patched sandbox server per test session (in a thread); boto3 clients per emulated account."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pathlib import Path

from sandbox_accounts import GOV, REGION

REPO_ROOT = Path(__file__).resolve().parents[2]

os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sandbox.server import start_in_thread

    from mlgov_config import load_config
    from sandbox.patches._organization import set_organization

    server, url = start_in_thread(0, state_dir=str(tmp_path_factory.mktemp("sandbox-state")))
    # As deployed_sandbox does: the configured accounts are in the configured organisation.
    platform = load_config(REPO_ROOT / "config").platform
    set_organization(platform.organization_id, sorted(platform.accounts.values()))
    yield url
    set_organization(None, [])
    server.shutdown()


@pytest.fixture(scope="session")
def aws(sandbox_url: str) -> Callable[..., Any]:
    """aws(service, account) -> boto3 client with credentials of that account (sts AssumeRole in moto)."""
    import boto3

    cache: dict[str, dict[str, str]] = {}

    def client(service: str, account: str = GOV, region: str = REGION) -> Any:
        if account not in cache:
            sts = boto3.client("sts", endpoint_url=sandbox_url, region_name=region)
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/sandbox-test", RoleSessionName="test")
            cache[account] = creds["Credentials"]
        creds = cache[account]
        return boto3.client(
            service,
            endpoint_url=sandbox_url,
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    return client
