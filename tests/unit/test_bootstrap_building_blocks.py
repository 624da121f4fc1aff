"""The pieces terraform/bootstrap is built from refuse what would widen them, before any synth."""

from __future__ import annotations

import pytest

from modules.github_oidc import branch_subject, environment_subject, exact_subjects, pull_request_subject
from modules.plan_reads import DATA_READS, READ_GROUPS, plan_read_statements, service_of
from modules.policy import PolicyError, Statement
from modules.secure_bucket import SecureBucketProps


def test_not_resources_only_in_a_deny():
    with pytest.raises(PolicyError, match="not_resources only in a Deny"):
        Statement(sid="AllBut", actions=("s3:GetObject",), not_resources=("arn:aws:s3:::b/k",))
    rendered = Statement(sid="AllBut", effect="Deny", actions=("s3:GetObject",), not_resources=("arn:aws:s3:::b/k",)).render()
    assert rendered["NotResource"] == ["arn:aws:s3:::b/k"] and "Resource" not in rendered


@pytest.mark.parametrize("pattern", ["", "*", "/x.tfstate"])
def test_undeletable_keys_must_name_some_keys(pattern):
    with pytest.raises(ValueError, match="undeletable_keys"):
        SecureBucketProps(bucket_name="b", owner_account="111111111111", kms_key_arn="k", is_access_log_target=True,
                          undeletable_keys=(pattern,))


def test_exact_subjects_are_accepted():
    subjects = (pull_request_subject("o/r"), branch_subject("o/r", "main"), environment_subject("o/r", "prod"))
    assert exact_subjects(subjects) == ("repo:o/r:pull_request", "repo:o/r:ref:refs/heads/main", "repo:o/r:environment:prod")


@pytest.mark.parametrize("subject", ["repo:o/*:pull_request", "repo:o/r:*", "repo:*", "repo:o/r:ref:refs/heads/*",
                                     "repo:o/r:environment:pr*d"])
def test_a_wildcard_subject_is_refused(subject):
    with pytest.raises(ValueError, match="not an exact GitHub sub claim"):
        exact_subjects((subject,))


def test_no_subject_is_refused():
    with pytest.raises(ValueError, match="no subject"):
        exact_subjects(())


def test_a_service_without_a_read_group_is_refused():
    with pytest.raises(ValueError, match="no read group for \\['secretsmanager'\\]"):
        plan_read_statements({"s3", "secretsmanager"}, ())


def test_no_read_group_allows_a_data_read():
    from fnmatch import fnmatchcase

    for name, group in READ_GROUPS.items():
        leaks = [d for d in (*DATA_READS, "s3:GetObject", "s3:GetObjectVersion")
                 for a in group.actions if fnmatchcase(d.lower(), a.lower())]
        assert leaks == [], f"read group {name} allows {leaks}"


def test_the_longest_resource_prefix_decides_the_service():
    assert service_of("aws_cloudwatch_metric_alarm") == "cloudwatch"
    assert service_of("aws_cloudwatch_log_group") == "logs"
    assert service_of("aws_cloudwatch_event_rule") == "events"
    assert service_of("aws_secretsmanager_secret") is None
