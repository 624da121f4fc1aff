"""GitHub Actions' OIDC identity provider in IAM, and the trust of a role in exact workflow runs.

A run asks GitHub for a token (audience sts.amazonaws.com) and exchanges it with
AssumeRoleWithWebIdentity. The trust names exact `sub` claims, never a pattern: a wildcard in the
repository part would let any repository of a prefix (or of the whole owner) assume the role.
"""

from __future__ import annotations

import re

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from constructs import Construct

from modules.policy import Statement

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
SUBJECT = re.compile(r"^repo:[A-Za-z0-9-]+/[A-Za-z0-9._-]+:(pull_request|ref:refs/heads/[A-Za-z0-9._/-]+|environment:[A-Za-z0-9._-]+)$")


def pull_request_subject(repository: str) -> str:
    return f"repo:{repository}:pull_request"


def branch_subject(repository: str, branch: str) -> str:
    return f"repo:{repository}:ref:refs/heads/{branch}"


def environment_subject(repository: str, environment: str) -> str:
    return f"repo:{repository}:environment:{environment}"


def exact_subjects(subjects: tuple[str, ...]) -> tuple[str, ...]:
    """The subjects, if each names one repository and one pull-request, branch or environment context."""
    if not subjects:
        raise ValueError("GithubOidcProvider.trust: no subject; a role trusted by every run of every repository")
    for subject in subjects:
        if not SUBJECT.fullmatch(subject):
            raise ValueError(f"GithubOidcProvider.trust: {subject!r} is not an exact GitHub sub claim")
    return subjects


class GithubOidcProvider(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # No thumbprint: IAM trusts GitHub's certificate authority itself for this host (provider >= 5.81 omits it).
        self.provider = IamOpenidConnectProvider(self, "provider", url=f"https://{GITHUB_OIDC_HOST}", client_id_list=[AUDIENCE])

    @property
    def arn(self) -> str:
        return self.provider.arn

    def trust(self, subjects: tuple[str, ...]) -> Statement:
        """Only tokens for our audience whose sub claim is one of these, exactly."""
        exact_subjects(subjects)
        return Statement(
            sid="GithubWorkflowRuns", actions=("sts:AssumeRoleWithWebIdentity",), principals={"Federated": (self.arn,)},
            conditions={"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": sorted(subjects)}})
