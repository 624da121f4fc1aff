"""Emulated accounts: moto maps credentials from sts:AssumeRole to the role's account."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

# Base credentials only ever reach the local sandbox; the account comes from AssumeRole.
SANDBOX_KEY = "mlgov-sandbox"


@dataclass(frozen=True)
class AccountSession:
    account_id: str
    role_arn: str
    session: boto3.Session
    endpoint_url: str

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint_url)


def assume(endpoint_url: str, region: str, role_arn: str, session_name: str,
           source_identity: str | None = None) -> AccountSession:
    """Credentials of role_arn; people's roles (modules/iam_role.py) require a source identity."""
    sts = boto3.client("sts", endpoint_url=endpoint_url, region_name=region,
                       aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)
    extra = {"SourceIdentity": source_identity} if source_identity else {}
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, **extra)["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=region)
    return AccountSession(role_arn.split(":")[4], role_arn, session, endpoint_url)
