"""SecureBucket's Object Lock option: typed, off by default, refused where it cannot work."""

from __future__ import annotations

import pytest

from modules.artifact_store import ArtifactStoreProps
from modules.naming import Names
from modules.secure_bucket import ObjectLockRetention, SecureBucketProps

KEY = "arn:aws:kms:eu-west-1:111111111111:key/k"


class _LogTarget:  # SecureBucketProps only checks that a target is given
    pass


def test_object_lock_is_off_by_default():
    assert SecureBucketProps(bucket_name="b", owner_account="111111111111", kms_key_arn=KEY, access_log_target=_LogTarget()).object_lock is None


def test_retention_defaults_to_compliance():
    assert ObjectLockRetention(days=30).mode == "COMPLIANCE"


@pytest.mark.parametrize("days", [0, -1, 36501, 1.5, True])
def test_retention_days_validated(days):
    with pytest.raises(ValueError, match=r"ObjectLockRetention\.days"):
        ObjectLockRetention(days=days)


def test_retention_mode_validated():
    with pytest.raises(ValueError, match=r"ObjectLockRetention\.mode: 'LEGAL'"):
        ObjectLockRetention(days=1, mode="LEGAL")  # type: ignore[arg-type]


def test_object_lock_needs_versioning():
    with pytest.raises(ValueError, match=r"SecureBucketProps\.object_lock: bucket 'b' needs versioned=True"):
        SecureBucketProps(bucket_name="b", owner_account="111111111111", kms_key_arn=KEY, access_log_target=_LogTarget(),
                          versioned=False, object_lock=ObjectLockRetention(days=1))


def test_object_lock_refused_on_an_access_log_target():
    with pytest.raises(ValueError, match=r"SecureBucketProps\.object_lock: 'logs' is an access-log target"):
        SecureBucketProps(bucket_name="logs", owner_account="111111111111", kms_key_arn=None, is_access_log_target=True,
                          object_lock=ObjectLockRetention(days=1))


@pytest.mark.parametrize("days", [0, 36501])
def test_artifact_store_retention_is_validated(days):
    with pytest.raises(ValueError, match=rf"ArtifactStoreProps\.artifact_retention_days: .*{days}"):
        ArtifactStoreProps(names=Names("mlgov", "eu-west-1", "111111111111"), artifact_retention_days=days)
