"""Who a principal is, for separation of duties: the person behind an IAM identity.

A person registers in dev as ``assumed-role/mlgov-data-scientist/alice`` and may try to decide in
governance as ``assumed-role/mlgov-model-approver/alice``: different ARNs, one person. The session
name (or IAM user name) is what names the person across accounts and roles; where the registry
recorded a source identity (sts:SourceIdentity, required on people's roles, fixed for the whole
role chain) that names the person too, and a decider named by either is the registrant.
"""

from __future__ import annotations

import re

from mlgov_core import rules

_PERSON_ARN = re.compile(r"^arn:aws[a-z-]*:(?:sts::[0-9]{12}:assumed-role/[^/]+/(?P<session>.+)|iam::[0-9]{12}:user/(?:.*/)?(?P<user>[^/]+))$")


def person(identity: str | None) -> str | None:
    """The person behind an identity: an assumed-role session's name, an IAM user's name, else the value."""
    if not identity:
        return None
    match = _PERSON_ARN.match(identity.strip())
    if match:
        return match.group("session") or match.group("user")
    return identity


def registrants(created_by: str | None, created_by_source_identity: str | None) -> list[str | None]:
    """Who registered a version, for separation of duties: the source identity first, then CreatedBy."""
    return [created_by_source_identity, created_by] if created_by_source_identity else [created_by]


def conflicting_identities(registrants: list[str | None], deciders: list[str | None]) -> tuple[str, str] | None:
    """(registrant, decider) naming the same person, compared with rules.same_identity, or None."""
    for registrant in registrants:
        for decider in deciders:
            for a, b in ((registrant, decider), (person(registrant), person(decider))):
                if rules.same_identity(a, b):
                    return a, b  # type: ignore[return-value]
    return None
