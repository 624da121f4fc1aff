"""modules/policy.py is where the platform's IAM rules are enforced at synth time."""

from __future__ import annotations

import json

import pytest

from modules.policy import PolicyError, Statement, deny_insecure_transport, deny_outside_organization, document


@pytest.mark.parametrize("action", ["*", "s3:*", "sagemaker:*"])
def test_allow_with_wildcard_action_is_refused(action):
    with pytest.raises(PolicyError, match="wildcard"):
        Statement(sid="Bad", actions=(action,), resources=("arn:aws:s3:::b",))


def test_allow_with_wildcard_principal_is_refused():
    with pytest.raises(PolicyError, match="principal"):
        Statement(sid="Bad", actions=("s3:GetObject",), resources=("arn:aws:s3:::b/*",), principals={"AWS": ("*",)})


def test_any_resource_needs_a_written_reason():
    with pytest.raises(PolicyError, match="any_resource_reason"):
        Statement(sid="Bad", actions=("xray:PutTraceSegments",), resources=("*",))
    Statement(sid="Ok", actions=("xray:PutTraceSegments",), resources=("*",), any_resource_reason="no resource-level permission")


def test_deny_statements_may_use_wildcards_because_they_only_restrict():
    stmt = deny_insecure_transport(("arn:aws:s3:::b", "arn:aws:s3:::b/*"), "s3")
    rendered = stmt.render()
    assert rendered["Effect"] == "Deny" and rendered["Action"] == ["s3:*"]
    assert rendered["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_trust_policies_render_without_resource_element():
    rendered = Statement(sid="Trust", actions=("sts:AssumeRole",), principals={"Service": ("lambda.amazonaws.com",)}).render()
    assert "Resource" not in rendered


def test_document_is_deterministic_and_rejects_duplicate_ids():
    a = Statement(sid="A", actions=("s3:PutObject", "s3:GetObject"), resources=("arn:aws:s3:::b/*",))
    doc = json.loads(document([a]))
    assert doc["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert document([a]) == document([a])
    with pytest.raises(PolicyError, match="duplicate"):
        document([a, a])


def test_the_organization_deny_exists_only_with_an_organization():
    assert deny_outside_organization(("s3:*",), ("arn:aws:s3:::b",), None) == []
    [deny] = deny_outside_organization(("s3:*",), ("arn:aws:s3:::b",), "o-abcdefghij")
    rendered = deny.render()
    assert rendered["Effect"] == "Deny" and rendered["Principal"] == {"AWS": ["*"]}
    assert rendered["Condition"] == {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abcdefghij"},
                                     "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
